// Target "relay-messages": the relay control messages of DESIGN.md §5, both directions
// (Hello/Auth/Allocate/Claim parsed by the relay, Welcome/Opened/Paired/Error by the client).
// The input is a stream of frames, cut with the relay's unpaired limit; each payload goes to the
// parser of its frame type. A message that parses must encode back to the same bytes.
using System.Net;
using Tallow.Fuzz.Targets.Support;
using Tallow.Wire;

namespace Tallow.Fuzz.Targets.Relay;

public static class RelayMessageTargets
{
    public static readonly FuzzTarget RelayMessages = new(
        "relay-messages", "Hello/Welcome/Auth/Allocate/Nameplate/Paired/ErrorMessage.TryParse", Fuzz, Seeds);

    public static void Fuzz(ReadOnlySpan<byte> data)
    {
        while (Frame.TryParse(data, Frame.MaxUnpairedLength, out FrameType type, out ReadOnlySpan<byte> payload, out int consumed) == FrameStatus.Ok)
        {
            ParseOne(type, payload);
            data = data[consumed..];
        }
    }

    private static void ParseOne(FrameType type, ReadOnlySpan<byte> payload)
    {
        switch (type)
        {
            case FrameType.Hello when HelloMessage.TryParse(payload, out HelloMessage hello):
                RoundTrip(payload, HelloMessage.Size, hello.Write);
                break;
            case FrameType.Welcome when WelcomeMessage.TryParse(payload, out WelcomeMessage welcome):
                FuzzInvariantException.Check(welcome.Nonce.Length == RelayProtocol.NonceSize, "Welcome: nonce size");
                if (!welcome.ObservedAddress.Address.IsIPv4MappedToIPv6)
                {
                    RoundTrip(payload, WelcomeMessage.MaxSize, welcome.Write); // a mapped address is re-encoded as IPv4 on purpose
                }

                break;
            case FrameType.Auth when AuthMessage.TryParse(payload, out AuthMessage auth):
                RoundTrip(payload, AuthMessage.Size, auth.Write);
                break;
            case FrameType.Allocate when AllocateMessage.TryParse(payload, out AllocateMessage allocate):
                FuzzInvariantException.Check(allocate.Capacity is >= 2 and <= RelayProtocol.MaxRoomCapacity, "Allocate: capacity out of range");
                RoundTrip(payload, AllocateMessage.Size, allocate.Write);
                break;
            case FrameType.Claim or FrameType.Opened when NameplateMessage.TryParse(payload, out NameplateMessage nameplate):
                FuzzInvariantException.Check(nameplate.Nameplate != 0, "Nameplate: zero accepted");
                RoundTrip(payload, NameplateMessage.Size, nameplate.Write);
                break;
            case FrameType.Paired when PairedMessage.TryParse(payload, out PairedMessage paired):
                FuzzInvariantException.Check(paired.Index < paired.PeerCount, "Paired: index outside the room");
                RoundTrip(payload, PairedMessage.Size, paired.Write);
                break;
            case FrameType.Error when ErrorMessage.TryParse(payload, out ErrorMessage error):
                FuzzInvariantException.Check(System.Text.Encoding.UTF8.GetByteCount(error.Message) <= RelayProtocol.MaxErrorMessageBytes, "Error: text over the limit");
                break;
        }
    }

    private static void RoundTrip(ReadOnlySpan<byte> payload, int capacity, SpanWrite write) =>
        FuzzInvariantException.Check(Encoded.Message(capacity, write).AsSpan().SequenceEqual(payload), "a parsed relay message does not encode back to its bytes");

    public static IEnumerable<byte[]> Seeds()
    {
        var v4 = new IPEndPoint(IPAddress.Parse("203.0.113.7"), 40000);
        var v6 = new IPEndPoint(IPAddress.Parse("2001:db8::1"), 443);
        byte[] nonce = [.. Enumerable.Range(0, RelayProtocol.NonceSize).Select(i => (byte)i)];
        yield return Encoded.Frames(
            (FrameType.Hello, Encoded.Message(HelloMessage.Size, new HelloMessage(RelayProtocol.Version).Write)),
            (FrameType.Auth, new byte[AuthMessage.Size]),
            (FrameType.Allocate, Encoded.Message(AllocateMessage.Size, new AllocateMessage(2, 0).Write)));
        yield return Encoded.Frames(
            (FrameType.Welcome, Encoded.Message(WelcomeMessage.MaxSize, new WelcomeMessage(RelayProtocol.Version, v4, nonce, true, 3479, [.. Enumerable.Range(0, RelayProtocol.AuthShareSize).Select(i => (byte)(i * 7))]).Write)),
            (FrameType.Opened, Encoded.Message(NameplateMessage.Size, new NameplateMessage(42).Write)),
            (FrameType.Paired, Encoded.Message(PairedMessage.Size, new PairedMessage(2, 1).Write)));
        yield return Encoded.Frames(
            (FrameType.Welcome, Encoded.Message(WelcomeMessage.MaxSize, new WelcomeMessage(RelayProtocol.Version, v6, nonce, false, 0).Write)),
            (FrameType.Claim, Encoded.Message(NameplateMessage.Size, new NameplateMessage(9).Write)));
        yield return Encoded.Frames((FrameType.Error, Encoded.Message(600, new ErrorMessage(RelayErrorCode.RoomFull, "room is full: ask for a new code").Write)));
    }
}
