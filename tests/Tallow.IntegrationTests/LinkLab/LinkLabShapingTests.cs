// The link lab itself: the shaping really applies (round trips measured inside the lab, tbf
// installed on both ends of A's link, frames lost at the profile's rate) and everything is
// removed on dispose. Short; needs root (otherwise reported as skipped, like the NAT lab).
using System.Globalization;
using Tallow.IntegrationTests.NatLab;
using Xunit.Abstractions;

namespace Tallow.IntegrationTests.LinkLab;

[Collection("LinkLab.Shaping")]
public sealed class LinkLabShapingTests(ITestOutputHelper output)
{
    public static TheoryData<string> Profiles => ["slow", "fast"];

    internal static LinkProfile ByName(string name) => name == "slow" ? LinkProfile.Slow : LinkProfile.Fast;

    [NatLabTheory]
    [MemberData(nameof(Profiles))]
    public async Task Shaped_link_has_the_profile_round_trip_and_rate_and_is_removed_on_dispose(string profileName)
    {
        LinkProfile profile = ByName(profileName);
        ShapedLab lab = ShapedLab.Create(profile);
        IReadOnlyList<string> created = [.. lab.Namespaces];
        try
        {
            Assert.Equal(4, created.Count); // switch, relay, B, A
            Assert.All(created, ns => Assert.Contains(ns, Netns.List()));
            AssertShaped(lab, output);
        }
        finally
        {
            await lab.DisposeAsync();
        }

        Assert.All(created, ns => Assert.DoesNotContain(ns, Netns.List()));
    }

    /// <summary>
    /// tbf at the profile's rate on both ends of A's link; A→B and A→relay take one profile round trip
    /// (the emulator's delay, both ways), B→relay stays on the unshaped bridge. Also called by the long tests.
    /// The lower bound is strict; the upper bound (1.75 × RTT) leaves room for the fork in each sample on a loaded
    /// 2-core machine (up to +23 ms seen with two suites running) and still catches a link shaped twice (2 × RTT).
    /// </summary>
    internal static void AssertShaped(ShapedLab lab, ITestOutputHelper output)
    {
        string rate = (lab.Profile.RateBitsPerSecond / 1_000_000).ToString(CultureInfo.InvariantCulture) + "Mbit";
        foreach ((string ns, string dev) in new[] { (lab.NamespaceA, "eth0"), (lab.Namespaces[0], "pa") })
        {
            string qdisc = ShapedLab.QdiscShow(ns, dev);
            Assert.True(qdisc.Contains("tbf", StringComparison.Ordinal) && qdisc.Contains("rate " + rate, StringComparison.Ordinal), $"{ns} {dev}: {qdisc}");
        }

        TimeSpan rtt = lab.Profile.Rtt;
        TimeSpan toB = ShapedLab.MeasureRtt(lab.NamespaceA, ShapedLab.AddressB);
        TimeSpan toRelay = ShapedLab.MeasureRtt(lab.NamespaceA, ShapedLab.RelayIp);
        TimeSpan bToRelay = ShapedLab.MeasureRtt(lab.NamespaceB, ShapedLab.RelayIp);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"LINKLAB | {lab.Profile} | RTT A→B {toB.TotalMilliseconds:F1} ms, A→relay {toRelay.TotalMilliseconds:F1} ms, B→relay {bToRelay.TotalMilliseconds:F1} ms (profile {rtt.TotalMilliseconds} ms)"));
        foreach ((string what, TimeSpan measured) in new[] { ("A→B", toB), ("A→relay", toRelay) })
        {
            Assert.True(measured >= rtt - TimeSpan.FromMilliseconds(1) && measured <= rtt * 1.75,
                string.Create(CultureInfo.InvariantCulture, $"{what}: round trip {measured.TotalMilliseconds:F1} ms, profile {rtt.TotalMilliseconds} ms"));
        }

        // Relative, so a loaded machine's fork time (in both samples) cancels out: B→relay 44 ms was
        // measured under load average 73 on an 80 ms profile, where an absolute rtt/2 bound failed.
        Assert.True(toRelay - bToRelay >= rtt / 2, string.Create(CultureInfo.InvariantCulture,
            $"B→relay is not shaped, yet took {bToRelay.TotalMilliseconds:F1} ms against A→relay's {toRelay.TotalMilliseconds:F1} ms"));
    }
}
