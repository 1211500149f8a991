// Target "clip-messages": the clipboard record bodies (protocol.md "Clipboard"): ClipContent's
// piece header and ClipAnswer. A selector byte picks the parser. Parsers return false on bad
// input and never throw; a header that parses names a type from ClipMime.Known and encodes back
// to its bytes; an answer encodes back to its bytes.
using Tallow.Fuzz.Targets.Support;
using Tallow.Wire;

namespace Tallow.Fuzz.Targets.Protocol;

public static class ClipMessageTargets
{
    public static readonly FuzzTarget ClipMessages = new("clip-messages", "ClipPieceHeader/ClipAnswerMessage.TryParse", Fuzz, Seeds);

    public static void Fuzz(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        ReadOnlySpan<byte> body = data[1..];
        if ((data[0] & 1) == 0)
        {
            if (ClipPieceHeader.TryParse(body, out ClipPieceHeader header, out ReadOnlySpan<byte> piece))
            {
                FuzzInvariantException.Check(ClipMime.IsKnown(header.Type), "ClipContent: a type outside the list accepted");
                FuzzInvariantException.Check(header.Size + piece.Length == body.Length, "ClipContent: header and piece do not cover the body");
                FuzzInvariantException.Check(Encoded.Message(header.Size, header.Write).AsSpan().SequenceEqual(body[..header.Size]), "ClipContent: header does not encode back");
            }
        }
        else if (ClipAnswerMessage.TryParse(body, out ClipAnswerMessage answer))
        {
            FuzzInvariantException.Check(answer.GetSize() == body.Length, "ClipAnswer: GetSize differs from the parsed length");
            FuzzInvariantException.Check(Encoded.Message(body.Length, answer.Write).AsSpan().SequenceEqual(body), "ClipAnswer: does not encode back to its bytes");
        }
    }

    public static IEnumerable<byte[]> Seeds()
    {
        var header = new ClipPieceHeader(ClipPieceFlags.Final, 5, ClipMime.Text);
        yield return Encoded.Tagged(0, [.. Encoded.Message(header.Size, header.Write), .. "hello"u8.ToArray()]);
        var image = new ClipPieceHeader(ClipPieceFlags.None, 1 << 20, "image/png");
        yield return Encoded.Tagged(0, [.. Encoded.Message(image.Size, image.Write), 0x89, (byte)'P', (byte)'N', (byte)'G']);
        var answer = new ClipAnswerMessage(ClipAnswerStatus.Refused, "over the limit of 16 MiB");
        yield return Encoded.Tagged(1, Encoded.Message(answer.GetSize(), answer.Write));
    }
}
