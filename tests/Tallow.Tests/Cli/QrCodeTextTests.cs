// QrCodeText: the half-block drawing round-trips QRCoder's module matrix exactly (plain and
// painted), keeps its quiet zone, and Parse refuses anything that is not its own drawing. The
// real decode of the binary's output with zbarimg is in the integration tests (QrCodeTests).
using Tallow.Cli.Output;

namespace Tallow.Tests.Cli;

public class QrCodeTextTests
{
    [Theory]
    [InlineData("tallow receive 7-alpha-bravo --relay 127.0.0.1:4433", false)]
    [InlineData("tallow receive 7-alpha-bravo --relay 127.0.0.1:4433", true)]
    [InlineData("tallow receive 123-word-word-word-word --relay tls://relay.example.org:443 --relay-fingerprint AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89", false)]
    [InlineData("x", true)]
    public void Drawing_parses_back_to_the_same_modules(string text, bool colours)
    {
        bool[,] modules = QrCodeText.Modules(text);
        int size = modules.GetLength(0);
        Assert.Equal(size, modules.GetLength(1));
        Assert.True(size >= 21 + 8, "a QR code is at least 21 modules plus a 4-module quiet zone on each side");

        IReadOnlyList<string> lines = QrCodeText.Render(modules, colours);
        Assert.Equal((size + 1) / 2, lines.Count);
        bool[,] parsed = QrCodeText.Parse(lines) ?? throw new Xunit.Sdk.XunitException("the drawing did not parse");
        for (int row = 0; row < parsed.GetLength(0); row++)
        {
            for (int column = 0; column < size; column++)
            {
                bool expected = row < size && modules[row, column];
                Assert.True(expected == parsed[row, column], $"module ({row}, {column}) differs");
            }
        }
    }

    [Fact]
    public void The_quiet_zone_is_four_light_modules_on_every_side()
    {
        bool[,] modules = QrCodeText.Modules("tallow receive 7-alpha-bravo");
        int size = modules.GetLength(0);
        for (int i = 0; i < size; i++)
        {
            for (int q = 0; q < 4; q++)
            {
                Assert.False(modules[q, i] || modules[size - 1 - q, i] || modules[i, q] || modules[i, size - 1 - q], $"dark module in the quiet zone near {i}");
            }
        }

        Assert.True(modules[4, 4], "the finder pattern starts right after the quiet zone");
    }

    [Fact]
    public void Painted_rows_are_black_on_white_and_reset_after()
    {
        IReadOnlyList<string> lines = QrCodeText.Render(QrCodeText.Modules("x"), colours: true);
        Assert.All(lines, l => Assert.True(l.StartsWith("\u001b[30;107m", StringComparison.Ordinal) && l.EndsWith("\u001b[0m", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("██ x")]
    [InlineData("\u001b[31m█")]
    public void Anything_else_does_not_parse(string line) => Assert.Null(QrCodeText.Parse([line, line]));

    [Fact]
    public void Rows_of_different_widths_do_not_parse() => Assert.Null(QrCodeText.Parse(["██", "█"]));
}
