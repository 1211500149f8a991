// The direct connection's RTT as the kernel measured it, on a real 80 ms path. When the two
// peers' SYNs cross (a TCP simultaneous open), Linux keeps a first RTT sample of half the round
// trip or less, and BBR then sizes its window from it (docs/protocol.md, Crossing SYNs). In this
// lab both peers learn each other's candidates at the same moment, so without the responder's
// later dial the SYNs crossed in every run (both sides' minimum ≈ 40 ms, one run in four near 0).
// Four upgrades in one lab: on both sides the kernel's minimum must be a real round trip.
using System.Globalization;
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;
using Tallow.IntegrationTests.NatLab;
using Xunit.Abstractions;

namespace Tallow.IntegrationTests.LinkLab;

[Collection("LinkLab.CrossingSyn")]
public sealed class CrossingSynTests(ITestOutputHelper output)
{
    private const int Runs = 4;

    [NatLabFact]
    public async Task The_kernel_measures_a_direct_connections_round_trip_as_it_is()
    {
        LinkProfile profile = LinkProfile.Fast; // 100 Mbit/s, 40 ms each way
        await using ShapedLab lab = ShapedLab.Create(profile);
        RelayProcess relay = lab.Own(await RelayProcess.StartInNamespaceAsync(lab.RelayNamespace, lab.RelayAddress));
        double rttMs = profile.Rtt.TotalMilliseconds;
        for (int i = 0; i < Runs; i++)
        {
            using var dir = new TempDir();
            LabRun run = await LabTransfer.RunInLabAsync(lab, dir, 4L << 20, [], [], TimeSpan.FromMinutes(2), relay: relay);
            run.Summarize(output, "direct");
            run.AssertCompleted();
            foreach ((TallowProcess p, string role) in new[] { (run.Sender, "sender"), (run.Receiver, "receiver") })
            {
                JsonElement upgrade = Assert.Single(Check.Events(p, "p2p_upgrade"));
                double kernel = upgrade.GetProperty("kernel_min_rtt_ms").GetDouble();
                double measured = upgrade.GetProperty("rtt_ms").GetDouble();
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CROSSING | run {i + 1} {role}: kernel min RTT {kernel:F2} ms, measured {measured:F1} ms, {upgrade.GetProperty("congestion_control")}"));
                Assert.True(kernel >= 0.75 * rttMs, string.Create(CultureInfo.InvariantCulture,
                    $"run {i + 1}, {role}: the kernel's minimum RTT is {kernel:F2} ms on a {rttMs:F0} ms path (crossing SYNs).\n{run.Describe()}"));
                Assert.False(upgrade.GetProperty("kernel_rtt_mismeasured").GetBoolean());
                Assert.InRange(measured, 0.9 * rttMs, 10 * rttMs);
            }
        }
    }
}
