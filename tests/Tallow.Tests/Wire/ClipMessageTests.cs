// ClipContent's header and ClipAnswer (protocol.md "Clipboard"): only the short list of MIME types
// parses (no control characters, no other types, no overlong or cut-short headers), flags beyond
// Final are refused, and hostile bytes never throw.
using Tallow.Wire;

namespace Tallow.Tests.Wire;

public class ClipMessageTests
{
    [Theory]
    [InlineData("text/plain;charset=utf-8")]
    [InlineData("image/png")]
    [InlineData("image/jpeg")]
    public void Known_types_round_trip_with_their_piece(string type)
    {
        byte[] body = Body(ClipPieceFlags.Final, 3, type, [1, 2, 3]);
        Assert.True(ClipPieceHeader.TryParse(body, out ClipPieceHeader header, out ReadOnlySpan<byte> piece));
        Assert.Equal(type, header.Type);
        Assert.Equal(3u, header.TotalSize);
        Assert.True(header.IsFinal);
        Assert.Equal(new byte[] { 1, 2, 3 }, piece.ToArray());
    }

    [Theory]
    [InlineData("text/html")]
    [InlineData("image/svg+xml")]
    [InlineData("application/x-sh")]
    [InlineData("IMAGE/PNG")]
    [InlineData("image/png\n")]
    [InlineData("image/png\u001b]52")]
    [InlineData("text/plain;charset=utf-8 ")]
    [InlineData("text/plain")]
    public void Other_types_are_refused(string type) =>
        Assert.False(ClipPieceHeader.TryParse(Body(ClipPieceFlags.Final, 0, type, []), out _, out _));

    [Fact]
    public void Unknown_flags_cut_headers_and_bad_type_lengths_are_refused()
    {
        byte[] good = Body(ClipPieceFlags.Final, 1, "image/png", [9]);
        Assert.True(ClipPieceHeader.TryParse(good, out _, out _));
        byte[] flags = (byte[])good.Clone();
        flags[0] = 2;
        Assert.False(ClipPieceHeader.TryParse(flags, out _, out _));
        for (int length = 0; length < 1 + 4 + 1 + "image/png".Length; length++)
        {
            Assert.False(ClipPieceHeader.TryParse(good.AsSpan(0, length), out _, out _));
        }

        byte[] zeroType = [1, 0, 0, 0, 0, 0];
        Assert.False(ClipPieceHeader.TryParse(zeroType, out _, out _));
        byte[] longType = [1, 0, 0, 0, 0, 200, .. new byte[200]];
        Assert.False(ClipPieceHeader.TryParse(longType, out _, out _));
    }

    [Fact]
    public void Random_bodies_never_throw()
    {
        var random = new Random(31);
        for (int i = 0; i < 20_000; i++)
        {
            byte[] body = new byte[random.Next(0, 40)];
            random.NextBytes(body);
            if (ClipPieceHeader.TryParse(body, out ClipPieceHeader header, out _))
            {
                Assert.True(ClipMime.IsKnown(header.Type));
            }

            ClipAnswerMessage.TryParse(body, out _);
        }
    }

    [Fact]
    public void ClipAnswer_round_trips_and_refuses_unknown_status_or_trailing_bytes()
    {
        var answer = new ClipAnswerMessage(ClipAnswerStatus.Refused, "too large ✓");
        byte[] body = new byte[answer.GetSize()];
        answer.Write(body);
        Assert.True(ClipAnswerMessage.TryParse(body, out ClipAnswerMessage back));
        Assert.Equal(answer, back);
        Assert.False(ClipAnswerMessage.TryParse([.. body, 0], out _));
        body[0] = 2;
        Assert.False(ClipAnswerMessage.TryParse(body, out _));
    }

    private static byte[] Body(ClipPieceFlags flags, uint total, string type, byte[] piece)
    {
        byte[] typeBytes = System.Text.Encoding.UTF8.GetBytes(type);
        byte[] body = new byte[1 + 4 + 1 + typeBytes.Length + piece.Length];
        body[0] = (byte)flags;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(1), total);
        body[5] = (byte)typeBytes.Length;
        typeBytes.CopyTo(body, 6);
        piece.CopyTo(body, 6 + typeBytes.Length);
        return body;
    }
}
