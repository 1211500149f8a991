// The code prompt of `tallow receive` driven by scripted keys into a string terminal: Tab
// completes and lists code words, a typo is answered with "did you mean" and the line is asked
// again (nothing returned, so nothing is sent), a custom code is taken when entered twice, and
// Ctrl-C / Ctrl-D end the prompt.
using Tallow.Cli.Output;
using Tallow.Protocol;

namespace Tallow.Tests.Cli;

public class CodePromptTests
{
    private const int Width = 100;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly ScriptedKeys _keys = new();
    private readonly GuardedWriter _out = new();

    private Task<string> Ask() => CodePrompt.AskAsync(_keys, _out, () => Width, CancellationToken.None);

    private IReadOnlyList<string> Screen() => VirtualTerminal.Render(_out.ToString(), Width).Rows();

    [Fact]
    public async Task A_correct_code_is_returned_normalised_at_the_first_enter()
    {
        Task<string> code = Ask();
        _keys.Type("  7 Amber lunar-ZODIAC ");
        _keys.Enter();
        Assert.Equal("7-amber-lunar-zodiac", await code.WaitAsync(Bound));
        Assert.Contains("Code:   7 Amber lunar-ZODIAC", Screen());
    }

    [Fact]
    public async Task Tab_completes_a_unique_word_with_a_dash_and_extends_an_ambiguous_one()
    {
        Task<string> code = Ask();
        _keys.Type("7-yod");
        _keys.Press(ConsoleKey.Tab, '\t');   // yodel-
        _keys.Type("zool");
        _keys.Press(ConsoleKey.Tab, '\t');   // zoolog (zoologist, zoology)
        _keys.Type("y");
        _keys.Press(ConsoleKey.Tab, '\t');   // zoology-
        _keys.Enter();
        Assert.Equal("7-yodel-zoology", await code.WaitAsync(Bound));
        Assert.Contains("Code: 7-yodel-zoology-", Screen());
    }

    [Fact]
    public async Task Tab_on_an_ambiguous_prefix_lists_the_words_above_the_line()
    {
        Task<string> code = Ask();
        _keys.Type("7-amb");
        _keys.Press(ConsoleKey.Tab, '\t');
        _keys.WaitIdle();
        IReadOnlyList<string> rows = Screen();
        Assert.Contains("amber  ambiance  ambiguity  ambiguous  ambition  ambitious  ambulance  ambush", rows);
        Assert.Equal("Code: 7-amb", rows[^1]); // the line being typed is redrawn below the list
        _keys.Type("er-lunar");
        _keys.Enter();
        Assert.Equal("7-amber-lunar", await code.WaitAsync(Bound));
    }

    [Fact]
    public async Task A_typo_gets_did_you_mean_and_the_prompt_asks_again()
    {
        Task<string> code = Ask();
        _keys.Type("7-amber-lnuar-zodiac");
        _keys.Enter();
        _keys.WaitIdle();
        Assert.False(code.IsCompleted); // nothing returned: the caller has contacted nobody yet
        IReadOnlyList<string> rows = Screen();
        Assert.Contains("'lnuar' is not a code word: did you mean 'lunar'?", rows);
        Assert.Contains(rows, r => r.StartsWith("Nothing was sent.", StringComparison.Ordinal));

        _keys.Press(ConsoleKey.UpArrow);     // the line comes back to be corrected
        _keys.Press(ConsoleKey.Home);
        for (int i = 0; i < "7-amber-".Length; i++)
        {
            _keys.Press(ConsoleKey.RightArrow);
        }

        _keys.Press(ConsoleKey.Delete);
        _keys.Press(ConsoleKey.Delete);
        _keys.Press(ConsoleKey.Delete);
        _keys.Type("lun");
        _keys.Enter();
        Assert.Equal("7-amber-lunar-zodiac", await code.WaitAsync(Bound));
    }

