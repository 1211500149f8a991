// Bodies of the sealed records that negotiate the direct path (DESIGN.md §9). They travel
// only inside records on the relay path, so the relay never sees a candidate address.
//   P2PIntent{version, enabled}            both sides, first: nothing is gathered unless both say yes
//   P2PCandidates{flags, n, (type, ep)*n}  both sides: host and server-reflexive candidates
//   P2PSelect{outcome, id | reason}        initiator: the proven connection to move to, or why not
//   P2PSwitched{}                          responder: its last record on the relay path
namespace Tallow.Wire;

/// <summary>Why the session stays on (or returns to) the relay. Codes travel in P2PSelect.</summary>
public enum P2PFallbackReason : byte
{
    Timeout = 1,
    SymmetricNat = 2,
    NoUsableCandidates = 3,
    DisabledByPeer = 4,
    DirectConnectionLost = 5,

    // Local only (never in a P2PSelect, whose parser stops at DirectConnectionLost): the peer's
    // P2PIntent carried WebVersion, so it is a web page that can only use the relay.
    WebPeer = 6,
}

public static class P2PFallbackReasons
{
    /// <summary>The exact wording users and scripts see (DESIGN.md §9.5).</summary>
    public static string Describe(P2PFallbackReason reason) => reason switch
    {
        P2PFallbackReason.Timeout => "timeout",
        P2PFallbackReason.SymmetricNat => "symmetric NAT detected",
        P2PFallbackReason.NoUsableCandidates => "no usable candidates",
        P2PFallbackReason.DisabledByPeer => "disabled by peer",
        P2PFallbackReason.DirectConnectionLost => "direct connection lost",
        P2PFallbackReason.WebPeer => "the peer is a web browser",
        _ => "unknown",
    };
}

/// <summary>
/// P2PIntent{version, u8 intent}: 0 = disabled (--no-p2p, proxy), 1 = wants a direct path,
/// 2 = not needed (the sender's content is too small for the attempt to pay off).
/// </summary>
public readonly record struct P2PIntentMessage(byte Version, bool Enabled, bool NotNeeded = false)
{
    public const byte CurrentVersion = 1;

    /// <summary>
    /// Version byte of a web page's intent (always intent 0): a browser cannot dial or listen, so the
    /// CLI stays on the relay at once and says why. Older CLIs read it as "disabled by peer"
    /// (any version other than theirs), which also falls back at once (protocol.md "Web peers").
    /// </summary>
    public const byte WebVersion = 0x80;

    /// <summary>The intent came from a web page (relay only).</summary>
    public bool FromWebPeer => Version == WebVersion;
    public const int Size = 2;

    public int Write(Span<byte> destination)
    {
        destination[0] = Version;
        destination[1] = Enabled ? (byte)1 : NotNeeded ? (byte)2 : (byte)0;
        return Size;
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out P2PIntentMessage message)
    {
        message = default;
        if (body.Length != Size || body[1] > 2)
        {
            return false;
        }

        message = new P2PIntentMessage(body[0], body[1] == 1, body[1] == 2);
        return true;
    }
}

/// <summary>A candidate as it travels: u8 type (1 host, 2 server-reflexive) | endpoint.</summary>
public readonly record struct WireCandidate(byte Type, System.Net.IPEndPoint EndPoint);

public sealed record P2PCandidatesMessage(bool SymmetricNat, IReadOnlyList<WireCandidate> Candidates)
{
    public const int MaxCandidates = 16;
    public const int MaxSize = 2 + MaxCandidates * (1 + EndpointCodec.MaxSize);

    public int Write(Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Candidates.Count, MaxCandidates);
        var w = new SpanWriter(destination);
        w.WriteByte(SymmetricNat ? (byte)1 : (byte)0);
        w.WriteByte((byte)Candidates.Count);
        foreach (WireCandidate c in Candidates)
        {
            w.WriteByte(c.Type);
            EndpointCodec.Write(ref w, c.EndPoint);
        }

        return w.Written;
    }

    /// <summary>Parses the list; semantic checks of each address are the receiver's job (CandidateValidator).</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out P2PCandidatesMessage? message)
    {
        message = null;
        var r = new SpanReader(body);
        if (!r.TryReadByte(out byte flags) || flags > 1 || !r.TryReadByte(out byte count) || count > MaxCandidates)
        {
            return false;
        }

        var list = new List<WireCandidate>(count);
        for (int i = 0; i < count; i++)
        {
            if (!r.TryReadByte(out byte type) || type is < 1 or > 2 || !EndpointCodec.TryRead(ref r, out System.Net.IPEndPoint? ep))
            {
                return false;
            }

            list.Add(new WireCandidate(type, ep!));
        }

        if (!r.IsAtEnd)
        {
            return false;
        }

        message = new P2PCandidatesMessage(flags == 1, list);
        return true;
    }
}

/// <summary>The initiator's decision: move to the connection whose initiator nonce is <see cref="ConnectionId"/>, or stay.</summary>
public readonly record struct P2PSelectMessage(byte[]? ConnectionId, P2PFallbackReason Reason)
{
    public const int IdSize = DirectHelloMessage.NonceSize;
    public const int MaxSize = 1 + IdSize;

    public bool Selected => ConnectionId is not null;

    public int Write(Span<byte> destination)
    {
        if (ConnectionId is not null)
        {
            destination[0] = 1;
            ConnectionId.CopyTo(destination[1..]);
            return 1 + IdSize;
        }

        destination[0] = 0;
        destination[1] = (byte)Reason;
        return 2;
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out P2PSelectMessage message)
    {
        message = default;
        if (body.Length == 1 + IdSize && body[0] == 1)
        {
            message = new P2PSelectMessage(body[1..].ToArray(), default);
            return true;
        }

        if (body.Length == 2 && body[0] == 0 && body[1] is >= (byte)P2PFallbackReason.Timeout and <= (byte)P2PFallbackReason.DirectConnectionLost)
        {
            message = new P2PSelectMessage(null, (P2PFallbackReason)body[1]);
            return true;
        }

        return false;
    }
}
