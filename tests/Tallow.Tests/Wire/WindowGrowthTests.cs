// WindowGrowth: doubles once per round trip while the bytes delivered in a round trip are more than
// half the window (it was the limit), stops when the link is the limit or at the cap, never shrinks,
// and needs a round-trip sample first. Times are given, so the clock is the test's.
using Tallow.Wire;

namespace Tallow.Tests.Wire;

public class WindowGrowthTests
{
    private const long Mi = 1024 * 1024;
    private static readonly TimeSpan Rtt = TimeSpan.FromMilliseconds(200);

    [Fact]
    public void A_window_limited_flow_doubles_the_window_each_round_trip_up_to_the_cap()
    {
        var growth = new WindowGrowth(4 * Mi, 32 * Mi);
        Assert.Equal(0, growth.OnDelivered(4 * Mi, TimeSpan.Zero)); // no round trip known yet
        growth.OnRttSample(Rtt * 3); // a late sample, then the true one: the smallest counts
        growth.OnRttSample(Rtt);
        Assert.Equal(Rtt, growth.MinRtt);

        // Window-limited: each round trip delivers exactly the window.
        long delivered = 0;
        TimeSpan now = TimeSpan.FromSeconds(1);
        Assert.Equal(0, growth.OnDelivered(delivered, now)); // starts the first epoch
        long[] expected = [8 * Mi, 16 * Mi, 32 * Mi, 32 * Mi];
        foreach (long window in expected)
        {
            Assert.Equal(0, growth.OnDelivered(delivered + (growth.Window / 2), now + (Rtt / 2))); // within the round trip: nothing
            delivered += growth.Window;
            now += Rtt;
            growth.OnDelivered(delivered, now);
            Assert.Equal(window, growth.Window);
        }

        Assert.Equal(28 * Mi, growth.Grown);
    }

    [Fact]
    public void A_short_round_trip_never_grows_the_window_however_much_it_delivers()
    {
        var growth = new WindowGrowth(4 * Mi, 32 * Mi);
        TimeSpan rtt = WindowGrowth.MinRttForGrowth - TimeSpan.FromMilliseconds(1); // loopback under load
        growth.OnRttSample(rtt);
        TimeSpan now = TimeSpan.Zero;
        growth.OnDelivered(0, now);
        for (int i = 1; i <= 50; i++)
        {
            now += rtt;
            Assert.Equal(0, growth.OnDelivered(i * 4 * Mi, now)); // the whole window each round trip
        }

        Assert.Equal(4 * Mi, growth.Window);
        growth.OnRttSample(WindowGrowth.MinRttForGrowth); // a sample can only lower the minimum
        Assert.Equal(rtt, growth.MinRtt);
    }

    [Fact]
    public void A_link_slower_than_the_window_leaves_it_alone()
    {
        var growth = new WindowGrowth(4 * Mi, 32 * Mi);
        growth.OnRttSample(Rtt);
        TimeSpan now = TimeSpan.Zero;
        growth.OnDelivered(0, now);
        for (int i = 1; i <= 50; i++)
        {
            now += Rtt;
            Assert.Equal(0, growth.OnDelivered(i * 2 * Mi, now)); // 2 MiB per round trip: half the window, not more
        }

        // A long pause then a burst is judged by its rate over the whole epoch, not its size.
        Assert.Equal(0, growth.OnDelivered((100 * Mi) + (10 * Mi), now + (Rtt * 10)));
        Assert.Equal(4 * Mi, growth.Window);
    }

    [Fact]
    public void The_last_step_stops_exactly_at_the_cap_and_a_fixed_window_never_grows()
    {
        var growth = new WindowGrowth(4 * Mi, 10 * Mi);
        growth.OnRttSample(Rtt);
        growth.OnDelivered(0, TimeSpan.Zero);
        Assert.Equal(4 * Mi, growth.OnDelivered(4 * Mi, Rtt));
        Assert.Equal(2 * Mi, growth.OnDelivered(12 * Mi, Rtt * 2));
        Assert.Equal(10 * Mi, growth.Window);
        Assert.Equal(0, growth.OnDelivered(100 * Mi, Rtt * 3));

        var fixedWindow = new WindowGrowth(Mi, Mi);
        fixedWindow.OnRttSample(Rtt);
        fixedWindow.OnDelivered(0, TimeSpan.Zero);
        Assert.Equal(0, fixedWindow.OnDelivered(100 * Mi, Rtt));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WindowGrowth(2 * Mi, Mi));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WindowGrowth(0, Mi));
    }
}
