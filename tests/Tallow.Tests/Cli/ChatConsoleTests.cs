// ChatConsole driven by scripted keys into a string terminal: typed lines come back exactly, a
// message arriving mid-typing lands on its own row with the prompt and partial input redrawn
// below it, hostile network text never reaches the terminal raw, and concurrent messages never
// split a write.
using System.Text;
using System.Text.RegularExpressions;
using Tallow.Cli.Output;

namespace Tallow.Tests.Cli;

public class ChatConsoleTests
{
    private const int Width = 40;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly ScriptedKeys _keys = new();
    private readonly GuardedWriter _out = new();

    private ChatConsole NewConsole(int width = Width) => new(_keys, _out, "> ", () => width);

    [Fact]
    public async Task Typed_text_is_returned_exactly_including_wide_and_astral_characters()
    {
        using ChatConsole chat = NewConsole();
        const string Text = "hello wörld 日本語 😀 é ok";
        _keys.Type(Text);
        _keys.Enter();
        Assert.Equal(Text, await chat.ReadLineAsync(CancellationToken.None).WaitAsync(Bound));
        Assert.False(chat.WasInterrupted);
        Assert.Equal(["> " + Text], VirtualTerminal.Render(_out.ToString(), Width).Rows());
    }

    [Fact]
    public async Task A_message_mid_typing_is_printed_above_and_the_partial_input_is_redrawn()
    {
        using ChatConsole chat = NewConsole();
        Task<string?> read = chat.ReadLineAsync(CancellationToken.None);
        _keys.Type("hel");
        _keys.WaitIdle();
        int before = _out.ToString().Length;

        chat.WriteLine("peer: ", "hi there");

        string written = _out.ToString()[before..];
        Assert.Equal("\r\u001b[Kpeer: hi there\r\n> hel\u001b[K", written);
        var vt = VirtualTerminal.Render(_out.ToString(), Width);
        Assert.Equal(["peer: hi there", "> hel"], vt.Rows());
        Assert.Equal((1, 5), (vt.Row, vt.Column));

        _keys.Type("lo");
        _keys.Enter();
        Assert.Equal("hello", await read.WaitAsync(Bound));
        Assert.Equal(["peer: hi there", "> hello"], VirtualTerminal.Render(_out.ToString(), Width).Rows());
    }

    [Fact]
    public async Task The_cursor_is_put_back_inside_the_input_after_a_message()
    {
        using ChatConsole chat = NewConsole();
        Task<string?> read = chat.ReadLineAsync(CancellationToken.None);
        _keys.Type("hello 日本");
        _keys.Press(ConsoleKey.LeftArrow);
        _keys.Press(ConsoleKey.LeftArrow);
        _keys.WaitIdle();
        int before = _out.ToString().Length;

        chat.WriteLine("peer: ", "line one\nline two\r\nline three");

        Assert.EndsWith("> hello 日本\u001b[K\u001b[4D", _out.ToString()[before..], StringComparison.Ordinal);
        var vt = VirtualTerminal.Render(_out.ToString(), Width);
        Assert.Equal(["peer: line one", "peer: line two", "peer: line three", "> hello 日本"], vt.Rows());
        Assert.Equal((3, 8), (vt.Row, vt.Column));
        _keys.Type("X");
        _keys.Enter();
        Assert.Equal("hello X日本", await read.WaitAsync(Bound));
    }

    [Fact]
    public async Task Long_input_scrolls_so_the_cursor_stays_on_screen()
    {
        const int Narrow = 20;
        using ChatConsole chat = NewConsole(Narrow);
        Task<string?> read = chat.ReadLineAsync(CancellationToken.None);
        string text = string.Concat(Enumerable.Range(0, 30).Select(i => (char)('a' + (i % 26)))) + "日本語日本語";
        _keys.Type(text);
        _keys.WaitIdle();
        var vt = VirtualTerminal.Render(_out.ToString(), Narrow);
        Assert.Single(vt.Rows());
        Assert.Equal(0, vt.Row);
        Assert.InRange(vt.Column, 2, Narrow - 1);
        Assert.EndsWith("日本語日本語", vt.Rows()[0], StringComparison.Ordinal);

        _keys.Press(ConsoleKey.Home);
        _keys.WaitIdle();
        vt = VirtualTerminal.Render(_out.ToString(), Narrow);
        Assert.Equal(["> abcdefghijklmnopq"], vt.Rows());
        Assert.Equal((0, 2), (vt.Row, vt.Column));

        chat.WriteLine("peer: ", "still there?");
        vt = VirtualTerminal.Render(_out.ToString(), Narrow);
        Assert.Equal(["peer: still there?", "> abcdefghijklmnopq"], vt.Rows());
        Assert.Equal((1, 2), (vt.Row, vt.Column));
        _keys.Enter();
        Assert.Equal(text, await read.WaitAsync(Bound));
    }

    public static TheoryData<string> HostileTexts => new()
    {
        "clear\u001b[2Jscreen",
        "clip\u001b]52;c;ZXZpbA==\u0007board",
        "osc\u001b]0;title\u001b\\st",
        "csi8\u009b31mred\u0085nel\u009d8;;x\u009c",
        "bidi\u202Egnp.exe\u202A\u202B\u202C\u202D",
        "iso\u2066late\u2069\u200E\u200F\u061C",
        "over\rwrite",
        "back\b\b\bspace",
        "bell\u0007tab\tdel\u007fnul\0",
        "line\u2028sep\u2029para",
    };

