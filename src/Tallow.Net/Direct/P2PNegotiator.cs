// The P2P upgrade after the handshake (DESIGN.md §9), as one sequence on the sealed relay path:
//
//   both:      P2PIntent{enabled} ──▶ ◀── P2PIntent          either says no ⇒ stay on relay
//   both:      probe NAT, gather;  P2PCandidates ──▶ ◀── P2PCandidates
//   both:      HolePuncher: dial every remote candidate from P, accept on P, prove the key
//   initiator: first proven connection ⇒ P2PSelect{id}, writes → direct
//              none by the deadline     ⇒ P2PSelect{reason}
//   responder: P2PSelect{id} ⇒ P2PSwitched, writes → direct, reads → direct
//   initiator: P2PSwitched   ⇒ reads → direct
//
// Nothing is gathered, sent or dialed unless both sides enabled P2P, so --no-p2p (and a proxy)
// never leaks a local address. The initiator alone decides, so both sides report the same outcome.
// The records come from the session's Path inbox; P2PSelect and P2PSwitched pause the session's
// read loop until reads were moved to the direct path (or stay on the relay): ResumeReads.
using System.Net;
using System.Net.Sockets;
using Tallow.Protocol;
using Tallow.Protocol.Records;
using Tallow.Protocol.Session;
using Tallow.Wire;

namespace Tallow.Net.Direct;

/// <summary>What the user sees of the upgrade (DESIGN.md §9.5).</summary>
public interface IP2PObserver
{
    void Attempting();

    /// <summary>The session moved to the direct connection to <paramref name="peer"/>; <paramref name="rtt"/> is its round trip as measured and as the kernel saw it.</summary>
    void Upgraded(IPEndPoint peer, HandshakeRtt rtt);

    void FellBack(P2PFallbackReason reason);
}

/// <summary>Everything the negotiation needs from the session.</summary>
public sealed record P2PContext(
    bool Enabled,
    bool IsInitiator,
    Socket? Listener,
    IPEndPoint RelayEndPoint,
    IPEndPoint ObservedByRelay,
    int ProbePort,
    PunchOptions Punch)
{
    /// <summary>The sender's content is small: no attempt is made, quietly, on either side.</summary>
    public bool NotNeeded { get; init; }
}

