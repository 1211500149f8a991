// What the selector draws for names a hostile sender chose: no control, escape, bidi, format or
// separator character ever reaches the terminal, and long or wide names are cut by display width.
using System.Globalization;
using System.Text;
using Tallow.Cli.Output;

namespace Tallow.Tests.Cli;

public class SelectorRenderingTests
{
    public static TheoryData<string> HostileNames => new()
    {
        "evil\u001b[2J\u001b]0;pwned\u0007.txt",
        "csi\u009b31m8bit\u0085nel.txt",
        "tab\there\rcr\nlf\u007fdel\0nul",
        "bidi\u202Egnp.exe",
        "iso\u2066late\u2069\u200E\u200F\u061C",
        "line\u2028sep\u2029para",
        "zero\u200Bwidth\u200D\uFEFFbom\u00ADshy",
        "lone\uD800surrogate\uDFFF",
        "unassigned\U000E0001tag\U0010FFFF",
        "combining\u0301\u0301\u0301",
    };

    [Theory]
    [MemberData(nameof(HostileNames))]
    public void Hostile_names_render_without_control_characters(string name)
    {
        var s = new FileSelection([new SelectableFile(name, 1), new SelectableFile("dir/" + name, 2)]);
        foreach (int width in new[] { 0, 5, 20, 80 })
        {
            SelectorFrame frame = s.Render(width, 10);
            Assert.All(frame.Lines, AssertTerminalSafe);
        }
    }

    [Fact]
    public void Clean_replaces_every_unsafe_rune_and_keeps_ordinary_unicode()
    {
        Assert.Equal("evil?[2J?]0;pwned?.txt", TerminalText.Clean("evil\u001b[2J\u001b]0;pwned\u0007.txt"));
        Assert.Equal("line?sep", TerminalText.Clean("line\u2028sep"));
        Assert.Equal("zero?width", TerminalText.Clean("zero\u200Bwidth"));
        Assert.Equal("Ünïcödé/日本語/файл 😀.txt", TerminalText.Clean("Ünïcödé/日本語/файл 😀.txt"));
    }

    [Fact]
    public void Widths_count_wide_characters_twice_and_combining_marks_not_at_all()
    {
        Assert.Equal(6, TerminalText.Width("日本語"));
        Assert.Equal(2, TerminalText.Width("😀"));
        Assert.Equal(1, TerminalText.Width("e\u0301"));
        Assert.Equal(5, TerminalText.Width("plain"));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(11)]
    [InlineData(30)]
    [InlineData(7)]
    [InlineData(1)]
    public void Long_and_wide_names_are_cut_with_an_ellipsis_within_the_width(int columns)
    {
        string name = TerminalText.Clean(string.Concat(Enumerable.Repeat("日本語ファイル", 20)) + "/end.txt");
        string cut = TerminalText.FitMiddle(name, columns);
        Assert.InRange(TerminalText.Width(cut), Math.Max(0, columns - 1), columns); // a wide char may leave one column free
        Assert.Contains(TerminalText.Ellipsis, cut, StringComparison.Ordinal);
        if (columns >= 8)
        {
            Assert.EndsWith("end.txt", cut, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_very_long_name_keeps_its_start_end_and_the_size_column()
    {
        string name = "photos/" + new string('x', 500) + "/IMG_0001.jpg";
        var s = new FileSelection([new SelectableFile(name, 5 * 1024 * 1024)]);
        string row = s.Render(60, 10).Lines[1];
        Assert.Equal(59, TerminalText.Width(row));
        Assert.StartsWith("> [x] photos/", row, StringComparison.Ordinal);
        Assert.Contains("…", row, StringComparison.Ordinal);
        Assert.Contains("IMG_0001.jpg", row, StringComparison.Ordinal);
        Assert.EndsWith("5.0 MiB", row, StringComparison.Ordinal);
    }

    private static void AssertTerminalSafe(string line)
    {
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            Assert.False(char.IsControl(c), $"control U+{(int)c:X4} in '{line}'");
            Assert.False(char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && i + 1 < line.Length && char.IsLowSurrogate(line[i + 1])) && !(char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(line[i - 1])),
                $"unpaired surrogate in '{line}'");
        }

        foreach (Rune rune in line.EnumerateRunes())
        {
            UnicodeCategory category = Rune.GetUnicodeCategory(rune);
            Assert.False(category is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.OtherNotAssigned,
                $"U+{rune.Value:X4} ({category}) in '{line}'");
        }
    }
}
