// When a part file must not be, or cannot be, continued (DESIGN.md §8 "Resume"): the source
// changed with a new mtime (another identity: no resume at all, and the old part is another
// version's resume state, which is kept beside the new file); the source changed with the
// same size and the same mtime restored (the resume is tried, the whole-file hash mismatches,
// the file is discarded with a notice and sent again from byte 0 after the last file: Resend);
// and `receive --no-resume`, which ignores the part. Every run ends with the source's SHA-256.
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Tallow.IntegrationTests;

public sealed class ResumeChangeTests(OpenRelayFixture fixture, ITestOutputHelper output) : IClassFixture<OpenRelayFixture>
{
    private const long Size = 64L * 1024 * 1024;

    private RelayProcess Relay => fixture.Relay;

    /// <summary>Sends <paramref name="source"/> until the receiver is killed at about 40 %; returns the part file's length.</summary>
    private async Task<long> KillReceiverAsync(string source, string outDir)
    {
        await using InterruptedRun killed = await InterruptedTransfer.RunAsync(Relay, [source, "--no-p2p", "--throttle", ResumeSupport.ThrottleFor(Size)],
            code => ResumeSupport.Receive(code, outDir, "--no-p2p"), ResumeSupport.KillAt(Size), Victim.Receiver);
        return ResumeSupport.AssertInterrupted(outDir, Path.GetFileName(source), killed);
    }

