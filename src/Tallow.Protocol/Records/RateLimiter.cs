// Token bucket behind --throttle: holds the average rate of bulk records within a few percent
// over any 10 s window (README, "--throttle"). Tokens (bytes) refill at the rate up to a small
// capacity; a caller takes its bytes first and then waits off any debt ("pay before sending"),
// so records of any size work and at most Capacity + rate × window bytes pass in any window.
//
// Invariants: the clock is a TimeProvider (deterministic in tests); a late timer wake-up is
// credited (up to Capacity) rather than lost; a pause (slow disk, P2P path switch) earns at most
// Capacity, so there is no catch-up burst afterwards.
namespace Tallow.Protocol.Records;

public sealed class RateLimiter
{
    /// <summary>
    /// Bucket capacity in time at the rate: 100 ms is 1 % of a 10 s window (the error it may add)
    /// and covers the usual timer and scheduling lateness on a busy machine.
    /// </summary>
    public static readonly TimeSpan BurstWindow = TimeSpan.FromMilliseconds(100);

    /// <summary>Largest accepted rate (1 TB/s); anything above is a typo, not a limit.</summary>
    public const long MaxBytesPerSecond = 1_000_000_000_000;

    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly double _rate;
    private readonly double _capacity;
    private double _tokens;
    private long _last;

    public RateLimiter(long bytesPerSecond, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytesPerSecond, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytesPerSecond, MaxBytesPerSecond);
        BytesPerSecond = bytesPerSecond;
        _time = time ?? TimeProvider.System;
        _rate = bytesPerSecond;
        _capacity = bytesPerSecond * BurstWindow.TotalSeconds;
        _last = _time.GetTimestamp();
    }

    public long BytesPerSecond { get; }

    /// <summary>Bytes that may pass right now without waiting (negative: debt still being waited off).</summary>
    public double Available
    {
        get
        {
            lock (_lock)
            {
                Refill();
                return _tokens;
            }
        }
    }

    /// <summary>Takes <paramref name="bytes"/> and completes when the rate allows them to pass. Allocation-free when no wait is needed.</summary>
    public ValueTask WaitAsync(int bytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        double debt;
        lock (_lock)
        {
            Refill();
            _tokens -= bytes;
            debt = -_tokens;
        }

        return debt <= 0
            ? ValueTask.CompletedTask
            : new ValueTask(Task.Delay(TimeSpan.FromSeconds(debt / _rate), _time, cancellationToken));
    }

    /// <summary>
    /// Chunk size for a sender throttled to <paramref name="bytesPerSecond"/> (when the user chose none):
    /// the largest power of two ≤ 0.1 s of the rate, within [1 KiB, 1 MiB]. One record is then at most
    /// 1 % of a 10 s window (records pass whole, so a window can hold one record more than its share);
    /// at the 1 KiB floor that still holds within 5 % from about 2 KB/s, at ~2 % record overhead.
    /// </summary>
    public static int ChunkSizeFor(long bytesPerSecond)
    {
        const int min = 1024;
        const int max = 1024 * 1024;
        long target = Math.Clamp(bytesPerSecond / 10, min, max);
        return 1 << System.Numerics.BitOperations.Log2((ulong)target);
    }

    private void Refill()
    {
        long now = _time.GetTimestamp();
        double elapsed = _time.GetElapsedTime(_last, now).TotalSeconds;
        _last = now;
        _tokens = Math.Min(_capacity, _tokens + (elapsed * _rate));
    }
}
