// The chat input line's editing keys, one transition at a time (no terminal involved).
using Tallow.Cli.Output;

namespace Tallow.Tests.Cli;

public class LineEditorTests
{
    private readonly LineEditor _editor = new();

    [Fact]
    public void Cursor_keys_insert_in_the_middle()
    {
        Type("helo");
        Key(ConsoleKey.LeftArrow);
        Type("l");
        Assert.Equal("hello", _editor.Text);
        Key(ConsoleKey.Home);
        Type("[");
        Key(ConsoleKey.End);
        Type("]");
        Assert.Equal("[hello]", _editor.Text);
        Ctrl('A');
        Key(ConsoleKey.RightArrow);
        Type("<");
        Ctrl('E');
        Type(">");
        Assert.Equal("[<hello]>", _editor.Text);
    }

    [Fact]
    public void Tab_inserts_what_the_completer_returns_for_the_text_before_the_cursor()
    {
        var seen = new List<string>();
        var editor = new LineEditor { Completer = before => { seen.Add(before); return before.EndsWith("am", StringComparison.Ordinal) ? "ber-" : null; } };
        foreach (char c in "7-am lunar")
        {
            editor.Apply(new ConsoleKeyInfo(c, 0, false, false, false));
        }

        for (int i = 0; i < " lunar".Length; i++)
        {
            editor.Apply(new ConsoleKeyInfo('\0', ConsoleKey.LeftArrow, false, false, false));
        }

        Assert.Equal(EditResult.Editing, editor.Apply(new ConsoleKeyInfo('\t', ConsoleKey.Tab, false, false, false)));
        Assert.Equal("7-amber- lunar", editor.Text);
        Assert.Equal("7-amber-".Length, editor.Cursor);
        editor.Apply(new ConsoleKeyInfo('\t', ConsoleKey.Tab, false, false, false)); // nothing to add now
        Assert.Equal("7-amber- lunar", editor.Text);
        Assert.Equal(["7-am", "7-amber-"], seen);

        var plain = new LineEditor(); // no completer: Tab does nothing
        plain.Apply(new ConsoleKeyInfo('\t', ConsoleKey.Tab, false, false, false));
        Assert.Equal(string.Empty, plain.Text);
    }

    [Fact]
    public void Backspace_and_delete_remove_around_the_cursor()
    {
        Type("abcdef");
        Key(ConsoleKey.Backspace, '\b');
        Assert.Equal("abcde", _editor.Text);
        _editor.Apply(new ConsoleKeyInfo('\u007f', 0, false, false, false)); // DEL from most terminals
        Assert.Equal("abcd", _editor.Text);
        Key(ConsoleKey.Home);
        Key(ConsoleKey.Delete);
        Assert.Equal("bcd", _editor.Text);
        Key(ConsoleKey.Backspace, '\b'); // at the start: nothing
        Assert.Equal("bcd", _editor.Text);
    }

    [Fact]
    public void Ctrl_u_clears_and_ctrl_w_deletes_the_word_before_the_cursor()
    {
        Type("send the file  ");
        Ctrl('W');
        Assert.Equal("send the ", _editor.Text);
        Ctrl('W');
        Assert.Equal("send ", _editor.Text);
        Ctrl('U');
        Assert.Equal(string.Empty, _editor.Text);
        Assert.Equal(0, _editor.Cursor);
    }

    [Fact]
    public void Wide_astral_and_combining_characters_move_as_one()
    {
        Type("a😀e\u0301日");
        Assert.Equal(5, _editor.Length); // a, 😀, e, U+0301, 日
        Key(ConsoleKey.LeftArrow);
        Key(ConsoleKey.LeftArrow); // over 日, then over e + combining acute
        Assert.Equal(2, _editor.Cursor);
        Key(ConsoleKey.Delete);
        Assert.Equal("a😀日", _editor.Text);
        Key(ConsoleKey.Backspace, '\b');
        Assert.Equal("a日", _editor.Text);
    }

    [Fact]
    public void Control_escape_bidi_and_format_characters_cannot_be_typed()
    {
        Type("a\u001b[2J\u009b\u202E\u200B\tb");
        Assert.Equal("a[2Jb", _editor.Text);
    }

    [Fact]
    public void Up_and_down_walk_the_history_and_keep_the_draft()
    {
        Submit("one");
        Submit("two");
        Submit("two"); // repeated lines are remembered once
        Type("dra");
        Key(ConsoleKey.UpArrow);
        Assert.Equal("two", _editor.Text);
        Key(ConsoleKey.UpArrow);
        Assert.Equal("one", _editor.Text);
        Key(ConsoleKey.UpArrow);
        Assert.Equal("one", _editor.Text);
        Key(ConsoleKey.DownArrow);
        Assert.Equal("two", _editor.Text);
        Key(ConsoleKey.DownArrow);
        Assert.Equal("dra", _editor.Text);
        Assert.Equal(3, _editor.Cursor);
    }

    [Fact]
    public void Enter_ctrl_d_and_ctrl_c_end_the_line()
    {
        Assert.Equal(EditResult.Submit, Key(ConsoleKey.Enter, '\r'));
        Assert.Equal(EditResult.EndOfInput, Ctrl('D'));
        Assert.Equal(EditResult.Interrupt, Ctrl('C'));
        Type("x");
        Assert.Equal(EditResult.Editing, Ctrl('D'));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(17)]
    [InlineData(3)]
    public void The_view_always_contains_the_cursor_and_fits(int columns)
    {
        Type(string.Concat(Enumerable.Repeat("ab日本c", 10)));
        for (int step = 0; step < 60; step++)
        {
            (string visible, int cursor) = _editor.View(columns);
            Assert.InRange(TerminalText.Width(visible), 0, columns);
            Assert.InRange(cursor, 0, columns - 1);
            Key(step < 30 ? ConsoleKey.LeftArrow : ConsoleKey.RightArrow);
        }
    }

    private void Submit(string line)
    {
        Type(line);
        Assert.Equal(EditResult.Submit, Key(ConsoleKey.Enter, '\r'));
        _editor.Submitted();
    }

    private void Type(string text)
    {
        foreach (char c in text)
        {
            _editor.Apply(new ConsoleKeyInfo(c, 0, false, false, false));
        }
    }

    private EditResult Key(ConsoleKey key, char c = '\0') => _editor.Apply(new ConsoleKeyInfo(c, key, false, false, false));

    private EditResult Ctrl(char letter) =>
        _editor.Apply(new ConsoleKeyInfo((char)(letter - 'A' + 1), ConsoleKey.A + (letter - 'A'), false, false, true));
}
