// A token bucket on the relay's TimeProvider: `burst` tokens at most, refilled at `rate` per
// second. Shared by the per-address connection limit (ConnectionRateLimiter) and the per-member
// frame rate of routing rooms (RelaySession.Routing.cs). Not thread-safe: callers serialise.
namespace Tallow.Relay;

internal sealed class TokenBucket
{
    private readonly double _ratePerSecond;
    private readonly double _burst;
    private readonly TimeProvider _time;
    private double _tokens;
    private long _stamp;

    /// <summary>A full bucket as of <paramref name="now"/> (a TimeProvider timestamp).</summary>
    public TokenBucket(double ratePerSecond, double burst, TimeProvider time, long now)
    {
        _ratePerSecond = ratePerSecond;
        _burst = burst;
        _time = time;
        _tokens = burst;
        _stamp = now;
    }

    /// <summary>True when the bucket is full (nothing taken recently): it may be forgotten.</summary>
    public bool IsFull(long now)
    {
        Refill(now);
        return _tokens >= _burst;
    }

    /// <summary>Takes one token if there is one.</summary>
    public bool TryTake(long now)
    {
        Refill(now);
        if (_tokens < 1)
        {
            return false;
        }

        _tokens -= 1;
        return true;
    }

    /// <summary>Takes one token, possibly going into debt; returns how long the caller must wait for it (zero if it was there).</summary>
    public TimeSpan Take(long now)
    {
        Refill(now);
        _tokens -= 1;
        return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / _ratePerSecond);
    }

    private void Refill(long now)
    {
        double seconds = _time.GetElapsedTime(_stamp, now).TotalSeconds;
        _tokens = Math.Min(_burst, _tokens + (seconds * _ratePerSecond));
        _stamp = now;
    }
}
