// Profile (a) — 10 Mbit/s, 40 ms each way, 0.5 % loss — with transfers of at least 3 minutes,
// one test class (and xunit collection) per scenario so the long scenarios run in parallel:
//  - direct path (the review's stall: a direct transfer longer than ~45 s died with "the peer sent
//    nothing for 60 s"); the sender's --throttle pins the duration, the test asserts ≥ 180 s;
//  - the same over the relay (--no-p2p on both sides);
//  - the direct path cut in the middle (iptables DROP between A and B in A's namespace, the relay
//    still reachable): both sides fall back to the relay and the file arrives intact.
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;
using Tallow.IntegrationTests.NatLab;
using Xunit.Abstractions;

namespace Tallow.IntegrationTests.LinkLab;

internal static class SlowLink
{
    /// <summary>40 MB at 200 kB/s: 200 s when the throttle (not the lossy link) sets the pace.</summary>
    public const long FileSize = 40_000_000;
    public const string Throttle = "200k";
    public const double MinSeconds = 180;
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    /// <summary>The transfer really crossed the shaped link: A's tbf sent at least the file, and frames were lost on it.</summary>
    public static void AssertCrossedTheLink(ShapedLab lab, LabRun run)
    {
        long sent = ShapedLab.QdiscSentBytes(lab.NamespaceA, "eth0");
        Assert.True(sent >= run.Size, $"A's shaped eth0 sent only {sent:N0} bytes for a {run.Size:N0}-byte file.\n{run.Describe()}");
        (long up, long down) = lab.DroppedFrames;
        Assert.True(up > 0 && down > 0, $"the 0.5 % loss dropped nothing: {lab.LinkCounters}");
    }
}

[Collection("LinkLab.SlowDirect")]
public sealed class SlowLinkDirectTests(ITestOutputHelper output)
{
    [NatLabFact]
    public async Task Three_minute_direct_transfer_on_a_slow_lossy_link_completes()
    {
        await using ShapedLab lab = ShapedLab.Create(LinkProfile.Slow);
        LinkLabShapingTests.AssertShaped(lab, output);
        using var dir = new TempDir();
        LabRun run = await LabTransfer.RunInLabAsync(lab, dir, SlowLink.FileSize, ["--throttle", SlowLink.Throttle], [], SlowLink.Timeout);
        run.Summarize(output, "direct, ≥ 180 s");
        run.AssertDirect();
        run.AssertLastedAtLeast(SlowLink.MinSeconds);
        SlowLink.AssertCrossedTheLink(lab, run);
    }
}

[Collection("LinkLab.SlowRelay")]
public sealed class SlowLinkRelayTests(ITestOutputHelper output)
{
    [NatLabFact]
    public async Task Three_minute_relay_transfer_on_a_slow_lossy_link_completes()
    {
        await using ShapedLab lab = ShapedLab.Create(LinkProfile.Slow);
        LinkLabShapingTests.AssertShaped(lab, output);
        using var dir = new TempDir();
        LabRun run = await LabTransfer.RunInLabAsync(lab, dir, SlowLink.FileSize, ["--throttle", SlowLink.Throttle, "--no-p2p"], ["--no-p2p"], SlowLink.Timeout);
        run.Summarize(output, "relay, ≥ 180 s");
        run.AssertRelayOnly();
        run.AssertLastedAtLeast(SlowLink.MinSeconds);
        SlowLink.AssertCrossedTheLink(lab, run);
    }
}

[Collection("LinkLab.SlowCut")]
public sealed class SlowLinkCutDirectPathTests(ITestOutputHelper output)
{
    [NatLabFact]
    public async Task Direct_path_cut_in_the_middle_of_a_long_transfer_continues_over_the_relay()
    {
        await using ShapedLab lab = ShapedLab.Create(LinkProfile.Slow);
        using var dir = new TempDir();
        long cutAt = -1;
        LabRun run = await LabTransfer.RunInLabAsync(lab, dir, SlowLink.FileSize, ["--throttle", SlowLink.Throttle], [], SlowLink.Timeout,
            async (sender, receiver) =>
            {
                await LabTransfer.WaitForEventAsync(sender, "sender", "p2p_upgrade", _ => true, TimeSpan.FromSeconds(90));
                await LabTransfer.WaitForEventAsync(receiver, "receiver", "p2p_upgrade", _ => true, TimeSpan.FromSeconds(90));
                JsonElement half = await LabTransfer.WaitForEventAsync(receiver, "receiver", "progress",
                    e => e.GetProperty("bytes").GetInt64() >= SlowLink.FileSize / 2, TimeSpan.FromMinutes(5));
                cutAt = half.GetProperty("bytes").GetInt64();
                lab.CutDirectPath();
                output.WriteLine($"cut the direct path at {cutAt:N0} received bytes ({half.GetProperty("elapsed").GetDouble():F1} s)");
            });
        run.Summarize(output, "direct, then relay after the cut");
        run.AssertCompleted();
        foreach ((TallowProcess p, string role) in new[] { (run.Sender, "sender"), (run.Receiver, "receiver") })
        {
            Assert.True(Check.Events(p, "p2p_upgrade").Count == 1, $"{role}: expected one p2p_upgrade.\n{run.Describe()}");
            // The cut stays in place: the session's later direct-path retries (after 30 s, then 60 s) fail
            // and are reported as further fallbacks with their own reason, never as another lost connection.
            List<JsonElement> fallbacks = Check.Events(p, "p2p_fallback");
            Assert.True(fallbacks.Count >= 1 && fallbacks[0].GetProperty("reason").GetString() == "direct connection lost"
                && fallbacks.Skip(1).All(f => f.GetProperty("reason").GetString() != "direct connection lost"),
                $"{role}: expected a p2p_fallback 'direct connection lost' after the cut (then only failed retries).\n{run.Describe()}");
        }

        // The second half (and the replay of what was unacknowledged) went through the relay, never the whole file twice.
        // cutAt is the receiver's progress event just before the cut: what still arrived directly between
        // that event and the cut (progress every 0.5 s; well under 1 MiB on this link) is not on the relay.
        const long ArrivedDirectlyAfterTheEvent = 1L << 20;
        Assert.True(run.RelayBytes >= SlowLink.FileSize - cutAt - ArrivedDirectlyAfterTheEvent && run.RelayBytes <= SlowLink.FileSize * 1.1,
            $"relay forwarded {run.RelayBytes:N0} bytes; cut at {cutAt:N0} of {SlowLink.FileSize:N0}.\n{run.Describe()}");
    }
}