    [Fact]
    public async Task A_bad_number_is_reported()
    {
        Task<string> code = Ask();
        _keys.Type("07-amber-lunar");
        _keys.Enter();
        _keys.WaitIdle();
        Assert.Contains("The number in front must be 1 to 999999, without a leading zero.", Screen());
        Assert.Contains("Nothing was sent. Correct it (Up brings the line back).", Screen()); // no "as typed": no sender can have it
        _keys.Type("07-amber-lunar");
        _keys.Enter();
        _keys.WaitIdle();
        Assert.False(code.IsCompleted, "a code with an impossible number was taken when entered twice");
        _keys.Control('U');
        _keys.Type("7-amber-lunar");
        _keys.Enter();
        Assert.Equal("7-amber-lunar", await code.WaitAsync(Bound));
    }

    [Fact]
    public async Task A_custom_code_is_used_when_entered_the_same_way_twice()
    {
        Task<string> code = Ask();
        _keys.Type("correct horse battery");
        _keys.Enter();
        _keys.WaitIdle();
        Assert.False(code.IsCompleted);
        Assert.Contains("A code starts with the number the sender shows, like 7-amber-lunar-zodiac.", Screen());
        _keys.Type("Correct-Horse-Battery");
        _keys.Enter();
        Assert.Equal("correct-horse-battery", await code.WaitAsync(Bound));
    }

    [Fact]
    public async Task Ctrl_c_cancels_and_ctrl_d_is_a_usage_error()
    {
        Task<string> interrupted = Ask();
        _keys.Type("7-amb");
        _keys.Control('C');
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => interrupted.WaitAsync(Bound));

        Task<string> ended = CodePrompt.AskAsync(_keys, new StringWriter(), () => Width, CancellationToken.None);
        _keys.Control('D');
        TallowException error = await Assert.ThrowsAsync<TallowException>(() => ended.WaitAsync(Bound));
        Assert.Equal(FailureKind.Usage, error.Kind);
    }

    [Fact]
    public async Task Tab_completes_the_number_from_the_senders_on_the_lan()
    {
        IReadOnlyList<uint>? lan = null;
        Task<string> code = CodePrompt.AskAsync(_keys, _out, () => Width, CancellationToken.None, () => lan);
        _keys.Press(ConsoleKey.Tab, '\t');          // nothing found yet
        _keys.WaitIdle();
        Assert.Contains(Screen(), r => r.StartsWith("Looking for senders on this local network", StringComparison.Ordinal));
        lan = [7u, 412u, 415u];
        _keys.Press(ConsoleKey.Tab, '\t');          // several: listed
        _keys.WaitIdle();
        Assert.Contains("Senders on this local network: 7  412  415", Screen());
        _keys.Type("41");
        _keys.Press(ConsoleKey.Tab, '\t');          // 412, 415
        _keys.WaitIdle();
        Assert.Contains("Senders on this local network: 412  415", Screen());
        _keys.Type("2");
        _keys.Press(ConsoleKey.Tab, '\t');          // unique: 412-
        _keys.Type("amber-lunar");
        _keys.Enter();
        Assert.Equal("412-amber-lunar", await code.WaitAsync(Bound));
    }

    [Fact]
    public async Task Tab_on_a_number_no_sender_on_the_lan_has_says_which_ones_there_are()
    {
        Task<string> code = CodePrompt.AskAsync(_keys, _out, () => Width, CancellationToken.None, () => [7u]);
        _keys.Type("9");
        _keys.Press(ConsoleKey.Tab, '\t');
        _keys.WaitIdle();
        Assert.Contains("No sender on this local network has a code starting with '9': it has 7.", Screen());
        _keys.Control('U');
        _keys.Press(ConsoleKey.Tab, '\t');
        _keys.Type("amber-lunar");
        _keys.Enter();
        Assert.Equal("7-amber-lunar", await code.WaitAsync(Bound));
    }
}