    private static void AssertReceivedFromZero(TransferRun run, string source, string outDir, bool otherVersionKept = false)
    {
        Check.Succeeded(run);
        List<JsonElement> received = Check.Events(run.Receiver, "file_received");
        Assert.True(received.Count >= 1, Check.Describe(run));
        JsonElement last = received[^1];
        Assert.Equal(0, last.GetProperty("resumed_from").GetInt64());
        Assert.Equal(Size, last.GetProperty("wire_bytes").GetInt64());
        string final = Path.Combine(outDir, Path.GetFileName(source));
        Assert.True(File.Exists(final), $"missing {final}.\n{Check.Describe(run)}");
        Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(final));
        if (otherVersionKept)
        {
            string name = Path.GetFileName(source);
            Assert.Equal([name, name + ".tallow-part", name + ".tallow-resume"], Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            return;
        }

        Check.NoPartFiles(outDir, Check.Describe(run));
        Assert.Empty(Directory.GetFiles(outDir, "*.tallow-resume", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Source_changed_with_a_new_mtime_is_not_resumed()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("src/log.bin", Size);
        string outDir = dir.Combine("out");
        long partAtKill = await KillReceiverAsync(source, outDir);

        DateTime before = File.GetLastWriteTimeUtc(source);
        using (FileStream stream = File.OpenWrite(source))
        {
            stream.Position = 1000; // inside the prefix already received
            stream.WriteByte(0x5A);
        }

        File.SetLastWriteTimeUtc(source, before.AddSeconds(7));

        TransferRun run = await Transfer.RunAsync(Relay, [source, "--no-p2p"], code => ResumeSupport.Receive(code, outDir, "--no-p2p", "--json"));
        try
        {
            Assert.Empty(Check.Events(run.Receiver, "resume"));
            Assert.Empty(Check.Events(run.Sender, "resume"));
            Assert.Single(Check.Events(run.Receiver, "file_received"));
            AssertReceivedFromZero(run, source, outDir, otherVersionKept: true);
            Assert.Equal(partAtKill, new FileInfo(Path.Combine(outDir, "log.bin.tallow-part")).Length); // the older version's part, untouched
            Assert.Contains(Check.Events(run.Receiver, "notice"), n => n.GetProperty("message").GetString()!.StartsWith(
                "'log.bin' changed on the sender since the earlier partial receive", StringComparison.Ordinal)
                && n.GetProperty("message").GetString()!.Contains("kept as 'log.bin.tallow-part'", StringComparison.Ordinal));
            Assert.Equal(ResumeSupport.Seconds(File.GetLastWriteTimeUtc(source)), File.GetLastWriteTimeUtc(Path.Combine(outDir, "log.bin"))); // mtimes travel in whole seconds
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task Source_changed_with_the_same_size_and_mtime_fails_the_final_check_and_is_sent_again_from_zero()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("src/disk.img", Size);
        string outDir = dir.Combine("out");
        await KillReceiverAsync(source, outDir);

        DateTime before = File.GetLastWriteTimeUtc(source);
        using (FileStream stream = File.OpenWrite(source))
        {
            stream.Position = 4096; // inside the prefix: the part still matches its sidecar, the file does not
            stream.Write(new byte[512]);
        }

        File.SetLastWriteTimeUtc(source, before);

        TransferRun run = await Transfer.RunAsync(Relay, [source, "--no-p2p"], code => ResumeSupport.Receive(code, outDir, "--no-p2p", "--json"));
        try
        {
            JsonElement resume = Check.SingleEvent(run.Receiver, "resume", "receiver");
            Assert.True(resume.GetProperty("offset").GetInt64() > 0, Check.Describe(run));
            List<string> notices = [.. Check.Events(run.Receiver, "notice").Select(n => n.GetProperty("message").GetString()!)];
            Assert.True(notices.Any(m => m.Contains("received again", StringComparison.Ordinal)),
                $"no notice that the file is received again.\n{Check.Describe(run)}");
            AssertReceivedFromZero(run, source, outDir);

            // The sender sent the rest once (resumed), then the whole file again.
            List<JsonElement> sent = Check.Events(run.Sender, "file_sent");
            Assert.True(sent.Count >= 1 && sent[^1].GetProperty("resumed_from").GetInt64() == 0, Check.Describe(run));
            // Both sides count the same session: the rest once, then the whole file; one file.
            long offset = resume.GetProperty("offset").GetInt64();
            foreach ((TallowProcess process, string role) in new[] { (run.Sender, "sender"), (run.Receiver, "receiver") })
            {
                JsonElement complete = Check.SingleEvent(process, "transfer_complete", role);
                Assert.True(complete.GetProperty("bytes").GetInt64() == Size - offset + Size, $"{role}: {complete}\n{Check.Describe(run)}");
                Assert.True(complete.GetProperty("wire_bytes").GetInt64() == Size - offset + Size, $"{role}: {complete}\n{Check.Describe(run)}");
                Assert.True(complete.GetProperty("files").GetInt32() == 1, $"{role}: {complete}\n{Check.Describe(run)}");
            }

            output.WriteLine($"resumed at {resume.GetProperty("offset")}; notices: {string.Join(" | ", notices)}");
            output.WriteLine($"file_sent: {string.Join(", ", sent.Select(e => $"from {e.GetProperty("resumed_from")} wire {e.GetProperty("wire_bytes")}"))}; "
                + $"file_received: {string.Join(", ", Check.Events(run.Receiver, "file_received").Select(e => $"from {e.GetProperty("resumed_from")} wire {e.GetProperty("wire_bytes")}"))}; "
                + $"receiver transfer_complete {Check.SingleEvent(run.Receiver, "transfer_complete", "receiver")}; sender transfer_complete {Check.SingleEvent(run.Sender, "transfer_complete", "sender")}");
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task No_resume_after_a_killed_receive_receives_from_zero()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("src/archive.tar", Size);
        string outDir = dir.Combine("out");
        await KillReceiverAsync(source, outDir);

        TransferRun run = await Transfer.RunAsync(Relay, [source, "--no-p2p"], code => ResumeSupport.Receive(code, outDir, "--no-p2p", "--json", "--no-resume"));
        try
        {
            Assert.Empty(Check.Events(run.Receiver, "resume"));
            Assert.Empty(Check.Events(run.Sender, "resume"));
            Assert.Single(Check.Events(run.Receiver, "file_received"));
            AssertReceivedFromZero(run, source, outDir);
            Assert.Equal(Size, Check.SingleEvent(run.Receiver, "transfer_complete", "receiver").GetProperty("bytes").GetInt64());
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_resumed_receive_killed_again_resumes_from_its_own_later_checkpoint()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("src/twice.bin", Size);
        string outDir = dir.Combine("out");
        long firstPart = await KillReceiverAsync(source, outDir);

        // The second session resumes (progress counts only its own bytes) and is killed after another 30 % or so.
        long secondPart;
        await using (InterruptedRun killed = await InterruptedTransfer.RunAsync(Relay, [source, "--no-p2p", "--throttle", ResumeSupport.ThrottleFor(Size)],
            code => ResumeSupport.Receive(code, outDir, "--no-p2p"), (long)(Size * 0.30), Victim.Receiver))
        {
            long firstOffset = Check.SingleEvent(killed.Receiver, "resume", "receiver").GetProperty("offset").GetInt64();
            Assert.True(firstOffset > 0 && firstOffset <= firstPart, Check.Describe(killed.Receiver, "receiver"));
            secondPart = ResumeSupport.AssertInterrupted(outDir, "twice.bin", killed);
            // What was received but still in the write-behind (two 4 MiB blocks at most) dies with the process.
            const long writeBehind = 8L << 20;
            Assert.True(secondPart >= firstOffset + killed.ProgressAtKill - writeBehind, $"part {secondPart} after resuming at {firstOffset} and {killed.ProgressAtKill} more");
        }

        TransferRun run = await Transfer.RunAsync(Relay, [source, "--no-p2p"], code => ResumeSupport.Receive(code, outDir, "--no-p2p", "--json"));
        try
        {
            Assert.True(secondPart > firstPart, $"{secondPart} <= {firstPart}");
            ResumeSupport.AssertResumed(run, source, outDir, "twice.bin", secondPart, output, minimumFraction: 0.55);
        }
        finally
        {
            await run.DisposeAsync();
        }
    }
}
