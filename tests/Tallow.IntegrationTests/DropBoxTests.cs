// `tallow drop-box` and `tallow send FILES --to` as real processes on a real relay (loopback): three
// senders in turn and two at once, each transfer in its own folder, checked by SHA-256; wrong codes
// stop it (exit 6) and the right code gets nothing in after; a relay restart in between (same port)
// is survived with the same code, as is the relay closing a room no one joined; --max and --expire end it with 0; a hidden top-level name is
// refused like receive --yes, and the drop box goes on.
using System.Text.Json;
using Tallow.Crypto;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class DropBoxTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Three_senders_in_turn_each_land_in_their_own_folder()
    {
        using var dir = new TempDir();
        await using DropBoxRun box = await DropBoxRun.OpenAsync(fixture.Relay.Address, dir.Combine("inbox"));
        Assert.True(box.Code.Split('-').Length >= 6, $"the code '{box.Code}' has fewer than 5 words");
        var sent = new List<string>();
        for (int i = 1; i <= 3; i++)
        {
            string file = dir.WriteRandomFile($"src{i}/file{i}.bin", 200_000 * i);
            if (i == 1)
            {
                File.SetUnixFileMode(file, (UnixFileMode)0x1ED | UnixFileMode.SetUser); // 4755: as receive, the exec bits stay, setuid never
            }

            await box.SendAsync(fixture.Relay.Address, [file], expectExit: 0);
            sent.Add(file);
            await box.WaitForReceivedAsync(i);
        }

        List<JsonElement> received = box.Received;
        Assert.Equal(3, received.Select(e => e.GetProperty("folder").GetString()).Distinct().Count());
        for (int i = 0; i < 3; i++)
        {
            string folder = received[i].GetProperty("folder").GetString()!;
            Assert.StartsWith(dir.Combine("inbox"), folder, StringComparison.Ordinal);
            Assert.Equal(TempDir.Sha256(sent[i]), TempDir.Sha256(Path.Combine(folder, Path.GetFileName(sent[i]))));
            Assert.Equal(1, received[i].GetProperty("files").GetInt32());
            Assert.Equal(new FileInfo(sent[i]).Length, received[i].GetProperty("bytes").GetInt64());
        }

        UnixFileMode mode = File.GetUnixFileMode(Path.Combine(received[0].GetProperty("folder").GetString()!, "file1.bin"));
        Assert.True(mode.HasFlag(UnixFileMode.UserExecute) && !mode.HasFlag(UnixFileMode.SetUser), $"mode {mode}");
        Assert.Equal(3, Directory.GetDirectories(dir.Combine("inbox")).Length);
        Assert.DoesNotContain(box.Code, box.Process.Stderr, StringComparison.Ordinal); // printed once, on stdout (--json)
        box.Process.Interrupt();
        Assert.Equal(130, await box.Process.WaitForExitAsync(Timeout));
    }

    [Fact]
    public async Task Two_senders_at_once_both_arrive()
    {
        using var dir = new TempDir();
        await using DropBoxRun box = await DropBoxRun.OpenAsync(fixture.Relay.Address, dir.Combine("inbox"));
        string a = dir.WriteRandomFile("a/one.bin", 6_000_000);
        string b1 = dir.WriteRandomFile("b/folder/two.bin", 5_000_000);
        string b2 = dir.WriteRandomFile("b/folder/three.bin", 1_000);
        var both = System.Diagnostics.Stopwatch.StartNew();
        Task first = box.SendAsync(fixture.Relay.Address, [a], expectExit: 0, throttle: "2MB");
        Task second = box.SendAsync(fixture.Relay.Address, [dir.Combine("b", "folder")], expectExit: 0, throttle: "2MB");
        await Task.WhenAll(first, second);
        both.Stop();
        await box.WaitForReceivedAsync(2);

        JsonElement[] received = [.. box.Received];
        JsonElement ofA = received.Single(e => e.GetProperty("files").GetInt32() == 1);
        JsonElement ofB = received.Single(e => e.GetProperty("files").GetInt32() == 2);
        Assert.Equal(TempDir.Sha256(a), TempDir.Sha256(Path.Combine(ofA.GetProperty("folder").GetString()!, "one.bin")));
        Assert.Equal(TempDir.Sha256(b1), TempDir.Sha256(Path.Combine(ofB.GetProperty("folder").GetString()!, "folder", "two.bin")));
        Assert.Equal(TempDir.Sha256(b2), TempDir.Sha256(Path.Combine(ofB.GetProperty("folder").GetString()!, "folder", "three.bin")));

        // They ran at the same time: both senders were done sooner than the two transfers one after the other.
        double aSeconds = ofA.GetProperty("seconds").GetDouble();
        double bSeconds = ofB.GetProperty("seconds").GetDouble();
        Assert.True(aSeconds > 2 && bSeconds > 2, $"transfers too short to tell (throttled to 2 MB/s): {aSeconds} s, {bSeconds} s");
        Assert.True(both.Elapsed.TotalSeconds < aSeconds + bSeconds, $"the senders took {both.Elapsed.TotalSeconds:0.0} s, the transfers {aSeconds:0.0} + {bSeconds:0.0} s: one waited for the other");
    }

    [Fact]
    public async Task A_sender_over_max_senders_is_told_the_drop_box_is_busy()
    {
        using var dir = new TempDir();
        await using DropBoxRun box = await DropBoxRun.OpenAsync(fixture.Relay.Address, dir.Combine("inbox"), "--max-senders", "2");
        string slow = dir.WriteRandomFile("slow/big.bin", 1_500_000);
        Task first = box.SendAsync(fixture.Relay.Address, [slow], expectExit: 0, throttle: "300KB");
        Task second = box.SendAsync(fixture.Relay.Address, [slow], expectExit: 0, throttle: "300KB");
        await box.WaitUntilAsync(() => Directory.GetDirectories(dir.Combine("inbox")).Length == 2, "two transfers under way");
        string extra = dir.WriteRandomFile("extra/x.bin", 1_000);
        int busy = await DropBoxRun.SendWithCodeAsync(fixture.Relay.Address, box.Code, [extra], expectOutput: "the drop box is busy");
        Assert.Equal(4, busy);
        await Task.WhenAll(first, second);
        await box.WaitForReceivedAsync(2);
        Assert.All(box.Received, e => Assert.Equal(TempDir.Sha256(slow), TempDir.Sha256(Path.Combine(e.GetProperty("folder").GetString()!, "big.bin"))));
    }

    [Fact]
    public async Task Wrong_codes_stop_it_with_exit_6_and_the_right_code_gets_nothing_in_after()
    {
        using var dir = new TempDir();
        await using DropBoxRun box = await DropBoxRun.OpenAsync(fixture.Relay.Address, dir.Combine("inbox"), "--max-failures", "3");
        string file = dir.WriteRandomFile("src/x.bin", 10_000);
        for (int i = 1; i <= 3; i++)
        {
            string wrong = WrongCode(box.Code);
            int exit = await DropBoxRun.SendWithCodeAsync(fixture.Relay.Address, wrong, [file]);
            Assert.Equal(6, exit);
        }

        Assert.Equal(6, await box.Process.WaitForExitAsync(Timeout));
        Assert.Contains("wrong code", box.Process.Stdout, StringComparison.Ordinal); // --json: the error is an event
        Assert.Equal(3, box.Events("guess_failed").Count());
        Assert.Contains("drop box stopped", box.Events("dropbox_closed").Single().GetProperty("reason").GetString(), StringComparison.Ordinal);

        int late = await DropBoxRun.SendWithCodeAsync(fixture.Relay.Address, box.Code, [file], expectOutput: "no sender is waiting");
        Assert.Equal(6, late); // the room is gone: the relay's "no one waiting under this number"
        Assert.Empty(Directory.GetDirectories(dir.Combine("inbox")));
    }

    [Fact]
    public async Task A_relay_restart_in_between_is_survived_with_the_same_code()
    {
        using var dir = new TempDir();
        RelayProcess relay = await RelayProcess.StartAsync();
        string address = relay.Address;
        try
        {
            await using DropBoxRun box = await DropBoxRun.OpenAsync(address, dir.Combine("inbox"));
            string before = dir.WriteRandomFile("a/before.bin", 300_000);
            await box.SendAsync(address, [before], expectExit: 0);
            await box.WaitForReceivedAsync(1);

            await relay.DisposeAsync(); // killed by PID
            await Task.Delay(TimeSpan.FromSeconds(2));
            relay = await RelayProcess.RestartOnAsync(address);
            await box.Process.WaitForEventAsync("dropbox_reconnected", Timeout);

            string after = dir.WriteRandomFile("b/after.bin", 300_000);
            await box.SendAsync(address, [after], expectExit: 0);
            await box.WaitForReceivedAsync(2);
            Assert.Equal(TempDir.Sha256(after), TempDir.Sha256(Path.Combine(box.Received[1].GetProperty("folder").GetString()!, "after.bin")));
            Assert.Single(box.Events("code")); // the code was shown once
        }
        finally
        {
            await relay.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_relays_unpaired_timeout_reopens_the_room_with_the_same_code()
    {
        using var dir = new TempDir();
        await using RelayProcess relay = await RelayProcess.StartAsync(null, "--unpaired-timeout", "2");
        await using DropBoxRun box = await DropBoxRun.OpenAsync(relay.Address, dir.Combine("inbox"));
        await box.Process.WaitForEventAsync("dropbox_reconnected", Timeout); // no one came within 2 s: the relay closed the room
        string file = dir.WriteRandomFile("src/late.bin", 100_000);
        await box.SendAsync(relay.Address, [file], expectExit: 0);
        await box.WaitForReceivedAsync(1);
        Assert.Equal(TempDir.Sha256(file), TempDir.Sha256(Path.Combine(box.Received[0].GetProperty("folder").GetString()!, "late.bin")));
    }

    [Fact]
    public async Task Max_2_exits_0_after_two_transfers()
    {
        using var dir = new TempDir();
        await using DropBoxRun box = await DropBoxRun.OpenAsync(fixture.Relay.Address, dir.Combine("inbox"), "--max", "2");
        string file = dir.WriteRandomFile("src/x.bin", 50_000);
        await box.SendAsync(fixture.Relay.Address, [file], expectExit: 0);
        await box.SendAsync(fixture.Relay.Address, [file], expectExit: 0);
        Assert.Equal(0, await box.Process.WaitForExitAsync(Timeout));
        Assert.Equal(2, box.Received.Count);
        Assert.Contains("--max 2", box.Events("dropbox_closed").Single().GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.All(box.Received, e => Assert.Equal(TempDir.Sha256(file), TempDir.Sha256(Path.Combine(e.GetProperty("folder").GetString()!, "x.bin"))));
    }

    [Fact]
    public async Task Ctrl_c_exits_130_and_tells_the_sender_under_way()
    {
        using var dir = new TempDir();
        await using DropBoxRun box = await DropBoxRun.OpenAsync(fixture.Relay.Address, dir.Combine("inbox"));
        string slow = dir.WriteRandomFile("slow/big.bin", 3_000_000);
        Task<(int Exit, string Output)> sender = DropBoxRun.SendCapturingAsync(fixture.Relay.Address, box.Code, [slow, "--throttle", "300KB"]);
        await box.WaitUntilAsync(() => Directory.GetDirectories(dir.Combine("inbox")).Length == 1, "the transfer under way");
        box.Process.Interrupt();
        Assert.Equal(130, await box.Process.WaitForExitAsync(Timeout));
        (int exit, string output) = await sender;
        Assert.True(exit == 3, $"the sender exited {exit}, not 3 (told by the drop box):\n{output}");
        Assert.Contains("the drop box closed", output, StringComparison.Ordinal);
        Assert.Empty(box.Received);
    }

    [Fact]
    public async Task Expire_5s_exits_0()
    {
        using var dir = new TempDir();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using DropBoxRun box = await DropBoxRun.OpenAsync(fixture.Relay.Address, dir.Combine("inbox"), "--expire", "5s");
        Assert.Equal(0, await box.Process.WaitForExitAsync(Timeout));
        Assert.InRange(clock.Elapsed.TotalSeconds, 5, 30);
        Assert.Contains("--expire", box.Events("dropbox_closed").Single().GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hidden_top_level_name_is_refused_and_the_drop_box_goes_on()
    {
        using var dir = new TempDir();
        await using DropBoxRun box = await DropBoxRun.OpenAsync(fixture.Relay.Address, dir.Combine("inbox"));
        string hidden = dir.WriteRandomFile("src/.bashrc", 1_000);
        await box.SendAsync(fixture.Relay.Address, [hidden], expectExit: 3);
        await box.WaitUntilAsync(() => box.Events("transfer_failed").Any(), "the refusal");
        Assert.Contains("hidden", box.Events("transfer_failed").Single().GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(dir.Combine("inbox")));

        string plain = dir.WriteRandomFile("ok/plain.txt", 1_000);
        await box.SendAsync(fixture.Relay.Address, [plain], expectExit: 0);
        await box.WaitForReceivedAsync(1);
        Assert.False(box.Process.HasExited);
    }

    [Fact]
    public async Task Send_to_a_one_to_one_code_is_a_usage_error()
    {
        using var dir = new TempDir();
        string file = dir.WriteRandomFile("x.bin", 1_000);
        await using TallowProcess sender = TallowProcess.Start(["send", file, "--json", "--relay", fixture.Relay.Address], environment: new Dictionary<string, string?> { ["TALLOW_CODE"] = null });
        string code = (await sender.WaitForEventAsync("code", Timeout)).GetProperty("code").GetString()!;
        int exit = await DropBoxRun.SendWithCodeAsync(fixture.Relay.Address, code, [file], expectOutput: "not a drop box");
        Assert.Equal(2, exit);
    }

    [Theory]
    [InlineData("drop-box --words 3", "--words must be 5 or more")]
    [InlineData("drop-box --expire 5x", "--expire takes a duration")]
    [InlineData("drop-box --max-senders 1", "--max-senders must be between 2 and 19")]
    [InlineData("send --text hi --to", "--to sends files and folders")]
    public async Task Bad_options_are_usage_errors_before_any_connection(string command, string message)
    {
        await using TallowProcess process = TallowProcess.Start([.. command.Split(' '), "--relay", fixture.Relay.Address], environment: new Dictionary<string, string?> { ["TALLOW_CODE"] = "1-abc-def-ghi-jkl-mno" });
        Assert.Equal(2, await process.WaitForExitAsync(Timeout));
        Assert.Contains(message, process.Stderr, StringComparison.Ordinal);
    }

    /// <summary>A code on the same number with other words: reaches the drop box, fails the handshake.</summary>
    private static string WrongCode(string code)
    {
        string wrong;
        do
        {
            wrong = CodePhrase.Generate(uint.Parse(code.Split('-')[0]), code.Split('-').Length - 1);
        }
        while (wrong == code);
        return wrong;
    }
}

/// <summary>One `tallow drop-box --json` process and the senders sent to it.</summary>
internal sealed class DropBoxRun : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private DropBoxRun(TallowProcess process, string code)
    {
        Process = process;
        Code = code;
    }

    public TallowProcess Process { get; }

    public string Code { get; }

    public List<JsonElement> Received => [.. Events("transfer_received")];

    public static async Task<DropBoxRun> OpenAsync(string relay, string outDir, params string[] extra)
    {
        TallowProcess process = TallowProcess.Start(["drop-box", "--json", "--relay", relay, "--out", outDir, .. extra]);
        string code = (await process.WaitForEventAsync("dropbox_open", Timeout)).GetProperty("code").GetString()!;
        return new DropBoxRun(process, code);
    }

    public IEnumerable<JsonElement> Events(string name) => Process.Events.Where(e => e.GetProperty("event").GetString() == name);

    /// <summary>`tallow send PATHS --to` with the code in TALLOW_CODE (out of the process list); asserts the exit code.</summary>
    public async Task SendAsync(string relay, string[] paths, int expectExit, string? throttle = null)
    {
        string[] extra = throttle is null ? [] : ["--throttle", throttle];
        await using TallowProcess sender = TallowProcess.Start(["send", .. paths, "--json", "--relay", relay, .. extra, "--to"], environment: new Dictionary<string, string?> { ["TALLOW_CODE"] = Code });
        int exit = await sender.WaitForExitAsync(Timeout);
        Assert.True(exit == expectExit, $"the sender exited {exit}, not {expectExit}:\n{sender.Stdout}\n{sender.Stderr}\ndrop box:\n{Process.Stdout}\n{Process.Stderr}");
    }

    /// <summary>A sender with <paramref name="code"/>; returns its exit code (its output must contain <paramref name="expectOutput"/>).</summary>
    public static async Task<int> SendWithCodeAsync(string relay, string code, string[] paths, string? expectOutput = null)
    {
        (int exit, string output) = await SendCapturingAsync(relay, code, paths);
        if (expectOutput is not null)
        {
            Assert.Contains(expectOutput, output, StringComparison.Ordinal);
        }

        return exit;
    }

    /// <summary>A sender with <paramref name="code"/> (extra arguments after the paths); returns its exit code and output.</summary>
    public static async Task<(int Exit, string Output)> SendCapturingAsync(string relay, string code, string[] args)
    {
        await using TallowProcess sender = TallowProcess.Start(["send", .. args, "--relay", relay, "--to"], environment: new Dictionary<string, string?> { ["TALLOW_CODE"] = code });
        int exit = await sender.WaitForExitAsync(Timeout);
        return (exit, sender.Stdout + sender.Stderr);
    }

    public Task WaitForReceivedAsync(int count) => WaitUntilAsync(() => Received.Count >= count, $"{count} transfer(s) received");

    public async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < Timeout)
        {
            if (condition())
            {
                return;
            }

            Assert.False(Process.HasExited, $"the drop box exited before {what}:\n{Process.Stdout}\n{Process.Stderr}");
            await Task.Delay(50);
        }

        throw new TimeoutException($"no {what} within {Timeout.TotalSeconds:0} s:\n{Process.Stdout}\n{Process.Stderr}");
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
