// A watch that lives through what real links do to long sessions: the relay restarts (both sides
// reconnect to it without a new code and the changes made meanwhile arrive), and the session
// sits idle longer than its keep-alive (15 s) and silence timeout (60 s) before the next change,
// once on the relay path and once on the direct path; the idle tests run in parallel.
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests.Sync;

public sealed class WatchReconnectTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_relay_restart_is_survived_and_the_changes_made_while_it_was_down_arrive()
    {
        using var dir = new TempDir();
        string source = dir.Combine("live");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "before.txt"), "before the restart");
        File.WriteAllText(Path.Combine(source, "stays-1.txt"), "stays"); // so deleting before.txt is not most of the mirror
        File.WriteAllText(Path.Combine(source, "stays-2.txt"), "stays too");
        RelayProcess relay = await RelayProcess.StartAsync();
        string address = relay.Address;
        try
        {
            await using WatchRun run = await WatchRun.StartAsync(address, source, dir.Combine("out"), ["--no-p2p", "--delete"], ["--no-p2p"]);
            await run.InSyncAsync(Settle, "the first round");

            await relay.DisposeAsync(); // the relay dies: both sides lose the session
            File.WriteAllText(Path.Combine(source, "during.txt"), "written while the relay was down");
            File.Delete(Path.Combine(source, "before.txt"));
            await Task.Delay(TimeSpan.FromSeconds(2));
            relay = await RelayProcess.RestartOnAsync(address);

            await run.InSyncAsync(TimeSpan.FromSeconds(60), "after the relay restart");
            await run.Sender.WaitForEventAsync("reconnected", TimeSpan.FromSeconds(5));
            await run.Receiver.WaitForEventAsync("reconnected", TimeSpan.FromSeconds(5));
            File.WriteAllText(Path.Combine(source, "after.txt"), "after the restart");
            await run.InSyncAsync(Settle, "a change on the resumed session");
        }
        finally
        {
            await relay.DisposeAsync();
        }
    }
}

/// <summary>A watch left idle past the keep-alive and silence timeouts on one path, then a change.</summary>
public abstract class WatchIdleTests(OpenRelayFixture fixture, bool direct) : IClassFixture<OpenRelayFixture>
{
    /// <summary>Longer than the 60 s silence timeout and four keep-alive intervals.</summary>
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(75);

    [Fact]
    public async Task A_change_after_75_idle_seconds_still_arrives()
    {
        using var dir = new TempDir();
        string source = dir.Combine("quiet");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "a.txt"), "a");
        string[] path = direct ? [] : ["--no-p2p"];
        await using WatchRun run = await WatchRun.StartAsync(fixture.Relay.Address, source, dir.Combine("out"), path, path);
        await run.InSyncAsync(TimeSpan.FromSeconds(30), "the first round");
        if (direct)
        {
            Assert.Contains(run.Sender.Events, e => e.GetProperty("event").GetString() == "p2p_upgrade");
        }

        await Task.Delay(Idle);
        Assert.False(run.Sender.HasExited || run.Receiver.HasExited, $"the watch ended while idle\n{run.Describe}");
        File.WriteAllText(Path.Combine(source, "late.txt"), "after a long quiet spell");
        await run.InSyncAsync(TimeSpan.FromSeconds(20), "a change after the idle time");
        Assert.DoesNotContain(run.Sender.Events, e => e.GetProperty("event").GetString() == "reconnecting");
    }
}

public sealed class WatchIdleOnRelayTests(OpenRelayFixture fixture) : WatchIdleTests(fixture, direct: false);

public sealed class WatchIdleDirectTests(OpenRelayFixture fixture) : WatchIdleTests(fixture, direct: true);
