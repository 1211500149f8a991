// What a new user types at `send` and `receive`, with the real binary: `-` is stdin, as the
// README and the tool's own notices say; `--quiet` still shows the code and what to run on the
// other computer (without them nothing can be received); empty or odd input is a usage error
// (exit 2) that says what was wrong, never an "internal error".
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed partial class SendInputTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Dash_sends_stdin()
    {
        byte[] payload = RandomNumberGenerator.GetBytes(300_000);
        TransferRun run = await Transfer.RunAsync(fixture.Relay, ["-", "--no-p2p"], code => [code, "--yes", "--no-p2p"], receiverRawStdout: true,
            senderStdin: async stdin => await stdin.WriteAsync(payload));
        try
        {
            Check.Succeeded(run);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(payload)), Convert.ToHexStringLower(SHA256.HashData(run.Receiver.StdoutBytes)));
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(new[] { "send", "" }, "empty path")]
    [InlineData(new[] { "send", "-", "/etc/hostname" }, "'-' (stdin) cannot be sent together")]
    [InlineData(new[] { "send", "--name", "a/b", "--dry-run" }, "--name must be a plain file name")]
    [InlineData(new[] { "send", "--name", "", "--dry-run" }, "--name must be a plain file name")]
    public async Task Odd_send_input_is_a_usage_error(string[] args, string expected)
    {
        await using TallowProcess sender = TallowProcess.Start([.. args, "--relay", fixture.Relay.Address, "--json"], stdin: async s => await s.WriteAsync("data"u8.ToArray()));
        Check.Exit(2, await sender.WaitForExitAsync(Wait), sender, "sender");
        string message = Check.ErrorMessage(sender, "sender", 2);
        Check.Contains(expected, message, Check.Describe(sender, "sender"));
        Assert.DoesNotContain("internal error", message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_empty_out_is_a_usage_error_before_the_code_is_used()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("a.bin", 1000);
        await using TallowProcess sender = TallowProcess.Start(["send", source, "--relay", fixture.Relay.Address, "--json", "--no-p2p"]);
        string code = (await sender.WaitForEventAsync("code", Wait)).GetProperty("code").GetString()!;
        await using TallowProcess receiver = TallowProcess.Start(["receive", code, "--out", "", "--yes", "--relay", fixture.Relay.Address, "--json", "--no-p2p"]);
        Check.Exit(2, await receiver.WaitForExitAsync(Wait), receiver, "receiver");
        string message = Check.ErrorMessage(receiver, "receiver", 2);
        Check.Contains("--out is empty", message, Check.Describe(receiver, "receiver"));
        Assert.Empty(Check.Events(receiver, "offer")); // checked before connecting: the sender still waits for its receiver
        Assert.False(sender.HasExited, $"the sender must still be waiting.\n{Check.Describe(sender, "sender")}");
    }

    [Fact]
    public async Task Quiet_still_shows_the_code_and_the_receive_command()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("quiet.bin", 5000);
        string outDir = dir.Combine("out");
        await using TallowProcess sender = TallowProcess.Start(["send", source, "--quiet", "--relay", fixture.Relay.Address, "--no-p2p"]);
        string command = $"tallow receive --relay {fixture.Relay.Address}";
        var clock = Stopwatch.StartNew();
        while (!sender.Stderr.Contains(command, StringComparison.Ordinal) && clock.Elapsed < Wait && !sender.HasExited)
        {
            await Task.Delay(50); // stderr arrives line by line: the command comes after the code
        }

        Match shown = CodeLine().Match(sender.Stderr);
        Assert.True(shown.Success, $"--quiet showed no code.\n{Check.Describe(sender, "sender")}");
        Check.Contains(command, sender.Stderr, Check.Describe(sender, "sender"));
        string code = shown.Groups[1].Value;

        await using TallowProcess receiver = TallowProcess.Start(["receive", "--out", outDir, "--yes", "--relay", fixture.Relay.Address, "--no-p2p", "--quiet"], environment: new Dictionary<string, string?> { ["TALLOW_CODE"] = code });
        Check.Exit(0, await receiver.WaitForExitAsync(Wait), receiver, "receiver");
        Check.Exit(0, await sender.WaitForExitAsync(Wait), sender, "sender");
        Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, "quiet.bin")));
        Assert.DoesNotContain("Sending", sender.Stderr, StringComparison.Ordinal); // the rest stays quiet
        Assert.DoesNotContain("Sent ", sender.Stderr, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"Code is: (\S+)")]
    private static partial Regex CodeLine();
}
