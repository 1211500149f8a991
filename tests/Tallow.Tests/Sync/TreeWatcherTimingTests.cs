// The watcher's clock rules, on a FakeTimeProvider: the quiet time before a batch, MaxDelay under a
// constant stream of events, a file that changes without an event held back until stable, the
// periodic rescan (interval ± jitter) finding what no event announced, and an overflow turning into
// a FullRescan batch. Files are real; the events are fed through the handlers the FileSystemWatcher
// calls, stamped with the fake time at the moment of the call, for files prepared before Start (so
// the real watcher has nothing of its own to say about them).
using Tallow.Protocol.Sync;

namespace Tallow.Tests.Sync;

public class TreeWatcherTimingTests
{
    private static void Prepare(string root)
    {
        File.WriteAllText(Path.Combine(root, "stable.txt"), "stable");
        File.WriteAllText(Path.Combine(root, "noisy.log"), "log");
        File.WriteAllText(Path.Combine(root, "hidden.bin"), "v1");
    }

    [Fact]
    public async Task A_batch_goes_out_exactly_one_debounce_after_the_last_event()
    {
        await using var kit = new WatchKit(WatchKit.FakeTimed(debounceSeconds: 1), Prepare);
        kit.Watcher.Start();
        kit.Watcher.OnPathEvent("stable.txt", appeared: false);

        kit.FakeTime!.Advance(TimeSpan.FromMilliseconds(999));
        await kit.ExpectNothing();
        kit.FakeTime.Advance(TimeSpan.FromMilliseconds(1));
        ChangeBatch batch = await kit.Next();
        Assert.Equal(["stable.txt"], batch.Paths);
        Assert.False(batch.FullRescan);
    }

    [Fact]
    public async Task Each_new_event_restarts_the_quiet_time_and_the_batch_holds_every_path()
    {
        await using var kit = new WatchKit(WatchKit.FakeTimed(debounceSeconds: 1), Prepare);
        kit.Watcher.Start();
        kit.Watcher.OnPathEvent("stable.txt", appeared: false);
        kit.FakeTime!.Advance(TimeSpan.FromMilliseconds(600));
        await kit.ExpectNothing(0.2);
        kit.Watcher.OnPathEvent("noisy.log", appeared: false);
        kit.FakeTime.Advance(TimeSpan.FromMilliseconds(600)); // 1.2 s after the first event, 0.6 s of quiet
        await kit.ExpectNothing();
        kit.FakeTime.Advance(TimeSpan.FromMilliseconds(400));
        ChangeBatch batch = await kit.Next();
        Assert.Equal(["noisy.log", "stable.txt"], batch.Paths);
    }

    [Fact]
    public async Task Under_a_constant_stream_of_events_finished_paths_go_out_at_MaxDelay_and_the_busy_one_when_it_stops()
    {
        await using var kit = new WatchKit(WatchKit.FakeTimed(debounceSeconds: 1, maxDelaySeconds: 3), Prepare);
        kit.Watcher.Start();
        kit.Watcher.OnPathEvent("stable.txt", appeared: false);
        for (int step = 1; step <= 5; step++)
        {
            kit.Watcher.OnPathEvent("noisy.log", appeared: false); // every 0.5 s: never quiet
            kit.FakeTime!.Advance(TimeSpan.FromMilliseconds(500));
            await kit.ExpectNothing(0.15);
        }

        kit.Watcher.OnPathEvent("noisy.log", appeared: false);
        kit.FakeTime!.Advance(TimeSpan.FromMilliseconds(500)); // t = 3 s = MaxDelay
        ChangeBatch first = await kit.Next();
        Assert.Equal(["stable.txt"], first.Paths);

        for (int step = 0; step < 4; step++)
        {
            kit.Watcher.OnPathEvent("noisy.log", appeared: false);
            kit.FakeTime.Advance(TimeSpan.FromMilliseconds(500));
        }

        await kit.ExpectNothing(); // t = 5 s: the last event was 0.5 s ago
        kit.FakeTime.Advance(TimeSpan.FromMilliseconds(500));
        ChangeBatch second = await kit.Next();
        Assert.Equal(["noisy.log"], second.Paths);
    }

