// How a window grows from a small start towards a hard cap from the measured bandwidth-delay
// product, like TCP receive-buffer autotuning (Linux tcp_rcv_space_adjust, which keeps the
// window at twice the bytes copied per round trip): the owner reports round-trip samples and the
// running total of delivered bytes; once per round trip the bytes delivered in it are compared
// with the window, and when they were more than half of it (a window-limited flow never fills its
// whole window per round trip: TCP restarts slowly after each pause) the window doubles, up to
// Max. It never shrinks; on a link that is the limit it stops below four bandwidth-delay products
// (or at Max). Pure: times are given.
namespace Tallow.Wire;

public sealed class WindowGrowth
{
    /// <summary>
    /// Below this round trip the window never grows: 4 MiB per 10 ms is 420 MB/s, about what Tallow
    /// moves on loopback, where scheduling delays on a busy machine otherwise looked like a long
    /// link and grew the receiver's buffer (peak RSS 37 → 46 MiB measured, no faster).
    /// </summary>
    public static readonly TimeSpan MinRttForGrowth = TimeSpan.FromMilliseconds(10);

    private TimeSpan? _epochStart;
    private long _epochDelivered;

    public WindowGrowth(long initial, long max)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(initial);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, initial);
        Initial = initial;
        Window = initial;
        Max = max;
    }

    public long Initial { get; }

    public long Window { get; private set; }

    public long Max { get; }

    /// <summary>Bytes the window has grown by since the start.</summary>
    public long Grown => Window - Initial;

    /// <summary>The smallest round trip seen (null before the first sample).</summary>
    public TimeSpan? MinRtt { get; private set; }

    /// <summary>A round trip measured by the owner (it may include the peer's delay: the smallest counts).</summary>
    public void OnRttSample(TimeSpan rtt)
    {
        if (rtt > TimeSpan.Zero && (MinRtt is not TimeSpan min || rtt < min))
        {
            MinRtt = rtt;
        }
    }

    /// <summary>
    /// <paramref name="delivered"/> bytes (a running total) have gone through at <paramref name="now"/>
    /// (a monotonic time). Returns how much the window grew (0 almost always).
    /// </summary>
    public long OnDelivered(long delivered, TimeSpan now)
    {
        if (MinRtt is not TimeSpan rtt || rtt < MinRttForGrowth || Window >= Max)
        {
            return 0;
        }

        if (_epochStart is not TimeSpan start)
        {
            _epochStart = now;
            _epochDelivered = delivered;
            return 0;
        }

        TimeSpan elapsed = now - start;
        if (elapsed < rtt)
        {
            return 0;
        }

        // Bytes per round trip, from the rate over the epoch (an epoch may span several round trips).
        double perRoundTrip = (delivered - _epochDelivered) * (rtt / elapsed);
        _epochStart = now;
        _epochDelivered = delivered;
        if (perRoundTrip * 2 <= Window)
        {
            return 0;
        }

        long grown = Math.Min(Window, Max - Window);
        Window += grown;
        return grown;
    }
}
