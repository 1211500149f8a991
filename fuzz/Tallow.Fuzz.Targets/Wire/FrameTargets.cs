// Target "frames": the frame layer every connection starts with (DESIGN.md §4). The bytes are
// parsed twice, by Frame.TryParse over the whole buffer and by FrameReader over a stream that
// returns short reads; both must see the same frames, and neither may throw.
using Tallow.Fuzz.Targets.Support;
using Tallow.Wire;

namespace Tallow.Fuzz.Targets.Wire;

public static class FrameTargets
{
    /// <summary>Small enough that a fuzz input reaches it, large enough to hold real control frames.</summary>
    private const int MaxLength = 4096;

    public static readonly FuzzTarget Frames = new("frames", "Frame.TryParse, Frame.TryReadHeader, FrameReader", Fuzz, Seeds);

    public static void Fuzz(ReadOnlySpan<byte> data)
    {
        var parsed = new List<(FrameType Type, byte[] Payload)>();
        int position = 0;
        FrameStatus status;
        while ((status = Frame.TryParse(data[position..], MaxLength, out FrameType type, out ReadOnlySpan<byte> payload, out int consumed)) == FrameStatus.Ok)
        {
            FuzzInvariantException.Check(consumed == Frame.HeaderSize + payload.Length && consumed <= data.Length - position, "TryParse: consumed does not match the payload");
            FuzzInvariantException.Check(payload.Length + 1 <= MaxLength, "TryParse: frame above the limit accepted");
            parsed.Add((type, payload.ToArray()));
            position += consumed;
        }

        using var reader = new FrameReader(new PeerStream(data.ToArray()), initialBufferSize: 16);
        int index = 0;
        while (true)
        {
            FrameReadResult result = reader.ReadAsync(MaxLength, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            if (!result.IsFrame)
            {
                bool cleanEnd = result.EndOfStream && result.Status == FrameStatus.Ok;
                FuzzInvariantException.Check(index == parsed.Count, "FrameReader and TryParse disagree on the number of frames");
                FuzzInvariantException.Check(cleanEnd == (status == FrameStatus.NeedMore && position == data.Length), "FrameReader and TryParse disagree on a clean end");
                FuzzInvariantException.Check(result.EndOfStream || result.Status == status, "FrameReader and TryParse disagree on the refusal");
                return;
            }

            FuzzInvariantException.Check(index < parsed.Count, "FrameReader found a frame TryParse did not");
            FuzzInvariantException.Check(result.Type == parsed[index].Type && reader.CurrentPayload.Span.SequenceEqual(parsed[index].Payload), "FrameReader and TryParse disagree on a frame");
            FuzzInvariantException.Check(result.HeaderAndPayloadLength == reader.CurrentFrame.Length, "FrameReader: frame length does not match");
            index++;
        }
    }

    public static IEnumerable<byte[]> Seeds()
    {
        yield return Encoded.Frames((FrameType.Hello, Encoded.Message(HelloMessage.Size, new HelloMessage(RelayProtocol.Version).Write)));
        yield return Encoded.Frames((FrameType.Ping, []), (FrameType.Claim, Encoded.Message(4, new NameplateMessage(7).Write)), (FrameType.Record, new byte[300]));
        yield return Encoded.Frames((FrameType.PathAck, new byte[PathMessages.AckSize]))[..7]; // cut inside the payload
        yield return [0, 0, 0, 0, 1]; // zero length
        yield return [0, 1, 0, 0, 0x20]; // above the limit
    }
}
