// `tallow history` end to end: real transfers through a real relay, each side with its own
// XDG_STATE_HOME (two users), then `tallow history --json` read back. Checks what is recorded
// (names, sizes, path, result), what never is (the code phrase, in any byte of the database
// files), --no-history and TALLOW_NO_HISTORY, the file modes, and that a broken history never
// breaks a transfer (one warning, the same exit code).
using System.Text;
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class HistoryTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private RelayProcess Relay => fixture.Relay;

    /// <summary>Environment of a side whose history lives under <paramref name="state"/> (recording on).</summary>
    private static Dictionary<string, string?> StateEnv(string state) => new() { ["XDG_STATE_HOME"] = state, ["TALLOW_NO_HISTORY"] = "0" };

    /// <summary>A sender with a code of words that appear nowhere else, so finding one in the database can only mean the code was stored.</summary>
    private static Dictionary<string, string?> SenderEnv(string state, string code) => new(StateEnv(state)) { ["TALLOW_CODE"] = code };

    private static string DbPath(string state) => Path.Combine(state, "tallow", "history.db");

    /// <summary>`tallow history --json` with this state folder: one object per recorded transfer, newest first.</summary>
    private static async Task<List<JsonElement>> HistoryAsync(string state)
    {
        await using TallowProcess history = TallowProcess.Start(["history", "--json"], environment: StateEnv(state));
        Check.Exit(0, await history.WaitForExitAsync(Check.ShortTimeout), history, "history");
        return [.. history.Events];
    }

    [Fact]
    public async Task A_completed_transfer_is_recorded_on_both_sides_and_the_code_is_not()
    {
        using var dir = new TempDir();
        string single = dir.WriteRandomFile(Path.Combine("src", "report.pdf"), 70_000);
        dir.WriteRandomFile(Path.Combine("src", "photos", "a.jpg"), 20_000);
        dir.WriteRandomFile(Path.Combine("src", "photos", "b.jpg"), 10_000);
        string senderState = dir.Combine("sender-state");
        string receiverState = dir.Combine("receiver-state");
        string outDir = dir.Combine("out");

        TransferRun run = await Transfer.RunAsync(Relay, [single, dir.Combine("src", "photos")], code => [code, "--out", outDir, "--yes", "--json"],
            senderEnv: SenderEnv(senderState, "41-xylophone-quagmire-zeppelin-marmoset"), receiverEnv: StateEnv(receiverState));
        await using (run.AsDisposable())
        {
            Check.Succeeded(run);
            Assert.Equal("41-xylophone-quagmire-zeppelin-marmoset", run.Code);
            Assert.Equal(TempDir.Sha256(single), TempDir.Sha256(Path.Combine(outDir, "report.pdf")));
            Assert.Equal(TempDir.Sha256(dir.Combine("src", "photos", "b.jpg")), TempDir.Sha256(Path.Combine(outDir, "photos", "b.jpg")));

            foreach ((string state, string direction) in new[] { (senderState, "sent"), (receiverState, "received") })
            {
                List<JsonElement> entries = await HistoryAsync(state);
                Assert.True(entries.Count == 1, $"{direction}: {entries.Count} entries\n{Check.Describe(run)}");
                JsonElement e = entries[0];
                Assert.Equal(direction, e.GetProperty("direction").GetString());
                Assert.Equal("files", e.GetProperty("kind").GetString());
                Assert.Equal(["photos", "report.pdf"], e.GetProperty("names").EnumerateArray().Select(n => n.GetString()).Order());
                Assert.Equal(100_000, e.GetProperty("bytes").GetInt64());
                Assert.Equal("completed", e.GetProperty("result").GetString());
                Assert.Equal(JsonValueKind.Null, e.GetProperty("reason").ValueKind);
                Assert.Equal(Relay.Address, e.GetProperty("relay").GetString());
                Assert.Contains(e.GetProperty("path").GetString(), new[] { "direct", "relay" });
                Assert.True(e.GetProperty("seconds").GetDouble() >= 0);
                Assert.True(DateTimeOffset.UtcNow - e.GetProperty("time").GetDateTimeOffset() < TimeSpan.FromMinutes(2));

                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(DbPath(state)));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(DbPath(state))!));
                AssertNoCodeWords(state, run.Code);
            }
        }

        // The published folder copied elsewhere (its libe_sqlite3.so beside the binary) reads the same history.
        string copy = dir.Combine("copied-tallow");
        Directory.CreateDirectory(copy);
        foreach (string file in Directory.GetFiles(Path.GetDirectoryName(Repo.TallowBinary)!))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        (int exit, string stdout, string stderr) = await RunAsync(Path.Combine(copy, "tallow"), ["history", "--json"], StateEnv(receiverState));
        Assert.True(exit == 0, stderr);
        Assert.Equal("received", JsonDocument.Parse(stdout.Trim()).RootElement.GetProperty("direction").GetString());
    }

    /// <summary>Runs <paramref name="binary"/> to its end (at most 15 s) with a clean environment plus <paramref name="env"/>.</summary>
    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string binary, string[] args, Dictionary<string, string?> env)
    {
        var info = new System.Diagnostics.ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        ChildProcess.ScrubEnvironment(info);
        foreach ((string key, string? value) in env)
        {
            info.Environment[key] = value;
        }

        using var process = System.Diagnostics.Process.Start(info)!;
        try
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(Check.ShortTimeout);
            return (process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            ChildProcess.KillTree(process);
        }
    }

    [Fact]
    public async Task A_declined_transfer_is_recorded_as_declined_on_both_sides()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("offered.bin", 5000);
        string senderState = dir.Combine("sender-state");
        string receiverState = dir.Combine("receiver-state");

        // No --yes and no terminal: the receiver declines (exit 3 on both sides).
        TransferRun run = await Transfer.RunAsync(Relay, [source], code => [code, "--out", dir.Combine("out"), "--json"],
            senderEnv: SenderEnv(senderState, "42-walrus-kumquat-jodhpur-vexillum"), receiverEnv: StateEnv(receiverState), timeout: TimeSpan.FromSeconds(30));
        await using (run.AsDisposable())
        {
            Check.Exit(3, run.SenderExit, run.Sender, "sender");
            Check.Exit(3, run.ReceiverExit, run.Receiver, "receiver");
            foreach ((string state, string direction) in new[] { (senderState, "sent"), (receiverState, "received") })
            {
                JsonElement e = Assert.Single(await HistoryAsync(state));
                Assert.Equal(direction, e.GetProperty("direction").GetString());
                Assert.Equal("declined", e.GetProperty("result").GetString());
                Assert.Equal(["offered.bin"], e.GetProperty("names").EnumerateArray().Select(n => n.GetString()));
                Assert.Equal(5000, e.GetProperty("bytes").GetInt64());
                Assert.False(string.IsNullOrWhiteSpace(e.GetProperty("reason").GetString()), $"{direction}: a declined entry says why");
                Assert.Equal(JsonValueKind.Null, e.GetProperty("seconds").ValueKind);
                AssertNoCodeWords(state, run.Code);
            }
        }
    }

    [Fact]
    public async Task Ctrl_c_mid_transfer_is_recorded_as_cancelled_on_both_sides()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("big.bin", 20_000_000);
        string senderState = dir.Combine("sender-state");
        string receiverState = dir.Combine("receiver-state");
        await using TallowProcess sender = TallowProcess.Start(["send", source, "--relay", Relay.Address, "--throttle", "2M", "--no-p2p", "--json"], environment: StateEnv(senderState));
        string code = (await sender.WaitForEventAsync("code", Check.ShortTimeout)).GetProperty("code").GetString()!;
        await using TallowProcess receiver = TallowProcess.Start(["receive", code, "--relay", Relay.Address, "--out", dir.Combine("out"), "--yes", "--no-p2p", "--json"],
            environment: StateEnv(receiverState));
        await InterruptedTransfer.WaitForProgressAsync(receiver, 1_000_000, TimeSpan.FromSeconds(30));
        sender.Interrupt();
        Check.Exit(130, await sender.WaitForExitAsync(Check.ShortTimeout), sender, "sender");
        Check.Exit(3, await receiver.WaitForExitAsync(Check.ShortTimeout), receiver, "receiver");

        foreach ((string state, string direction) in new[] { (senderState, "sent"), (receiverState, "received") })
        {
            JsonElement e = Assert.Single(await HistoryAsync(state));
            Assert.Equal(direction, e.GetProperty("direction").GetString());
            Assert.Equal("cancelled", e.GetProperty("result").GetString());
            Assert.Equal("relay", e.GetProperty("path").GetString());
            Assert.Equal(20_000_000, e.GetProperty("bytes").GetInt64());
            Assert.True(e.GetProperty("seconds").GetDouble() > 0.2, $"{direction}: it ran until the Ctrl-C");
        }
    }

    [Fact]
    public async Task No_history_flag_and_variable_record_nothing()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("quiet.bin", 3000);
        string senderState = dir.Combine("sender-state");
        string receiverState = dir.Combine("receiver-state");
        string outDir = dir.Combine("out");

        TransferRun run = await Transfer.RunAsync(Relay, [source, "--no-history"], code => [code, "--out", outDir, "--yes", "--json"],
            senderEnv: StateEnv(senderState), receiverEnv: new Dictionary<string, string?> { ["XDG_STATE_HOME"] = receiverState, ["TALLOW_NO_HISTORY"] = "1" });
        await using (run.AsDisposable())
        {
            Check.Succeeded(run);
            Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, "quiet.bin")));
            Assert.False(Directory.Exists(senderState), "--no-history: nothing may be created");
            Assert.False(Directory.Exists(receiverState), "TALLOW_NO_HISTORY=1: nothing may be created");
        }

        await using TallowProcess history = TallowProcess.Start(["history"], environment: StateEnv(senderState));
        Check.Exit(0, await history.WaitForExitAsync(Check.ShortTimeout), history, "history");
        Check.Contains("No transfers recorded yet", history.Stderr, Check.Describe(history, "history"));
    }

    [Fact]
    public async Task History_false_in_the_config_file_records_nothing_and_the_other_side_still_records()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("quiet.bin", 3000);
        string senderState = dir.Combine("sender-state");
        string receiverState = dir.Combine("receiver-state");
        Dictionary<string, string?> senderEnv = ConfigFileTests.ConfigHome(dir, "config", "history = false\n");
        senderEnv["XDG_STATE_HOME"] = senderState;
        senderEnv["TALLOW_NO_HISTORY"] = "0";

        TransferRun run = await Transfer.RunAsync(Relay, [source], code => [code, "--out", dir.Combine("out"), "--yes", "--json"],
            senderEnv: senderEnv, receiverEnv: StateEnv(receiverState));
        await using (run.AsDisposable())
        {
            Check.Succeeded(run);
            Assert.False(Directory.Exists(senderState), "history = false in config.toml: nothing may be created");
            Assert.True(File.Exists(DbPath(receiverState)), "the receiver, without that file, records as usual");
        }
    }

    [Fact]
    public async Task A_corrupt_or_unwritable_history_only_warns_and_the_transfer_succeeds()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("important.bin", 200_000);
        string corruptState = dir.Combine("corrupt-state");
        Directory.CreateDirectory(Path.Combine(corruptState, "tallow"));
        File.WriteAllBytes(DbPath(corruptState), Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("this is not an SQLite database. ", 500))));
        // A state "folder" that is a file: nothing can be created under it, even by root.
        string unwritableState = dir.Combine("a-file");
        File.WriteAllText(unwritableState, "not a folder");
        string outDir = dir.Combine("out");

        // Human output (no --json) on the receiver, to count the warning's lines on stderr.
        TransferRun run = await Transfer.RunAsync(Relay, [source], code => [code, "--out", outDir, "--yes"],
            senderEnv: StateEnv(corruptState), receiverEnv: StateEnv(unwritableState));
        await using (run.AsDisposable())
        {
            Check.Succeeded(run);
            Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, "important.bin")));
            string[] warnings = [.. run.Receiver.Stderr.Split('\n').Where(l => l.Contains("history", StringComparison.OrdinalIgnoreCase))];
            Assert.True(warnings.Length == 1 && warnings[0].StartsWith("warning: ", StringComparison.Ordinal), Check.Describe(run));
            JsonElement notice = Assert.Single(Check.Events(run.Sender, "notice"), n => n.GetProperty("message").GetString()!.Contains("history", StringComparison.Ordinal));
            Check.Contains("not added to the history", notice.GetProperty("message").GetString()!, Check.Describe(run));
        }

        await using TallowProcess history = TallowProcess.Start(["history"], environment: StateEnv(corruptState));
        Check.Exit(5, await history.WaitForExitAsync(Check.ShortTimeout), history, "history");
        Check.Contains("tallow history --clear", history.Stderr, Check.Describe(history, "history"));

        await using TallowProcess clear = TallowProcess.Start(["history", "--clear"], environment: StateEnv(corruptState));
        Check.Exit(0, await clear.WaitForExitAsync(Check.ShortTimeout), clear, "history --clear");
        Assert.False(File.Exists(DbPath(corruptState)));
        Assert.Empty(await HistoryAsync(corruptState));
    }

    /// <summary>No word of the code phrase in any byte of the history's files (database, WAL, shared memory).</summary>
    private static void AssertNoCodeWords(string state, string code)
    {
        string[] words = [.. code.Split('-').Skip(1)];
        Assert.NotEmpty(words);
        foreach (string file in Directory.GetFiles(Path.Combine(state, "tallow")))
        {
            string bytes = Encoding.Latin1.GetString(File.ReadAllBytes(file));
            foreach (string word in words)
            {
                Assert.False(bytes.Contains(word, StringComparison.OrdinalIgnoreCase), $"'{word}' of the code is in {file}");
            }
        }
    }
}
