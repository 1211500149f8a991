// Received text on a real terminal (a pty, as a user sees it): the content is printed there, so
// no live progress bar may be drawn over it. ScreenRows replays the terminal's output ('\r',
// ESC[K), so a bar that overwrote the text's last row shows up as a missing row.
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class TerminalTextTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("hello")]
    [InlineData("first line\nsecond line\nlast line")]
    public async Task Received_text_keeps_every_line_visible_on_a_terminal(string text)
    {
        await using TallowProcess sender = TallowProcess.Start(["send", "--text", text, "--relay", fixture.Relay.Address, "--json", "--no-p2p"]);
        string code = (await sender.WaitForEventAsync("code", Wait)).GetProperty("code").GetString()!;
        await using PtyProcess receiver = PtyProcess.Start(["receive", "--relay", fixture.Relay.Address, "--no-p2p"], environment: new Dictionary<string, string?> { ["TALLOW_CODE"] = code });

        int receiverExit = await receiver.WaitForExitAsync(Wait);
        Assert.True(receiverExit == 0, $"receiver exit {receiverExit}\n--- terminal:\n{receiver.Raw}");
        Check.Exit(0, await sender.WaitForExitAsync(Wait), sender, "sender");

        IReadOnlyList<string> rows = receiver.ScreenRows();
        string screen = string.Join("\n", rows);
        foreach (string line in text.Split('\n'))
        {
            Assert.True(rows.Contains(line), $"the row '{line}' is not on the screen as the user sees it.\n--- screen:\n{screen}\n--- raw:\n{receiver.Raw.Replace("\u001b", "^[", StringComparison.Ordinal).Replace("\r", "^M", StringComparison.Ordinal)}");
        }

        Assert.Contains(rows, r => r.StartsWith("Received text", StringComparison.Ordinal));
    }
}
