// Resume with the real processes (DESIGN.md §8 "Resume"): a transfer is cut off at about 40 %
// (receiver, sender or relay killed with SIGKILL), which must leave "<name>.tallow-part" and its
// 112-byte "<name>.tallow-resume" sidecar and nothing under the final name; a new transfer with a
// new code into the same --out then continues from the checkpointed prefix (checkpoints every
// 4 MiB), moves only the rest over the wire, and ends with the source's SHA-256 and no leftovers.
// The first run is throttled on the sender so the kill lands near 40 % whatever the machine's speed.
using System.Globalization;
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Tallow.IntegrationTests;

public sealed class ResumeTests(OpenRelayFixture fixture, ITestOutputHelper output) : IClassFixture<OpenRelayFixture>
{
    private const long MiB = 1024 * 1024;

    private RelayProcess Relay => fixture.Relay;

    [Fact]
    public async Task Receiver_killed_at_40_percent_of_256_MiB_resumes_over_the_relay()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("src/big.bin", 256 * MiB);
        string outDir = dir.Combine("out");

        long partAtKill;
        await using (InterruptedRun killed = await InterruptedTransfer.RunAsync(Relay, [source, "--no-p2p", "--throttle", ResumeSupport.ThrottleFor(256 * MiB)],
            code => ResumeSupport.Receive(code, outDir, "--no-p2p"), ResumeSupport.KillAt(256 * MiB), Victim.Receiver))
        {
            partAtKill = ResumeSupport.AssertInterrupted(outDir, "big.bin", killed);
            output.WriteLine($"receiver killed at progress {killed.ProgressAtKill} B; part file {partAtKill} B");
        }

