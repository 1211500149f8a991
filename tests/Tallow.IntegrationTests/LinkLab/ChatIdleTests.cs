// Chat on the slow lossy link (profile (a)) that stays idle for 3 minutes — longer than the 60 s
// silence timeout and the 15 s keep-alive — and then still delivers messages both ways; over the
// direct path and, separately, over the relay (--no-p2p). Each in its own collection (parallel).
// Written against the chat contract (ChatPeer.cs): they fail until `tallow chat` exists.
using Tallow.IntegrationTests.Infrastructure;
using Tallow.IntegrationTests.NatLab;
using Xunit.Abstractions;

namespace Tallow.IntegrationTests.LinkLab;

internal static class ChatIdle
{
    public static readonly TimeSpan Idle = TimeSpan.FromMinutes(3);

    public static async Task RunAsync(bool direct, ITestOutputHelper output)
    {
        await using ShapedLab lab = ShapedLab.Create(LinkProfile.Slow);
        RelayProcess relay = lab.Own(await RelayProcess.StartInNamespaceAsync(lab.RelayNamespace, lab.RelayAddress));
        using var dir = new TempDir();
        string[] extra = direct ? [] : ["--no-p2p"];
        (ChatPeer a, ChatPeer b) = await ChatPeer.OpenAsync(lab, dir, extra, extra);
        foreach (ChatPeer p in new[] { a, b })
        {
            if (direct)
            {
                await p.WaitForAsync("p2p_upgrade", _ => true, TimeSpan.FromSeconds(60));
            }
        }

        await Task.Delay(Idle);
        foreach (ChatPeer p in new[] { a, b })
        {
            Assert.False(p.Process.HasExited, $"{p.Role} ended during the idle {Idle.TotalMinutes} minutes.\n{a.Describe()}\n{b.Describe()}");
            Assert.True(Check.Events(p.Process, "error").Count == 0, $"{p.Role}: error while idle.\n{p.Describe()}");
            Assert.True(Check.Events(p.Process, "peer_left").Count == 0, $"{p.Role}: peer_left while idle.\n{p.Describe()}");
            Assert.True(Check.Events(p.Process, "p2p_upgrade").Count == (direct ? 1 : 0), $"{p.Role}: expected {(direct ? "one p2p_upgrade" : "no p2p_upgrade")}.\n{p.Describe()}");
            if (direct)
            {
                Assert.True(Check.Events(p.Process, "p2p_fallback").Count == 0, $"{p.Role}: the idle direct path fell back to the relay.\n{p.Describe()}");
            }
        }

        await a.SayAsync("A after three quiet minutes: ünïcode ✓");
        await b.WaitForMessageAsync("A after three quiet minutes: ünïcode ✓", TimeSpan.FromSeconds(30));
        await b.SayAsync("B answers after three quiet minutes");
        await a.WaitForMessageAsync("B answers after three quiet minutes", TimeSpan.FromSeconds(30));

        double relayBytes = (await relay.ReadMetricsAsync()).GetValueOrDefault("tallow_relay_bytes_forwarded_total", -1);
        output.WriteLine($"LINKLAB | {lab.Profile} | chat idle {Idle.TotalMinutes} min over the {(direct ? "direct path" : "relay")} | relay bytes {relayBytes:N0} | {lab.LinkCounters}");
        await LeaveAsync(a, b);
    }

    /// <summary>A leaves (end of stdin): B reports peer_left; then B leaves; both exit 0.</summary>
    public static async Task LeaveAsync(ChatPeer a, ChatPeer b)
    {
        a.Leave();
        await b.WaitForAsync("peer_left", _ => true, TimeSpan.FromSeconds(60));
        b.Leave();
        Check.Exit(0, await a.Process.WaitForExitAsync(TimeSpan.FromSeconds(60)), a.Process, a.Role);
        Check.Exit(0, await b.Process.WaitForExitAsync(TimeSpan.FromSeconds(60)), b.Process, b.Role);
    }
}

[Collection("LinkLab.ChatIdleDirect")]
public sealed class ChatIdleDirectTests(ITestOutputHelper output)
{
    [NatLabFact]
    public Task Chat_idle_for_three_minutes_on_the_direct_path_still_delivers_messages_both_ways() => ChatIdle.RunAsync(direct: true, output);
}

[Collection("LinkLab.ChatIdleRelay")]
public sealed class ChatIdleRelayTests(ITestOutputHelper output)
{
    [NatLabFact]
    public Task Chat_idle_for_three_minutes_on_the_relay_still_delivers_messages_both_ways() => ChatIdle.RunAsync(direct: false, output);
}
