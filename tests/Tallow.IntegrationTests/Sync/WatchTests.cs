// `tallow watch` against `tallow receive`, real processes and a real relay: after the first
// round each change reaches the mirror as it happens (modify, rename, delete, a nested new
// folder, a burst of 1,000 files written within 2 s), and Ctrl-C on either side ends both
// cleanly: the side that was interrupted exits 130, the other reports it and exits 0.
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests.Sync;

public sealed class WatchTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Changes_follow_one_batch_at_a_time_and_ctrl_c_on_the_sender_ends_both()
    {
        using var dir = new TempDir();
        string source = dir.Combine("live");
        Directory.CreateDirectory(Path.Combine(source, "docs"));
        File.WriteAllText(Path.Combine(source, "docs", "a.txt"), "first");
        File.WriteAllText(Path.Combine(source, "b.txt"), "second");
        await using WatchRun run = await WatchRun.StartAsync(fixture.Relay.Address, source, dir.Combine("out"), ["--delete"]);
        await run.InSyncAsync(Settle, "the first round");

        File.AppendAllText(Path.Combine(source, "docs", "a.txt"), " changed");
        await run.InSyncAsync(Settle, "a modified file");
        File.Move(Path.Combine(source, "b.txt"), Path.Combine(source, "docs", "b-renamed.txt"));
        await run.InSyncAsync(Settle, "a renamed file");
        File.Delete(Path.Combine(source, "docs", "a.txt"));
        await run.InSyncAsync(Settle, "a deleted file");
        Directory.CreateDirectory(Path.Combine(source, "x", "y", "z"));
        File.WriteAllText(Path.Combine(source, "x", "y", "z", "deep.txt"), "deep");
        await run.InSyncAsync(Settle, "a nested new folder");

        int roundsBefore = run.Rounds(run.Receiver, "sync_applied");
        DateTime start = DateTime.UtcNow;
        Directory.CreateDirectory(Path.Combine(source, "burst"));
        for (int i = 0; i < 1000; i++)
        {
            File.WriteAllText(Path.Combine(source, "burst", $"{i}.txt"), $"burst {i}");
            if (i % 100 == 99)
            {
                await Task.Delay(200); // spread over about 2 s
            }
        }

        TimeSpan writing = DateTime.UtcNow - start; // about 2 s; longer on a loaded machine, which may split the batches more
        await run.InSyncAsync(TimeSpan.FromSeconds(60), "a burst of 1,000 new files");
        int burstRounds = run.Rounds(run.Receiver, "sync_applied") - roundsBefore;
        Assert.True(burstRounds <= 20, $"1,000 files written in {writing.TotalSeconds:0.0} s took {burstRounds} rounds (expected a handful of batches, not one per file)\n{run.Describe}");

        run.Sender.Interrupt();
        Check.Exit(130, await run.Sender.WaitForExitAsync(TimeSpan.FromSeconds(15)), run.Sender, "watch");
        Check.Exit(0, await run.Receiver.WaitForExitAsync(TimeSpan.FromSeconds(15)), run.Receiver, "receiver");
        Assert.Contains(run.Receiver.Events, e => e.GetProperty("event").GetString() == "peer_left");
    }

    [Fact]
    public async Task Ctrl_c_on_the_receiver_ends_the_watch_on_the_sender()
    {
        using var dir = new TempDir();
        string source = dir.Combine("live");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "a.txt"), "a");
        await using WatchRun run = await WatchRun.StartAsync(fixture.Relay.Address, source, dir.Combine("out"));
        await run.InSyncAsync(Settle, "the first round");

        run.Receiver.Interrupt();
        Check.Exit(130, await run.Receiver.WaitForExitAsync(TimeSpan.FromSeconds(15)), run.Receiver, "receiver");
        Check.Exit(0, await run.Sender.WaitForExitAsync(TimeSpan.FromSeconds(15)), run.Sender, "watch");
        Assert.Contains(run.Sender.Events, e => e.GetProperty("event").GetString() == "peer_left");
    }
}
