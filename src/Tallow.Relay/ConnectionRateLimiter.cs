// Per-address token bucket (TokenBucket) for new connections (DESIGN.md §5.5), keyed by AddressKey (IPv6: the
// /64). The table is pruned of full buckets so it cannot grow without bound under a scan from
// many addresses.
using System.Net;

namespace Tallow.Relay;

internal sealed class ConnectionRateLimiter
{
    // Pruning walks the table; do it at most once a second and only when the table is large.
    private const int PruneThreshold = 4096;

    private readonly Dictionary<UInt128, TokenBucket> _buckets = [];
    private readonly double _ratePerSecond;
    private readonly double _burst;
    private readonly TimeProvider _time;
    private long _lastPrune;

    public ConnectionRateLimiter(double ratePerSecond, int burst, TimeProvider time)
    {
        _ratePerSecond = ratePerSecond;
        _burst = burst;
        _time = time;
        _lastPrune = time.GetTimestamp();
    }

    public bool Enabled => _ratePerSecond > 0;

    public bool TryAcquire(IPAddress address)
    {
        if (!Enabled)
        {
            return true;
        }

        UInt128 key = AddressKey.Of(address);
        long now = _time.GetTimestamp();
        lock (_buckets)
        {
            if (!_buckets.TryGetValue(key, out TokenBucket? bucket))
            {
                bucket = new TokenBucket(_ratePerSecond, _burst, _time, now);
                _buckets[key] = bucket;
            }

            bool allowed = bucket.TryTake(now);
            if (_buckets.Count > PruneThreshold && _time.GetElapsedTime(_lastPrune, now) > TimeSpan.FromSeconds(1))
            {
                Prune(now);
            }

            return allowed;
        }
    }

    private void Prune(long now)
    {
        _lastPrune = now;
        foreach ((UInt128 key, TokenBucket bucket) in _buckets)
        {
            if (bucket.IsFull(now))
            {
                _buckets.Remove(key);
            }
        }
    }
}