    [Fact]
    public async Task A_file_that_changed_without_an_event_is_held_until_it_was_stable_for_a_whole_debounce()
    {
        await using var kit = new WatchKit(WatchKit.FakeTimed(debounceSeconds: 1), Prepare);
        string door = kit.HiddenDoor("hidden.bin");
        kit.Watcher.Start();
        kit.Watcher.OnPathEvent("hidden.bin", appeared: false);
        kit.FakeTime!.Advance(TimeSpan.FromMilliseconds(800));
        await kit.ExpectNothing(0.2);
        File.AppendAllText(door, " and more"); // no event: written through a name outside the tree
        kit.FakeTime.Advance(TimeSpan.FromMilliseconds(200)); // the cut at 1 s sees a new size: not stable
        await kit.ExpectNothing();
        kit.FakeTime.Advance(TimeSpan.FromMilliseconds(999));
        await kit.ExpectNothing(0.2);
        kit.FakeTime.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["hidden.bin"], (await kit.Next()).Paths);
    }

    [Fact]
    public async Task The_periodic_rescan_comes_within_the_jittered_interval_and_reports_a_change_no_event_announced()
    {
        await using var kit = new WatchKit(WatchKit.FakeTimed(debounceSeconds: 1, rescanSeconds: 60, jitter: 0.2), Prepare);
        string door = kit.HiddenDoor("hidden.bin");
        kit.Watcher.Start();
        File.AppendAllText(door, " changed behind the watcher's back");

        kit.FakeTime!.Advance(TimeSpan.FromSeconds(47)); // before 60 s × 0.8 no rescan may run
        await kit.ExpectNothing();
        ChangeBatch batch = await kit.AdvanceUntilBatch(TimeSpan.FromSeconds(1), 29); // by 60 s × 1.2, then one debounce (+ slack for a slow loop)
        Assert.Equal(["hidden.bin"], batch.Paths);
        Assert.True(batch.FullRescan);
    }

    [Fact]
    public async Task A_periodic_rescan_that_finds_nothing_new_sends_nothing_and_the_next_one_still_runs()
    {
        await using var kit = new WatchKit(WatchKit.FakeTimed(debounceSeconds: 1, rescanSeconds: 10), Prepare);
        string door = kit.HiddenDoor("hidden.bin");
        kit.Watcher.Start();
        kit.FakeTime!.Advance(TimeSpan.FromSeconds(12)); // the first rescan runs now, at 12 s: nothing changed
        await kit.ExpectNothing();
        File.AppendAllText(door, "!");
        kit.FakeTime.Advance(TimeSpan.FromSeconds(10)); // the second, 10 s after the first, finds it; out 1 s later
        await kit.ExpectNothing(0.2);
        kit.FakeTime.Advance(TimeSpan.FromSeconds(1));
        ChangeBatch batch = await kit.Next();
        Assert.Equal(["hidden.bin"], batch.Paths);
        Assert.True(batch.FullRescan);
    }

    [Fact]
    public async Task An_overflow_gives_a_FullRescan_batch_even_when_the_rescan_finds_nothing()
    {
        await using var kit = new WatchKit(WatchKit.FakeTimed(debounceSeconds: 1), Prepare);
        kit.Watcher.Start();
        kit.Watcher.OnWatcherError(new InternalBufferOverflowException());
        await Task.Delay(200); // the loop rescans now, at fake time 0
        kit.FakeTime!.Advance(TimeSpan.FromMilliseconds(900));
        await kit.ExpectNothing(0.2);
        ChangeBatch batch = await kit.AdvanceUntilBatch(TimeSpan.FromMilliseconds(100), 20);
        Assert.True(batch.FullRescan);
        Assert.Empty(batch.Paths);
    }

    [Fact]
    public async Task An_overflow_rescans_at_once_and_reports_what_the_lost_events_would_have()
    {
        await using var kit = new WatchKit(WatchKit.FakeTimed(debounceSeconds: 1), Prepare);
        string door = kit.HiddenDoor("hidden.bin");
        kit.Watcher.Start();
        File.AppendAllText(door, " lost");
        File.Delete(door);
        kit.Watcher.OnWatcherError(new InternalBufferOverflowException());
        await Task.Delay(200); // the loop rescans now, at fake time 0: what it finds is held one debounce
        ChangeBatch batch = await kit.AdvanceUntilBatch(TimeSpan.FromMilliseconds(100), 20);
        Assert.True(batch.FullRescan);
        Assert.Equal(["hidden.bin"], batch.Paths);
        await kit.ExpectNothing(); // and it is not reported a second time
    }

    [Fact]
    public async Task A_consumer_that_is_slow_gets_the_batches_it_missed_merged_into_one()
    {
        await using var kit = new WatchKit(WatchKit.FakeTimed(debounceSeconds: 1), Prepare);
        kit.Watcher.Start();
        kit.Watcher.OnPathEvent("stable.txt", appeared: false);
        kit.FakeTime!.Advance(TimeSpan.FromSeconds(1));
        await Task.Delay(300); // the first batch is cut and waits for the consumer
        kit.Watcher.OnPathEvent("noisy.log", appeared: false);
        kit.FakeTime.Advance(TimeSpan.FromSeconds(1));
        await Task.Delay(300);
        ChangeBatch merged = await kit.Next();
        Assert.Equal(["noisy.log", "stable.txt"], merged.Paths);
        await kit.ExpectNothing();
    }

    [Fact]
    public void Options_that_would_spin_or_never_fire_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TreeWatcher("/tmp", new TreeWatcherOptions { Debounce = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TreeWatcher("/tmp", new TreeWatcherOptions { MaxDelay = TimeSpan.FromMilliseconds(10) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TreeWatcher("/tmp", new TreeWatcherOptions { RescanInterval = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TreeWatcher("/tmp", new TreeWatcherOptions { RescanJitter = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TreeWatcher("/tmp", new TreeWatcherOptions { RescanJitter = double.NaN }));
    }
}
