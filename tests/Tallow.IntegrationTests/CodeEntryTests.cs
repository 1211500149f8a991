// Keeping the code phrase out of the process list (like croc's CVE-2023-43621), with the real
// binary: `receive` reads TALLOW_CODE or asks on the terminal, `send` takes its code from
// TALLOW_CODE, and /proc/PID/cmdline of the running process holds no code word. A typo at the
// prompt gets "did you mean" before anything reaches the relay; Tab completes code words; a code
// still given as an argument works, with a warning on a terminal only; `--text -` reads stdin.
using System.Text;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class CodeEntryTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>A custom code of list words with a nameplate no other test uses.</summary>
    private static string CustomCode(string words) => $"{Random.Shared.Next(100_000, 1_000_000)}-{words}";

    private static Dictionary<string, string?> CodeEnv(string code) => new() { ["TALLOW_CODE"] = code };

    /// <summary>The arguments of a running process; fails when it has already ended (a zombie's cmdline is empty).</summary>
    /// <summary>
    /// /proc/PID/cmdline of a running process. Right after Process.Start it can still be empty:
    /// the kernel lets the parent go on before the new program's arguments are set up, and on a
    /// busy machine the test reads in that gap; it looks again, for at most two seconds.
    /// </summary>
    private static async Task<string[]> CommandLineAsync(int pid)
    {
        for (int attempt = 0; ; attempt++)
        {
            string[] args = File.Exists($"/proc/{pid}/cmdline")
                ? Encoding.UTF8.GetString(File.ReadAllBytes($"/proc/{pid}/cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries)
                : [];
            if (args.Length > 1 || attempt == 200)
            {
                Assert.True(args.Length > 1, $"pid {pid} has no command line: it ended before it could be checked");
                return args;
            }

            await Task.Delay(10);
        }
    }

    private static void AssertNoCodeWord(string[] commandLine, string code)
    {
        string joined = string.Join(' ', commandLine);
        foreach (string word in code.Split('-').Skip(1))
        {
            Assert.DoesNotContain(word, joined, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task A_receiver_given_TALLOW_CODE_has_no_code_word_in_its_cmdline()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("payload.bin", 3L << 20);
        string outDir = dir.Combine("out");
        await using TallowProcess sender = TallowProcess.Start(["send", source, "--relay", fixture.Relay.Address, "--json"]);
        string code = (await sender.WaitForEventAsync("code", Wait)).GetProperty("code").GetString()!;
        // --throttle keeps it running for about two seconds, long enough to look at it.
        await using TallowProcess receiver = TallowProcess.Start(["receive", "--relay", fixture.Relay.Address, "--out", outDir, "--yes", "--throttle", "1500KB"], environment: CodeEnv(code));

        string[] commandLine = await CommandLineAsync(receiver.Pid);
        Assert.Equal("receive", commandLine[1]);
        AssertNoCodeWord(commandLine, code);

        Check.Exit(0, await receiver.WaitForExitAsync(Wait), receiver, "receiver");
        Check.Exit(0, await sender.WaitForExitAsync(Wait), sender, "sender");
        Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, "payload.bin")));
    }

    [Fact]
    public async Task A_sender_takes_its_code_from_TALLOW_CODE()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("payload.bin", 10_000);
        string outDir = dir.Combine("out");
        string code = CustomCode("yodel-zodiac-ambush");
        TransferRun run = await Transfer.RunAsync(fixture.Relay, [source], _ => ["--out", outDir, "--yes"], senderEnv: CodeEnv(code), receiverEnv: CodeEnv(code));
        try
        {
            Check.Succeeded(run);
            Assert.Equal(code, Check.SingleEvent(run.Sender, "code", "sender").GetProperty("code").GetString());
            Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, "payload.bin")));
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_typo_at_the_prompt_gets_did_you_mean_before_the_relay_sees_anything_then_the_fixed_code_works()
    {
        await using RelayProcess relay = await RelayProcess.StartAsync(); // its own, so its counters are this test's
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("payload.bin", 20_000);
        string outDir = dir.Combine("out");
        string code = CustomCode("yodel-zodiac-ambush");
        await using TallowProcess sender = TallowProcess.Start(["send", source, "--relay", relay.Address, "--json"], environment: CodeEnv(code));
        await sender.WaitForEventAsync("code", Wait);
        Dictionary<string, double> before = await relay.ReadMetricsAsync();

        await using PtyProcess receiver = PtyProcess.Start(["receive", "--relay", relay.Address, "--out", outDir, "--yes"], columns: 160);
        int at = await receiver.WaitForTextAsync("Code: ", Wait);
        int pid = await receiver.TallowPidAsync(Wait);
        await receiver.TypeAsync(code.Replace("zodiac", "zodaic", StringComparison.Ordinal) + "\r");
        at = await receiver.WaitForTextAsync("'zodaic' is not a code word: did you mean 'zodiac'", Wait, at);
        at = await receiver.WaitForTextAsync("Nothing was sent.", Wait, at);

        Dictionary<string, double> after = await relay.ReadMetricsAsync();
        Assert.Equal(before["tallow_relay_connections_total"], after["tallow_relay_connections_total"]); // the receiver has not connected
        Assert.Equal(0, after["tallow_relay_pairings_total"]);
        AssertNoCodeWord(await CommandLineAsync(pid), code);

        await receiver.TypeAsync("\u0015" + code + "\r"); // Ctrl-U, then the right code
        int exit = await receiver.WaitForExitAsync(Wait);
        Assert.True(exit == 0, $"receiver exit {exit}\n--- terminal:\n{receiver.Text}");
        Check.Exit(0, await sender.WaitForExitAsync(Wait), sender, "sender");
        Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, "payload.bin")));
    }

    [Fact]
    public async Task Tab_completes_code_words_at_the_prompt()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("payload.bin", 5_000);
        string outDir = dir.Combine("out");
        string code = CustomCode("yodel-zodiac-ambush");
        string nameplate = code[..code.IndexOf('-', StringComparison.Ordinal)];
        await using TallowProcess sender = TallowProcess.Start(["send", source, "--relay", fixture.Relay.Address, "--json"], environment: CodeEnv(code));
        await sender.WaitForEventAsync("code", Wait);
        await using PtyProcess receiver = PtyProcess.Start(["receive", "--relay", fixture.Relay.Address, "--out", outDir, "--yes"], columns: 160);

        int at = await receiver.WaitForTextAsync("Code: ", Wait);
        await receiver.TypeAsync($"{nameplate}-amb\t");                // ambiguous: the candidates are listed
        at = await receiver.WaitForTextAsync("amber  ambiance  ambiguity", Wait, at);
        await receiver.TypeAsync("\u0015" + $"{nameplate}-yod\tzodi\tambus\t");
        await receiver.WaitForTextAsync($"Code: {code}-", Wait, at);
        await receiver.TypeAsync("\r");

        int exit = await receiver.WaitForExitAsync(Wait);
        Assert.True(exit == 0, $"receiver exit {exit}\n--- terminal:\n{receiver.Text}");
        Check.Exit(0, await sender.WaitForExitAsync(Wait), sender, "sender");
        Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, "payload.bin")));
    }

    [Fact]
    public async Task A_code_argument_still_works_with_a_warning_on_a_terminal_and_none_in_json()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("payload.bin", 5_000);
        await using TallowProcess sender = TallowProcess.Start(["send", source, "--relay", fixture.Relay.Address, "--json"]);
        string code = (await sender.WaitForEventAsync("code", Wait)).GetProperty("code").GetString()!;
        await using PtyProcess receiver = PtyProcess.Start(["receive", code, "--relay", fixture.Relay.Address, "--out", dir.Combine("out"), "--yes"], columns: 200);
        int exit = await receiver.WaitForExitAsync(Wait);
        Assert.True(exit == 0, $"receiver exit {exit}\n--- terminal:\n{receiver.Text}");
        Assert.Contains("warning: a code on the command line is visible to other users of this computer", receiver.Text, StringComparison.Ordinal);
        Check.Exit(0, await sender.WaitForExitAsync(Wait), sender, "sender");

        TransferRun run = await Transfer.RunAsync(fixture.Relay, [source], c => [c, "--out", dir.Combine("out2"), "--yes", "--json"]);
        try
        {
            Check.Succeeded(run);
            Assert.Empty(Check.Events(run.Receiver, "notice"));
            Assert.DoesNotContain("visible", run.Receiver.Stdout + run.Receiver.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task Without_a_code_a_terminal_or_TALLOW_CODE_receive_says_how_to_give_it()
    {
        string closedRelay = $"127.0.0.1:{Check.ClosedPort()}"; // exit 2, not 4: nothing was connected
        await using TallowProcess receiver = TallowProcess.Start(["receive", "--relay", closedRelay]);
        Check.Exit(2, await receiver.WaitForExitAsync(Wait), receiver, "receiver");
        Check.Contains("set TALLOW_CODE", receiver.Stderr, Check.Describe(receiver, "receiver"));
    }

    [Fact]
    public async Task Text_dash_sends_stdin_as_the_text()
    {
        const string Secret = "the wifi password is hunter2\nsecond line ✓\n";
        TransferRun run = await Transfer.RunAsync(fixture.Relay, ["--text", "-"], code => [code, "--json"],
            senderStdin: async stdin => await stdin.WriteAsync(Encoding.UTF8.GetBytes(Secret)));
        try
        {
            Check.Succeeded(run);
            Assert.Equal(Secret, Check.SingleEvent(run.Receiver, "text_received", "receiver").GetProperty("text").GetString());
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task Text_dash_over_16_MiB_is_refused_before_connecting()
    {
        string closedRelay = $"127.0.0.1:{Check.ClosedPort()}";
        byte[] chunk = new byte[1 << 20];
        Array.Fill(chunk, (byte)'a');
        await using TallowProcess sender = TallowProcess.Start(["send", "--text", "-", "--relay", closedRelay], stdin: async stdin =>
        {
            for (int i = 0; i < 17; i++)
            {
                await stdin.WriteAsync(chunk);
            }
        });
        Check.Exit(2, await sender.WaitForExitAsync(Wait), sender, "sender");
        Check.Contains("larger than 16 MiB", sender.Stderr, Check.Describe(sender, "sender"));
    }

    /// <summary>A code no sender can have is refused before any connection (a closed relay port: exit 2, not 4), from the argument, TALLOW_CODE or send --code.</summary>
    [Theory]
    [InlineData("receive-arg", "0-amber-lunar-zodiac", "1 to 999999")]
    [InlineData("receive-arg", "01234-amber-lunar", "1 to 999999")]
    [InlineData("receive-arg", "1234567-amber-lunar-zodiac", "1 to 999999")]
    [InlineData("receive-env", "7", "only the number")]
    [InlineData("receive-env", "7-", "only the number")]
    [InlineData("send-env", "0-amber-lunar-zodiac-yodel", "1 to 999999")]
    public async Task A_code_no_sender_can_have_is_a_usage_error_before_anything_is_sent(string how, string code, string expected)
    {
        string closedRelay = $"127.0.0.1:{Check.ClosedPort()}";
        using var dir = new TempDir();
        string file = dir.WriteRandomFile("a.bin", 10);
        string[] args = how switch
        {
            "receive-arg" => ["receive", code, "--relay", closedRelay],
            "receive-env" => ["receive", "--relay", closedRelay],
            _ => ["send", file, "--relay", closedRelay],
        };
        await using TallowProcess process = TallowProcess.Start(args, environment: how.EndsWith("env", StringComparison.Ordinal) ? CodeEnv(code) : null);
        Check.Exit(2, await process.WaitForExitAsync(Wait), process, how);
        Check.Contains(expected, process.Stderr, Check.Describe(process, how));
        Check.Contains("cannot", process.Stderr, Check.Describe(process, how));
    }

    [Fact]
    public async Task A_likely_typo_in_a_code_argument_is_named_before_the_code_is_tried_as_given()
    {
        string closedRelay = $"127.0.0.1:{Check.ClosedPort()}";
        await using TallowProcess receiver = TallowProcess.Start(["receive", "--relay", closedRelay], environment: CodeEnv("7-amberr-lunar-zodiac"));
        Check.Exit(4, await receiver.WaitForExitAsync(Wait), receiver, "receiver"); // tried as given: custom codes may hold any word
        Check.Contains("'amberr' is not a code word: did you mean 'amber'", receiver.Stderr, Check.Describe(receiver, "receiver"));
    }
}
