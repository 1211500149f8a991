// The selector's filter ('/'): typing narrows the list case-insensitively, a/n act on the matches
// only, Enter keeps the filter (without confirming), Esc clears it and only then cancels.
using Tallow.Cli.Output;

namespace Tallow.Tests.Cli;

public class FileSelectionFilterTests
{
    private const int Height = 24;

    private static FileSelection Make() => new(
    [
        new SelectableFile("photos/a.jpg", 1024),
        new SelectableFile("docs/report.pdf", 2048),
        new SelectableFile("photos/b.JPG", 1024),
        new SelectableFile("music/song.mp3", 4096),
    ]);

    private static ConsoleKeyInfo Char(char c) => new(c, c == ' ' ? ConsoleKey.Spacebar : ConsoleKey.NoName, false, false, false);

    private static ConsoleKeyInfo Key(ConsoleKey key, char c = '\0') => new(c, key, false, false, false);

    private static void Type(FileSelection s, string text)
    {
        foreach (char c in text)
        {
            s.Press(Char(c), Height);
        }
    }

    [Fact]
    public void Typing_after_slash_narrows_the_list_case_insensitively()
    {
        FileSelection s = Make();
        Type(s, "/jpg");
        Assert.True(s.EditingFilter);
        Assert.Equal("jpg", s.Filter);
        Assert.Equal(2, s.Shown);
        SelectorFrame frame = s.Render(80, Height);
        Assert.StartsWith("Filter: jpg_", frame.Lines[0], StringComparison.Ordinal);
        Assert.Contains("photos/a.jpg", frame.Lines[1], StringComparison.Ordinal);
        Assert.Contains("photos/b.JPG", frame.Lines[2], StringComparison.Ordinal);
        Assert.EndsWith("[1-2 of 2 matching]", frame.Lines[^1], StringComparison.Ordinal);
        Assert.StartsWith("4 of 4 files", frame.Lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Select_none_and_all_act_on_the_matches_only_and_enter_keeps_the_filter()
    {
        FileSelection s = Make();
        Type(s, "/photos");
        s.Press(Key(ConsoleKey.Enter, '\r'), Height);
        Assert.False(s.EditingFilter);
        Assert.Equal(SelectionState.Choosing, s.State);
        Type(s, "n");
        Assert.Equal([1, 3], s.SelectedIndices());
        Assert.Equal("2 of 4 files, 6.0 KiB of 8.0 KiB selected", s.Footer());
        Type(s, "j ");
        Assert.Equal(2, s.CurrentFile);
        Assert.Equal([1, 2, 3], s.SelectedIndices());
        s.Press(Key(ConsoleKey.Escape, '\x1b'), Height); // clears the filter, the selection stays
        Assert.Equal(string.Empty, s.Filter);
        Assert.Equal(4, s.Shown);
        Assert.Equal(2, s.CurrentFile);
        Assert.Equal(SelectionState.Choosing, s.State);
        s.Press(Key(ConsoleKey.Enter, '\r'), Height);
        Assert.Equal(SelectionState.Confirmed, s.State);
        Assert.Equal([1, 2, 3], s.SelectedIndices());
    }

    [Fact]
    public void Esc_without_a_filter_cancels_and_ctrl_c_always_cancels()
    {
        FileSelection plain = Make();
        plain.Press(Key(ConsoleKey.Escape, '\x1b'), Height);
        Assert.Equal(SelectionState.Cancelled, plain.State);

        FileSelection editing = Make();
        Type(editing, "/doc");
        editing.Press(new ConsoleKeyInfo('\x03', ConsoleKey.C, false, false, true), Height);
        Assert.Equal(SelectionState.Cancelled, editing.State);
    }

    [Fact]
    public void While_editing_letters_are_text_backspace_deletes_and_esc_clears()
    {
        FileSelection s = Make();
        Type(s, "/qan j");
        Assert.Equal("qan j", s.Filter);
        Assert.Equal(SelectionState.Choosing, s.State);
        Assert.Equal(4, s.SelectedCount);
        Assert.Equal(0, s.Shown);
        SelectorFrame frame = s.Render(80, Height);
        Assert.Equal(-1, frame.CursorLine);
        Assert.Contains("(no file matches the filter)", frame.Lines);
        s.Press(Char(' '), Height);
        for (int i = 0; i < 6; i++)
        {
            s.Press(Key(ConsoleKey.Backspace, '\b'), Height);
        }

        Assert.Equal(string.Empty, s.Filter);
        Assert.Equal(4, s.Shown);
        Type(s, "mp3");
        Assert.Equal(3, s.CurrentFile);
        s.Press(Key(ConsoleKey.Escape, '\x1b'), Height);
        Assert.False(s.EditingFilter);
        Assert.Equal(string.Empty, s.Filter);
        Assert.Equal(SelectionState.Choosing, s.State);
    }

    [Fact]
    public void Control_characters_never_enter_the_filter_and_its_length_is_bounded()
    {
        FileSelection s = Make();
        Type(s, "/a\u001b");
        Assert.Equal(string.Empty, s.Filter); // Esc cleared it
        Type(s, "/\u0007\u0001\u009b" + new string('x', FileSelection.MaxFilterLength + 50));
        Assert.Equal(FileSelection.MaxFilterLength, s.Filter.Length);
        Assert.All(s.Render(40, 10).Lines, l => Assert.DoesNotContain(l, char.IsControl));
    }

    [Fact]
    public void Random_typing_keeps_the_invariants()
    {
        var random = new Random(4242);
        ConsoleKeyInfo[] pool =
        [
            Char('/'), Char('/'), Char('p'), Char('o'), Char('s'), Char('.'), Char('a'), Char('n'), Char('j'), Char('k'), Char(' '), Char('x'),
            Key(ConsoleKey.Backspace, '\b'), Key(ConsoleKey.Escape, '\x1b'), Key(ConsoleKey.UpArrow), Key(ConsoleKey.DownArrow),
            Key(ConsoleKey.PageDown), Key(ConsoleKey.End), Key(ConsoleKey.Home), Key(ConsoleKey.Enter, '\r'),
        ];
        string[] words = ["photos", "docs", "music", "pos", "a.", "x"];
        for (int run = 0; run < 200; run++)
        {
            int count = random.Next(0, 40);
            var s = new FileSelection([.. Enumerable.Range(0, count).Select(i => new SelectableFile($"{words[i % words.Length]}/{i}.bin", (ulong)i))]);
            for (int step = 0; step < 60 && s.State == SelectionState.Choosing; step++)
            {
                int height = random.Next(0, 20);
                s.Press(pool[random.Next(pool.Length)], height);
                Assert.InRange(s.Cursor, 0, Math.Max(0, s.Shown - 1));
                Assert.InRange(s.Shown, 0, count);
                IReadOnlyList<int> selected = s.SelectedIndices();
                Assert.Equal(selected.Count, s.SelectedCount);
                Assert.Equal(selected.Aggregate(0UL, (sum, i) => sum + (ulong)i), s.SelectedBytes);
                SelectorFrame frame = s.Render(random.Next(0, 100), height);
                Assert.InRange(frame.Lines.Count, 1, Math.Max(1, (height > 0 ? height : 24) - 1));
                Assert.Equal(s.Shown > 0, frame.CursorLine >= 0);
            }
        }
    }
}
