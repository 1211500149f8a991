// TerminalSafeStream: received text printed on a terminal keeps its readable UTF-8, newlines and
// tabs, and loses C0, DEL, C1 (C2 80–9F) and bidi controls, also when a write splits a sequence.
using System.Text;
using Tallow.Cli.Output;

namespace Tallow.Tests.Cli;

public class TerminalSafeStreamTests
{
    [Theory]
    [InlineData("plain ünïcödé ✓ 日本 ‘quotes’ — dash\n\tx", "plain ünïcödé ✓ 日本 ‘quotes’ — dash\n\tx")]
    [InlineData("a\u001b[2Jb", "a?[2Jb")]
    [InlineData("a\u009b31mb", "a??31mb")]
    [InlineData("a\u0085b", "a??b")]
    [InlineData("a\u202eevil\u202cb", "a???evil???b")]
    [InlineData("a\u2066b\u2069c", "a???b???c")]
    [InlineData("a\u200eb\u200fc\u061cd", "a???b???c??d")]
    [InlineData("a\rb\u007fc", "a?b?c")]
    public void Controls_are_replaced_and_text_is_kept(string input, string expected)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(input);
        Assert.Equal(expected, Encoding.UTF8.GetString(Write(bytes, [bytes.Length])));
        for (int split = 1; split < bytes.Length; split++)
        {
            Assert.Equal(expected, Encoding.UTF8.GetString(Write(bytes, [split, bytes.Length - split]))); // every split point
        }

        Assert.Equal(expected, Encoding.UTF8.GetString(Write(bytes, [.. Enumerable.Repeat(1, bytes.Length)]))); // byte by byte
    }

    [Fact]
    public void An_unfinished_sequence_at_the_end_is_written_as_question_marks()
    {
        byte[] output = Write([(byte)'a', 0xE2, 0x80], [3]);
        Assert.Equal("a??", Encoding.ASCII.GetString(output));
    }

    private static byte[] Write(byte[] input, int[] pieces)
    {
        var sink = new MemoryStream();
        using (var stream = new TerminalSafeStream(sink))
        {
            int at = 0;
            foreach (int piece in pieces)
            {
                stream.Write(input, at, piece);
                at += piece;
            }
        }

        return sink.ToArray();
    }
}