public static class P2PNegotiator
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Runs the negotiation; returns the direct connection now carrying the session, or null (relay).
    /// <paramref name="peerIntent"/>: the peer's P2PIntent body when it already arrived (the peer started a retry).
    /// </summary>
    public static async Task<DirectConnection?> NegotiateAsync(
        RecordPort channel, PathSwitchingTransport transport, DirectPathKey key, P2PContext context, IP2PObserver observer, CancellationToken ct, byte[]? peerIntent = null)
    {
        bool enabled = context.Enabled && context.Listener is not null && !context.NotNeeded;
        byte[] intent = new byte[P2PIntentMessage.Size];
        new P2PIntentMessage(P2PIntentMessage.CurrentVersion, enabled, context.NotNeeded).Write(intent);
        await channel.SendAsync(RecordKind.P2PIntent, intent, ct).ConfigureAwait(false);
        ReadOnlyMemory<byte> peerBody = peerIntent is not null ? peerIntent : (await ExpectAsync(channel, RecordKind.P2PIntent, ct).ConfigureAwait(false)).Body;
        if (!P2PIntentMessage.TryParse(peerBody.Span, out P2PIntentMessage peer))
        {
            throw Broken();
        }

        if (peer.FromWebPeer)
        {
            // Said even when this side would not have tried: the sender also learns here to send raw chunks only.
            observer.FellBack(P2PFallbackReason.WebPeer);
            return null;
        }

        if (!enabled || peer.NotNeeded)
        {
            return null; // silent: the user asked for no P2P, or the transfer is too small for it to pay off
        }

        if (!peer.Enabled || peer.Version != P2PIntentMessage.CurrentVersion)
        {
            observer.FellBack(P2PFallbackReason.DisabledByPeer);
            return null;
        }

        observer.Attempting();
        int port = ((IPEndPoint)context.Listener!.LocalEndPoint!).Port;
        bool relayOnLoopback = IPAddress.IsLoopback(context.RelayEndPoint.Address);
        NatMapping mapping = await NatProbe.DetectAsync(port, context.RelayEndPoint, context.ProbePort, context.ObservedByRelay, ProbeTimeout, ct).ConfigureAwait(false);
        bool symmetric = mapping == NatMapping.EndpointDependent;
        IReadOnlyList<Candidate> own = CandidateGatherer.Gather(port, context.RelayEndPoint.AddressFamily, relayOnLoopback, context.ObservedByRelay, symmetric);

        var offer = new P2PCandidatesMessage(symmetric, [.. own.Select(c => new WireCandidate((byte)c.Type, c.EndPoint))]);
        byte[] body = new byte[P2PCandidatesMessage.MaxSize];
        await channel.SendAsync(RecordKind.P2PCandidates, body.AsMemory(0, offer.Write(body)), ct).ConfigureAwait(false);
        Record peerRecord = await ExpectAsync(channel, RecordKind.P2PCandidates, ct).ConfigureAwait(false);
        if (!P2PCandidatesMessage.TryParse(peerRecord.Body.Span, out P2PCandidatesMessage? peerOffer))
        {
            throw Broken();
        }

        IPEndPoint[] ownEndPoints = [.. own.Select(c => c.EndPoint), context.ObservedByRelay];
        IReadOnlyList<Candidate> remote = CandidateValidator.Filter(
            peerOffer!.Candidates.Select(c => new Candidate((CandidateType)c.Type, c.EndPoint)), relayOnLoopback, ownEndPoints);

        await using var puncher = new HolePuncher(context.Listener, key, context.Punch, ct);
        puncher.Start(remote);
        return context.IsInitiator
            ? await DecideAsync(channel, transport, puncher, remote.Count == 0 && own.Count == 0, symmetric || peerOffer.SymmetricNat, observer, ct).ConfigureAwait(false)
            : await FollowAsync(channel, transport, puncher, observer, ct).ConfigureAwait(false);
    }

    private static async Task<DirectConnection?> DecideAsync(
        RecordPort channel, PathSwitchingTransport transport, HolePuncher puncher, bool nothingToTry, bool symmetric, IP2PObserver observer, CancellationToken ct)
    {
        DirectConnection? chosen = nothingToTry ? null : await puncher.WaitForFirstAsync(ct).ConfigureAwait(false);
        byte[] body = new byte[P2PSelectMessage.MaxSize];
        if (chosen is null)
        {
            P2PFallbackReason reason = symmetric ? P2PFallbackReason.SymmetricNat
                : nothingToTry ? P2PFallbackReason.NoUsableCandidates
                : P2PFallbackReason.Timeout;
            await channel.SendAsync(RecordKind.P2PSelect, body.AsMemory(0, new P2PSelectMessage(null, reason).Write(body)), ct).ConfigureAwait(false);
            observer.FellBack(reason);
            return null;
        }

        try
        {
            int length = new P2PSelectMessage(chosen.Id, default).Write(body);
            await channel.SendAsync(RecordKind.P2PSelect, body.AsMemory(0, length), () => transport.SwitchWritesToDirect(chosen), ct).ConfigureAwait(false);
            try
            {
                await ExpectAsync(channel, RecordKind.P2PSwitched, ct).ConfigureAwait(false);
                transport.SwitchReadsToDirect(chosen); // the peer's next record comes over the direct path
            }
            finally
            {
                channel.ResumeReads();
            }
        }
        catch
        {
            await chosen.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        observer.Upgraded(chosen.RemoteEndPoint, chosen.Rtt);
        return chosen;
    }

    private static async Task<DirectConnection?> FollowAsync(
        RecordPort channel, PathSwitchingTransport transport, HolePuncher puncher, IP2PObserver observer, CancellationToken ct)
    {
        DirectConnection chosen;
        try
        {
            Record record = await ExpectAsync(channel, RecordKind.P2PSelect, ct).ConfigureAwait(false);
            if (!P2PSelectMessage.TryParse(record.Body.Span, out P2PSelectMessage select))
            {
                throw Broken();
            }

            if (!select.Selected)
            {
                observer.FellBack(select.Reason);
                return null;
            }

            chosen = await puncher.TakeAsync(select.ConnectionId!, ct).ConfigureAwait(false)
                ?? throw Broken("a connection this side never proved");
            try
            {
                await channel.SendAsync(RecordKind.P2PSwitched, ReadOnlyMemory<byte>.Empty, () => transport.SwitchWritesToDirect(chosen), ct).ConfigureAwait(false);
                transport.SwitchReadsToDirect(chosen); // the peer's next record comes over the direct path
            }
            catch
            {
                await chosen.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            channel.ResumeReads();
        }

        observer.Upgraded(chosen.RemoteEndPoint, chosen.Rtt);
        return chosen;
    }

    private static async Task<Record> ExpectAsync(RecordPort channel, RecordKind kind, CancellationToken ct)
    {
        Record record = await channel.ReceiveAsync(ct).ConfigureAwait(false);
        return record.Kind == kind ? record : throw Broken($"{record.Kind} instead of {kind}");
    }

    private static TallowException Broken(string what = "a malformed message") => new(
        FailureKind.Error, $"the peer broke the P2P negotiation ({what}; incompatible version or tampering): the transfer was stopped.");
}
