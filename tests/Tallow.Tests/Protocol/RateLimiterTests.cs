// RateLimiter (--throttle) on a fake clock: waits exactly off the debt, caps the burst after a
// pause, and holds every 10 s window of a long simulated transfer within a few percent of the
// rate even when timers wake late. ChunkSizeFor keeps one record a small part of a window.
using Microsoft.Extensions.Time.Testing;
using Tallow.Protocol.Records;

namespace Tallow.Tests.Protocol;

public class RateLimiterTests
{
    [Fact]
    public void Bytes_within_the_refill_pass_without_waiting()
    {
        var clock = new FakeTimeProvider();
        var limiter = new RateLimiter(1000, clock);
        clock.Advance(TimeSpan.FromMilliseconds(50));
        Assert.True(limiter.WaitAsync(50, CancellationToken.None).IsCompletedSuccessfully);
        Assert.True(limiter.WaitAsync(0, CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public void A_record_larger_than_the_bucket_waits_exactly_its_size_over_the_rate()
    {
        var clock = new FakeTimeProvider();
        var limiter = new RateLimiter(1000, clock);
        ValueTask wait = limiter.WaitAsync(2000, CancellationToken.None);
        clock.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.False(wait.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(wait.IsCompletedSuccessfully);
        Assert.Equal(0, limiter.Available, 6);
    }

    [Fact]
    public void A_pause_earns_only_the_burst_window()
    {
        var clock = new FakeTimeProvider();
        var limiter = new RateLimiter(4_000_000, clock);
        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(4_000_000 * RateLimiter.BurstWindow.TotalSeconds, limiter.Available, 3);
        Assert.True(limiter.WaitAsync(400_000, CancellationToken.None).IsCompletedSuccessfully);
        Assert.False(limiter.WaitAsync(4000, CancellationToken.None).IsCompleted); // 1 ms of debt
    }

    [Fact]
    public async Task Cancellation_ends_a_wait()
    {
        var clock = new FakeTimeProvider();
        var limiter = new RateLimiter(1000, clock);
        using var cts = new CancellationTokenSource();
        ValueTask wait = limiter.WaitAsync(10_000, cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.AsTask());
    }

    [Theory]
    [InlineData(4_000_000, 256 * 1024, 0)]
    [InlineData(4_000_000, 1024 * 1024, 0)]
    [InlineData(4_000_000, 256 * 1024, 30)]
    [InlineData(1_000_000, 64 * 1024, 15)]
    [InlineData(50_000, 4 * 1024, 40)]
    [InlineData(2_000, 1024, 40)]
    public void Every_10s_window_of_a_long_transfer_stays_within_5_percent(long rate, int record, int maxLatenessMs)
    {
        var clock = new FakeTimeProvider();
        var limiter = new RateLimiter(rate, clock);
        var random = new Random(42);
        var sent = new List<(double At, int Bytes)>();
        DateTimeOffset start = clock.GetUtcNow();
        double Now() => (clock.GetUtcNow() - start).TotalSeconds;
        while (Now() < 60)
        {
            ValueTask wait = limiter.WaitAsync(record, CancellationToken.None);
            while (!wait.IsCompleted)
            {
                clock.Advance(TimeSpan.FromMilliseconds(1));
            }

            // A late wake-up (busy machine), then the record goes out.
            clock.Advance(TimeSpan.FromMilliseconds(random.Next(0, maxLatenessMs + 1)));
            sent.Add((Now(), record));
        }

        const double window = 10;
        for (int i = 0; i < sent.Count; i++)
        {
            double from = sent[i].At;
            if (from + window > Now())
            {
                break;
            }

            long bytes = sent.Where(s => s.At >= from && s.At < from + window).Sum(s => (long)s.Bytes);
            double ratio = bytes / window / rate;
            Assert.True(ratio is <= 1.05 and >= 0.95, $"window from {from:0.000} s: {ratio:P2} of the rate");
        }

        double overall = sent.Sum(s => (double)s.Bytes) / sent[^1].At / rate;
        Assert.InRange(overall, 0.97, 1.03);
    }

    [Theory]
    [InlineData(1000, 1024)]
    [InlineData(10_240, 1024)]
    [InlineData(20_000, 1024)]
    [InlineData(20_480, 2048)]
    [InlineData(163_840, 16 * 1024)]
    [InlineData(1_000_000, 64 * 1024)]
    [InlineData(4_000_000, 256 * 1024)]
    [InlineData(10_485_760, 1024 * 1024)]
    [InlineData(1_000_000_000_000, 1024 * 1024)]
    public void Chunk_size_is_the_largest_power_of_two_within_a_tenth_of_a_second(long rate, int expected)
    {
        int chunk = RateLimiter.ChunkSizeFor(rate);
        Assert.Equal(expected, chunk);
        Assert.True(System.Numerics.BitOperations.IsPow2(chunk));
    }

    [Fact]
    public void Rates_out_of_range_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RateLimiter(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RateLimiter(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RateLimiter(RateLimiter.MaxBytesPerSecond + 1));
    }
}
