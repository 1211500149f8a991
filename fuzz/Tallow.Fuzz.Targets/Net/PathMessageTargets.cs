// Targets of the direct-path upgrade (DESIGN.md §9):
//   "p2p"    the sealed negotiation bodies (P2PIntent, P2PCandidates, P2PSelect), candidates
//            then through CandidateValidator exactly as P2PNegotiator does
//   "direct" the plaintext frames of a direct connection (DirectHello, PathAck, PathResync)
// A selector byte picks the parser. Parsers return false on bad input and never throw.
using System.Net;
using Tallow.Fuzz.Targets.Support;
using Tallow.Net.Direct;
using Tallow.Wire;

namespace Tallow.Fuzz.Targets.Net;

public static class PathMessageTargets
{
    public static readonly FuzzTarget P2P = new("p2p", "P2PIntent/P2PCandidates/P2PSelectMessage.TryParse, CandidateValidator", FuzzP2P, P2PSeeds);

    public static readonly FuzzTarget Direct = new("direct", "DirectHelloMessage.TryParse, PathMessages.TryParseAck/TryParseResync", FuzzDirect, DirectSeeds);

    private static readonly IPEndPoint[] OwnEndPoints = [new(IPAddress.Parse("192.168.1.10"), 40000), new(IPAddress.Parse("203.0.113.5"), 40000)];

    public static void FuzzP2P(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        ReadOnlySpan<byte> body = data[1..];
        switch (data[0] % 3)
        {
            case 0 when P2PIntentMessage.TryParse(body, out P2PIntentMessage intent):
                FuzzInvariantException.Check(Encoded.Message(P2PIntentMessage.Size, intent.Write).AsSpan().SequenceEqual(body), "P2PIntent: does not encode back");
                break;
            case 1 when P2PCandidatesMessage.TryParse(body, out P2PCandidatesMessage? offer):
                FuzzInvariantException.Check(offer!.Candidates.Count <= P2PCandidatesMessage.MaxCandidates, "P2PCandidates: too many candidates");
                bool relayOnLoopback = (data[0] & 0x80) != 0;
                IReadOnlyList<Candidate> usable = CandidateValidator.Filter(
                    offer.Candidates.Select(c => new Candidate((CandidateType)c.Type, c.EndPoint)), relayOnLoopback, OwnEndPoints);
                foreach (Candidate candidate in usable)
                {
                    FuzzInvariantException.Check(CandidateValidator.IsUsable(candidate.EndPoint, relayOnLoopback, out _), "CandidateValidator kept an unusable candidate");
                    FuzzInvariantException.Check(!candidate.EndPoint.Address.IsIPv4MappedToIPv6, "CandidateValidator kept an IPv4-mapped address");
                    FuzzInvariantException.Check(!OwnEndPoints.Contains(candidate.EndPoint), "CandidateValidator kept one of our own endpoints");
                }

                FuzzInvariantException.Check(usable.Distinct().Count() == usable.Count, "CandidateValidator kept a duplicate");
                break;
            case 2 when P2PSelectMessage.TryParse(body, out P2PSelectMessage select):
                FuzzInvariantException.Check(Encoded.Message(P2PSelectMessage.MaxSize, select.Write).AsSpan().SequenceEqual(body), "P2PSelect: does not encode back");
                _ = P2PFallbackReasons.Describe(select.Reason);
                break;
        }
    }

    public static void FuzzDirect(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        ReadOnlySpan<byte> payload = data[1..];
        switch (data[0] % 3)
        {
            case 0 when DirectHelloMessage.TryParse(payload, out DirectHelloMessage hello):
                FuzzInvariantException.Check(Encoded.Message(DirectHelloMessage.Size, hello.Write).AsSpan().SequenceEqual(payload), "DirectHello: does not encode back");
                break;
            case 1 when PathMessages.TryParseAck(payload, out ulong acked):
                FuzzInvariantException.Check(payload.Length == PathMessages.AckSize && acked == System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(payload), "PathAck: wrong count");
                break;
            case 2 when PathMessages.TryParseResync(payload, out _, out ReadOnlySpan<byte> mac):
                FuzzInvariantException.Check(mac.Length == PathMessages.MacSize, "PathResync: wrong MAC size");
                break;
        }
    }

    public static IEnumerable<byte[]> P2PSeeds()
    {
        yield return Encoded.Tagged(0, Encoded.Message(P2PIntentMessage.Size, new P2PIntentMessage(P2PIntentMessage.CurrentVersion, true).Write));
        var candidates = new P2PCandidatesMessage(true,
        [
            new WireCandidate(1, new IPEndPoint(IPAddress.Parse("192.168.1.20"), 40001)),
            new WireCandidate(2, new IPEndPoint(IPAddress.Parse("198.51.100.9"), 51000)),
            new WireCandidate(1, new IPEndPoint(IPAddress.Parse("fd00::20"), 40001)),
            new WireCandidate(1, new IPEndPoint(IPAddress.Parse("::ffff:10.0.0.3"), 40001)),
        ]);
        yield return Encoded.Tagged(1, Encoded.Message(P2PCandidatesMessage.MaxSize, candidates.Write));
        yield return Encoded.Tagged(2, Encoded.Message(P2PSelectMessage.MaxSize, new P2PSelectMessage(new byte[P2PSelectMessage.IdSize], default).Write));
        yield return Encoded.Tagged(2, Encoded.Message(P2PSelectMessage.MaxSize, new P2PSelectMessage(null, P2PFallbackReason.SymmetricNat).Write));
    }

    public static IEnumerable<byte[]> DirectSeeds()
    {
        yield return Encoded.Tagged(0, Encoded.Message(DirectHelloMessage.Size, new DirectHelloMessage(1, new byte[DirectHelloMessage.NonceSize]).Write));
        yield return Encoded.Tagged(1, new byte[PathMessages.AckSize]);
        yield return Encoded.Tagged(2, new byte[PathMessages.ResyncSize]);
    }
}