        TransferRun run = await Transfer.RunAsync(Relay, [source, "--no-p2p"], code => ResumeSupport.Receive(code, outDir, "--no-p2p", "--json"));
        try
        {
            ResumeSupport.AssertResumed(run, source, outDir, "big.bin", partAtKill, output);
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task Sender_killed_at_40_percent_resumes_over_the_direct_path()
    {
        const long size = 96 * MiB;
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("src/video.bin", size);
        string outDir = dir.Combine("out");

        long partAtKill;
        await using (InterruptedRun killed = await InterruptedTransfer.RunAsync(Relay, [source, "--no-p2p", "--throttle", ResumeSupport.ThrottleFor(size)],
            code => ResumeSupport.Receive(code, outDir, "--no-p2p"), ResumeSupport.KillAt(size), Victim.Sender))
        {
            partAtKill = ResumeSupport.AssertInterrupted(outDir, "video.bin", killed);
            output.WriteLine($"sender killed at receiver progress {killed.ProgressAtKill} B; part file {partAtKill} B");
        }

        // The default path: P2P allowed, so on loopback the session upgrades to a direct connection.
        TransferRun run = await Transfer.RunAsync(Relay, [source], code => ResumeSupport.Receive(code, outDir, "--json"));
        try
        {
            ResumeSupport.AssertResumed(run, source, outDir, "video.bin", partAtKill, output);
            Check.SingleEvent(run.Receiver, "p2p_upgrade", "receiver");
            Check.SingleEvent(run.Sender, "p2p_upgrade", "sender");
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task Folder_with_complete_files_and_a_part_skips_the_complete_ones_and_resumes_the_big_one()
    {
        using var dir = new TempDir();
        string tree = dir.Combine("src", "tree");
        var stamp = new DateTime(2021, 3, 4, 5, 6, 7, DateTimeKind.Utc);
        string[] small = ["a.bin", "b.bin", "c.bin"];
        for (int i = 0; i < small.Length; i++)
        {
            File.SetLastWriteTimeUtc(dir.WriteRandomFile(Path.Combine("src", "tree", small[i]), 8 * MiB), stamp.AddSeconds(i));
        }

        const long bigSize = 96 * MiB;
        File.SetLastWriteTimeUtc(dir.WriteRandomFile(Path.Combine("src", "tree", "z-big.bin"), bigSize), stamp.AddMinutes(1));
        Directory.SetLastWriteTimeUtc(tree, stamp.AddHours(1));
        const long total = (3 * 8 * MiB) + bigSize;
        string outDir = dir.Combine("out");

        long partAtKill;
        await using (InterruptedRun killed = await InterruptedTransfer.RunAsync(Relay, [tree, "--no-p2p", "--throttle", ResumeSupport.ThrottleFor(total)],
            code => ResumeSupport.Receive(code, outDir, "--no-p2p"), (3 * 8 * MiB) + (long)(bigSize * 0.4), Victim.Receiver))
        {
            partAtKill = ResumeSupport.AssertInterrupted(Path.Combine(outDir, "tree"), "z-big.bin", killed);
            foreach (string name in small)
            {
                Assert.True(File.Exists(Path.Combine(outDir, "tree", name)), $"{name} should be complete before the kill.\n{Check.Describe(killed.Receiver, "receiver")}");
            }
        }

        TransferRun run = await Transfer.RunAsync(Relay, [tree, "--no-p2p"], code => ResumeSupport.Receive(code, outDir, "--no-p2p", "--json"));
        try
        {
            Check.Succeeded(run);
            // The receiver reports the skipped files too; the sender only learns of the resumed one
            // (skipped files are simply absent from the Accept, like unselected ones).
            Dictionary<string, JsonElement> resumes = Check.Events(run.Receiver, "resume").ToDictionary(e => e.GetProperty("path").GetString()!);
            Assert.True(resumes.Count == 4, $"receiver: expected 4 resume events.\n{Check.Describe(run)}");
            foreach (string name in small)
            {
                JsonElement skipped = resumes["tree/" + name];
                Assert.Equal(8 * MiB, skipped.GetProperty("offset").GetInt64());
                Assert.Equal(8 * MiB, skipped.GetProperty("size").GetInt64());
            }

            long offset = resumes["tree/z-big.bin"].GetProperty("offset").GetInt64();
            Assert.True(offset > 0 && offset <= partAtKill && partAtKill - offset <= ResumeSupport.CheckpointSlack,
                $"big file resumed at {offset}, part had {partAtKill}.\n{Check.Describe(run)}");
            JsonElement senderResume = Check.SingleEvent(run.Sender, "resume", "sender");
            Assert.Equal("tree/z-big.bin", senderResume.GetProperty("path").GetString());
            Assert.Equal(offset, senderResume.GetProperty("offset").GetInt64());
            Assert.Equal(bigSize - offset, Check.SingleEvent(run.Sender, "transfer_complete", "sender").GetProperty("bytes").GetInt64());

            JsonElement received = Check.SingleEvent(run.Receiver, "file_received", "receiver"); // only the big one moved
            Assert.Equal("tree/z-big.bin", received.GetProperty("path").GetString());
            long resumedFrom = received.GetProperty("resumed_from").GetInt64();
            Assert.True(received.GetProperty("wire_bytes").GetInt64() <= bigSize - resumedFrom + ResumeSupport.WireMargin, Check.Describe(run));
            output.WriteLine(ResumeSupport.Savings("folder (3 x 8 MiB complete + 96 MiB part)", (3 * 8 * MiB) + resumedFrom, total));

            Check.SameTree(tree, Path.Combine(outDir, "tree"), Check.Describe(run));
            foreach (string name in small.Append("z-big.bin"))
            {
                Assert.Equal(File.GetLastWriteTimeUtc(Path.Combine(tree, name)), File.GetLastWriteTimeUtc(Path.Combine(outDir, "tree", name)));
            }

            Assert.Equal(stamp.AddHours(1), Directory.GetLastWriteTimeUtc(Path.Combine(outDir, "tree")));
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task Relay_killed_mid_transfer_resumes_through_a_new_relay()
    {
        const long size = 64 * MiB;
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("src/data.bin", size);
        string outDir = dir.Combine("out");

        long partAtKill;
        await using (RelayProcess doomed = await RelayProcess.StartAsync())
        await using (InterruptedRun killed = await InterruptedTransfer.RunAsync(doomed, [source, "--no-p2p", "--throttle", ResumeSupport.ThrottleFor(size)],
            code => ResumeSupport.Receive(code, outDir, "--no-p2p"), ResumeSupport.KillAt(size), Victim.External, () =>
            {
                doomed.Process.Kill();
                return Task.CompletedTask;
            }))
        {
            partAtKill = ResumeSupport.AssertInterrupted(outDir, "data.bin", killed);
        }

        await using RelayProcess fresh = await RelayProcess.StartAsync();
        TransferRun run = await Transfer.RunAsync(fresh, [source, "--no-p2p"], code => ResumeSupport.Receive(code, outDir, "--no-p2p", "--json"));
        try
        {
            ResumeSupport.AssertResumed(run, source, outDir, "data.bin", partAtKill, output);
        }
        finally
        {
            await run.DisposeAsync();
        }
    }
}

/// <summary>Arguments, bounds and assertions shared by the resume tests.</summary>
internal static class ResumeSupport
{
    private const long MiB = 1024 * 1024;

    /// <summary>The receiver checkpoints every 4 MiB; with 1 MiB chunks the checkpoint lags the written bytes by less than 5 MiB.</summary>
    public const long CheckpointSlack = 5 * MiB;

    /// <summary>Allowed excess of wire bytes over the bytes left to send (there is none for raw chunks).</summary>
    public const long WireMargin = 64 * 1024;

    public static string[] Receive(string code, string outDir, params string[] extra) => [code, "--out", outDir, "--yes", .. extra];

    /// <summary>Kills when the receiver reported 38 % (progress comes every 500 ms, so the kill lands between 38 and about 46 %).</summary>
    public static long KillAt(long size) => (long)(size * 0.38);

    /// <summary>A sender throttle that reaches 40 % of <paramref name="bytes"/> in about 2.5 s.</summary>
    public static string ThrottleFor(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, bytes * 0.4 / 2.5 / 1e6):0}MB");

    /// <summary>No file under the final name; the part file and the 112-byte sidecar are there. Returns the part's length.</summary>
    public static long AssertInterrupted(string folder, string name, InterruptedRun killed)
    {
        string context = $"{Check.Describe(killed.Sender, "sender")}\n{Check.Describe(killed.Receiver, "receiver")}";
        string part = Path.Combine(folder, name + ".tallow-part");
        string sidecar = Path.Combine(folder, name + ".tallow-resume");
        Assert.False(File.Exists(Path.Combine(folder, name)), $"'{name}' exists under its final name after the kill.\n{context}");
        Assert.True(File.Exists(part), $"missing {part}.\n{context}");
        Assert.True(File.Exists(sidecar), $"missing {sidecar}.\n{context}");
        Assert.Equal(112, new FileInfo(sidecar).Length);
        return new FileInfo(part).Length;
    }

    /// <summary>The second run resumed the file from its checkpoint, moved only the rest, and left the source's exact content.</summary>
    public static void AssertResumed(TransferRun run, string source, string outDir, string name, long partAtKill, ITestOutputHelper output, double minimumFraction = 0.30)
    {
        Check.Succeeded(run);
        long size = new FileInfo(source).Length;
        JsonElement resume = Check.SingleEvent(run.Receiver, "resume", "receiver");
        long offset = resume.GetProperty("offset").GetInt64();
        Assert.Equal(size, resume.GetProperty("size").GetInt64());
        Assert.True(offset >= (long)(size * minimumFraction) && offset <= partAtKill && partAtKill - offset <= CheckpointSlack,
            $"resumed at {offset} of {size}; the part file had {partAtKill} bytes at the kill.\n{Check.Describe(run)}");
        Assert.Equal(offset, Check.SingleEvent(run.Sender, "resume", "sender").GetProperty("offset").GetInt64());

        JsonElement received = Check.SingleEvent(run.Receiver, "file_received", "receiver");
        Assert.Equal(offset, received.GetProperty("resumed_from").GetInt64());
        long wire = received.GetProperty("wire_bytes").GetInt64();
        Assert.True(wire <= size - offset + WireMargin, $"receiver wire_bytes {wire} > {size} - {offset}.\n{Check.Describe(run)}");
        JsonElement sent = Check.SingleEvent(run.Sender, "file_sent", "sender");
        Assert.True(sent.GetProperty("wire_bytes").GetInt64() <= size - offset + WireMargin, Check.Describe(run));
        Assert.Equal(size - offset, Check.SingleEvent(run.Receiver, "transfer_complete", "receiver").GetProperty("bytes").GetInt64());

        string final = Path.Combine(outDir, name);
        Assert.True(File.Exists(final), $"missing {final}.\n{Check.Describe(run)}");
        Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(final));
        Check.NoPartFiles(outDir, Check.Describe(run));
        Assert.Empty(Directory.GetFiles(outDir, "*.tallow-resume", SearchOption.AllDirectories));
        double seconds = Check.SingleEvent(run.Receiver, "transfer_complete", "receiver").GetProperty("seconds").GetDouble();
        output.WriteLine(Savings(name, offset, size) + string.Create(CultureInfo.InvariantCulture, $"; wire {wire} B in {seconds:0.00} s"));
    }

    /// <summary>A time cut to whole seconds, as the offer carries it.</summary>
    public static DateTime Seconds(DateTime utc) => new(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);

    public static string Savings(string what, long saved, long size) =>
        string.Create(CultureInfo.InvariantCulture, $"RESUME {what}: saved {saved} of {size} B ({100.0 * saved / size:0.0} %), sent {size - saved} B");
}