    [Theory]
    [MemberData(nameof(HostileTexts))]
    public async Task Hostile_text_never_reaches_the_terminal_raw(string text)
    {
        using ChatConsole chat = NewConsole();
        Task<string?> read = chat.ReadLineAsync(CancellationToken.None);
        _keys.Type("draft");
        _keys.WaitIdle();
        chat.WriteLine("peer: ", text);
        chat.WriteLine(text, "as a prefix");

        string output = _out.ToString();
        string payload = Regex.Replace(output, @"\r\n|\r\u001b\[K|\u001b\[K|\u001b\[\d+D|\r", string.Empty);
        foreach (Rune r in payload.EnumerateRunes())
        {
            Assert.False(Rune.IsControl(r), $"control U+{r.Value:X4}");
            Assert.False(Rune.GetUnicodeCategory(r) is System.Globalization.UnicodeCategory.Format
                or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator, $"U+{r.Value:X4}");
        }

        var vt = VirtualTerminal.Render(output, 200);
        Assert.Equal(3, vt.Rows().Count);
        Assert.StartsWith("peer: ", vt.Rows()[0], StringComparison.Ordinal);
        Assert.EndsWith("as a prefix", vt.Rows()[1], StringComparison.Ordinal);
        Assert.Equal("> draft", vt.Rows()[2]);
        _keys.Enter();
        Assert.Equal("draft", await read.WaitAsync(Bound));
    }

    [Fact]
    public void The_shared_sanitiser_covers_c1_and_every_bidi_control()
    {
        string hostile = "\u001b\u009b\u0080\u009f\u0085\u061C\u200E\u200F\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069";
        Assert.Equal(new string('?', hostile.Length), TerminalText.Clean(hostile));
    }

    [Fact]
    public async Task Many_messages_from_other_threads_never_split_a_write_while_keys_are_typed()
    {
        const int Threads = 4;
        const int PerThread = 250;
        using ChatConsole chat = NewConsole(300);
        Task<string?> read = chat.ReadLineAsync(CancellationToken.None);
        string typed = string.Concat(Enumerable.Repeat("typing 日本 ", 20));
        Task writers = Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < PerThread; i++)
            {
                chat.WriteLine($"peer{t}: ", $"message {i} \u001b[2J\u009b\u202E end");
            }
        })));
        foreach (char c in typed)
        {
            _keys.Type(c.ToString());
        }

        await writers.WaitAsync(Bound);
        _keys.Enter();
        Assert.Equal(typed, await read.WaitAsync(Bound));

        Assert.Equal(0, _out.Overlaps);
        var vt = VirtualTerminal.Render(_out.ToString(), 300); // fails on any broken escape sequence
        IReadOnlyList<string> rows = vt.Rows();
        Assert.Equal((Threads * PerThread) + 1, rows.Count);
        for (int t = 0; t < Threads; t++)
        {
            for (int i = 0; i < PerThread; i++)
            {
                Assert.Contains($"peer{t}: message {i} ?[2J?? end", rows);
            }
        }

        Assert.Equal("> " + typed.TrimEnd(), rows[^1]);
    }

    [Fact]
    public async Task Ctrl_d_on_an_empty_line_ends_input_and_ctrl_c_interrupts()
    {
        using ChatConsole chat = NewConsole();
        _keys.Control('D');
        Assert.Null(await chat.ReadLineAsync(CancellationToken.None).WaitAsync(Bound));
        Assert.False(chat.WasInterrupted);

        _keys.Type("abc");
        _keys.Press(ConsoleKey.Home);
        _keys.Control('D'); // not empty: deletes under the cursor
        _keys.Enter();
        Assert.Equal("bc", await chat.ReadLineAsync(CancellationToken.None).WaitAsync(Bound));

        _keys.Type("half a line");
        _keys.Control('C');
        Assert.Null(await chat.ReadLineAsync(CancellationToken.None).WaitAsync(Bound));
        Assert.True(chat.WasInterrupted);
        Assert.Equal(["> bc"], VirtualTerminal.Render(_out.ToString(), Width).Rows());

        int before = _out.ToString().Length;
        chat.WriteLine("peer: ", "after the read: no prompt drawn");
        Assert.Equal("peer: after the read: no prompt drawn\r\n", _out.ToString()[before..]);
        Assert.Equal(["> bc", "peer: after the read: no prompt drawn"], VirtualTerminal.Render(_out.ToString(), Width).Rows());
    }

    [Fact]
    public async Task Cancellation_erases_the_partial_input()
    {
        using ChatConsole chat = NewConsole();
        using var cts = new CancellationTokenSource();
        Task<string?> read = chat.ReadLineAsync(cts.Token);
        _keys.Type("unsent");
        _keys.WaitIdle();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(Bound));
        Assert.Empty(VirtualTerminal.Render(_out.ToString(), Width).Rows());
    }

    [Fact]
    public async Task Echo_prefix_replaces_the_prompt_in_the_transcript()
    {
        using var chat = new ChatConsole(_keys, _out, "> ", () => Width) { EchoPrefix = "you: " };
        _keys.Type("hi");
        _keys.Enter();
        Assert.Equal("hi", await chat.ReadLineAsync(CancellationToken.None).WaitAsync(Bound));
        Assert.Equal(["you: hi"], VirtualTerminal.Render(_out.ToString(), Width).Rows());
    }
}
