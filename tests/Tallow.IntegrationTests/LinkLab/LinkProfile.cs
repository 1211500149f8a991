// The shaped links of the link lab. A profile describes peer A's access link, in each direction:
// rate (tc tbf on both ends), one-way delay and random frame loss (LinkEmulator, since the kernel
// has no netem). Both the direct A↔B path and the A↔relay↔B path cross this link exactly once.
using System.Globalization;

namespace Tallow.IntegrationTests.LinkLab;

public sealed record LinkProfile(string Name, long RateBitsPerSecond, TimeSpan OneWayDelay, double LossPerDirection)
{
    /// <summary>Profile (a): 10 Mbit/s, 40 ms delay each way (RTT 80 ms), 0.5 % loss each way.</summary>
    public static readonly LinkProfile Slow = new("10 Mbit/s, 40 ms each way, 0.5 % loss", 10_000_000, TimeSpan.FromMilliseconds(40), 0.005);

    /// <summary>Profile (b): 100 Mbit/s, 40 ms each way (RTT 80 ms), no loss.</summary>
    public static readonly LinkProfile Fast = new("100 Mbit/s, 80 ms RTT", 100_000_000, TimeSpan.FromMilliseconds(40), 0);

    /// <summary>Issue 18 (A): 1 Gbit/s, 40 ms each way (RTT 80 ms), no loss: a 10 MB bandwidth-delay product.</summary>
    public static readonly LinkProfile LongFat = new("(A) 1 Gbit/s, 80 ms RTT", 1_000_000_000, TimeSpan.FromMilliseconds(40), 0);

    /// <summary>Issue 18 (B): 100 Mbit/s, 20 ms each way (RTT 40 ms), 0.1 % loss each way.</summary>
    public static readonly LinkProfile Lossy = new("(B) 100 Mbit/s, 40 ms RTT, 0.1 % loss", 100_000_000, TimeSpan.FromMilliseconds(20), 0.001);

    /// <summary>Issue 18 (C): 20 Mbit/s, 100 ms each way (RTT 200 ms), a satellite link.</summary>
    public static readonly LinkProfile Satellite = new("(C) 20 Mbit/s, 200 ms RTT", 20_000_000, TimeSpan.FromMilliseconds(100), 0);

    public TimeSpan Rtt => OneWayDelay * 2;

    /// <summary>Bytes in flight to fill the link: rate × RTT.</summary>
    public long BandwidthDelayProduct => (long)(RateBytesPerSecond * Rtt.TotalSeconds);

    public long RateBytesPerSecond => RateBitsPerSecond / 8;

    /// <summary>`tc qdisc add dev X root` arguments: a token bucket at the rate, with a burst of 20 ms (at least 15 kB; HZ is 250 here).</summary>
    public string[] TbfArguments =>
    [
        "tbf", "rate", RateBitsPerSecond.ToString(CultureInfo.InvariantCulture) + "bit",
        "burst", Math.Max(15_000, RateBytesPerSecond / 50).ToString(CultureInfo.InvariantCulture),
        "latency", "100ms",
    ];

    public override string ToString() => Name;
}
