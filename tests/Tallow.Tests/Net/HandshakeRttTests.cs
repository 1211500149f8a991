// HandshakeRtt: the rule that tells a simultaneous open's mismeasured minimum RTT from a real one,
// and TCP_INFO / TCP_CONGESTION read from a real loopback connection. The link lab's
// CrossingSynTests check the whole thing on a path with a real delay.
using Tallow.Net.Direct;
using Tallow.Tests.Protocol;

namespace Tallow.Tests.Net;

public sealed class HandshakeRttTests
{
    [Theory]
    [InlineData(0.026, 82, true)]   // the link lab's slow run: 26 µs against 80 ms
    [InlineData(10, 60, true)]      // a crossing SYN sent well after ours
    [InlineData(40, 82, false)]     // SYNs crossed mid-way: half the round trip, BBR's window is still one BDP
    [InlineData(80, 82, false)]     // a normal connect
    [InlineData(0.03, 1.5, false)]  // loopback or LAN: the measured round trip is mostly the peer's work
    [InlineData(1, 5.9, false)]     // under a quarter but not 5 ms apart
    [InlineData(0, 82, false)]      // no sample at all
    public void A_minimum_under_a_quarter_of_the_round_trip_and_5_ms_below_it_is_bogus(double minMs, double roundTripMs, bool bogus) =>
        Assert.Equal(bogus, HandshakeRtt.IsBogus(TimeSpan.FromMilliseconds(minMs), TimeSpan.FromMilliseconds(roundTripMs)));

    [Fact]
    public async Task The_kernel_minimum_and_the_algorithm_of_a_real_connection_are_read()
    {
        await using SocketPair pair = await SocketPair.ConnectAsync();
        await pair.A.WriteAsync(new byte[100]);
        await pair.B.ReadExactlyAsync(new byte[100]);

        TimeSpan? min = HandshakeRtt.ReadMinRtt(pair.SocketA);
        Assert.NotNull(min);
        Assert.InRange(min.Value, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(1));
        string system = (await File.ReadAllTextAsync("/proc/sys/net/ipv4/tcp_congestion_control")).Trim();
        Assert.Equal(system, HandshakeRtt.ReadCongestionControl(pair.SocketA));

        HandshakeRtt rtt = HandshakeRtt.Read(pair.SocketA, TimeSpan.FromMilliseconds(1));
        Assert.False(rtt.KernelMismeasured); // loopback: never
        Assert.Equal(system, rtt.CongestionControl);
        Assert.True(HandshakeRtt.Read(pair.SocketA, TimeSpan.FromMilliseconds(100)).KernelMismeasured); // microseconds against 100 ms
        Assert.True(rtt.KernelMinRtt <= min, "the minimum only falls");
    }
}
