// TerminalText.CleanLines, the filter every human status and error line passes (Reporter): line
// breaks stay, every control a relay or peer could smuggle in does not.
using Tallow.Cli.Output;

namespace Tallow.Tests.Cli;

public class TerminalTextLinesTests
{
    [Theory]
    [InlineData("plain text, ünïcödé ✓ 日本", "plain text, ünïcödé ✓ 日本")]
    [InlineData("On the other computer run:\n\n    tallow receive 7-a-b\n", "On the other computer run:\n\n    tallow receive 7-a-b\n")]
    [InlineData("a\r\nb", "a\nb")]
    [InlineData("x\u001b]0;owned\u0007y", "x?]0;owned?y")]
    [InlineData("x\u001b[2Jy", "x?[2Jy")]
    [InlineData("x\u009b31my", "x?31my")]
    [InlineData("x\u202eevil\u2066y", "x?evil?y")]
    [InlineData("over\rwrite\bback", "over?write?back")]
    public void Line_breaks_stay_and_controls_become_question_marks(string text, string expected) =>
        Assert.Equal(expected, TerminalText.CleanLines(text));
}
