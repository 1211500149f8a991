// User-space stand-in for netem between two TAP devices (this kernel has no sch_netem): every
// Ethernet frame read from one device is written to the other after a fixed one-way delay, or
// dropped with the given probability, independently per direction. Order is kept (a constant
// delay never reorders). Each direction has a reader thread (poll/read, loss, timestamp) and a
// writer thread (waits until the frame is due, writes it); all four stop and are joined on Dispose.
// The rate limit is not done here: tc tbf on both devices shapes what enters the emulator.
using System.Diagnostics;

namespace Tallow.IntegrationTests.LinkLab;

internal sealed class LinkEmulator : IDisposable
{
    private const int MaxQueuedFrames = 50_000;

    private readonly Direction[] _directions;
    private volatile bool _stopping;

    public LinkEmulator(TapDevice left, TapDevice right, TimeSpan oneWayDelay, double lossProbability)
    {
        if (lossProbability is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(lossProbability));
        }

        _directions = [new Direction(this, left, right, oneWayDelay, lossProbability), new Direction(this, right, left, oneWayDelay, lossProbability)];
        foreach (Direction d in _directions)
        {
            d.Start();
        }
    }

    /// <summary>Frames delivered left→right and right→left.</summary>
    public (long LeftToRight, long RightToLeft) Forwarded => (Interlocked.Read(ref _directions[0].ForwardedFrames), Interlocked.Read(ref _directions[1].ForwardedFrames));

    /// <summary>Frames dropped by the loss model left→right and right→left.</summary>
    public (long LeftToRight, long RightToLeft) Dropped => (Interlocked.Read(ref _directions[0].DroppedFrames), Interlocked.Read(ref _directions[1].DroppedFrames));

    public void Dispose()
    {
        _stopping = true;
        foreach (Direction d in _directions)
        {
            d.Stop();
        }
    }

    private sealed class Direction(LinkEmulator owner, TapDevice from, TapDevice to, TimeSpan delay, double loss)
    {
        public long ForwardedFrames;
        public long DroppedFrames;

        private readonly Queue<(long Due, byte[] Frame, int Length)> _queue = new();
        private readonly long _delayTicks = (long)(delay.TotalSeconds * Stopwatch.Frequency);
        private Thread? _reader;
        private Thread? _writer;

        public void Start()
        {
            _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"link {from.Name}>{to.Name} read" };
            _writer = new Thread(WriteLoop) { IsBackground = true, Name = $"link {from.Name}>{to.Name} write" };
            _reader.Start();
            _writer.Start();
        }

        public void Stop()
        {
            lock (_queue)
            {
                Monitor.PulseAll(_queue);
            }

            _reader?.Join(TimeSpan.FromSeconds(5));
            _writer?.Join(TimeSpan.FromSeconds(5));
        }

        private void ReadLoop()
        {
            byte[] buffer = new byte[65536];
            while (!owner._stopping)
            {
                int n = from.Read(buffer, 100);
                if (n < 0)
                {
                    return;
                }

                if (n == 0)
                {
                    continue;
                }

                if (loss > 0 && Random.Shared.NextDouble() < loss)
                {
                    Interlocked.Increment(ref DroppedFrames);
                    continue;
                }

                long due = Stopwatch.GetTimestamp() + _delayTicks;
                lock (_queue)
                {
                    if (_queue.Count >= MaxQueuedFrames)
                    {
                        continue; // a wire that cannot hold more: tail drop (never reached at the lab's rates)
                    }

                    _queue.Enqueue((due, buffer.AsSpan(0, n).ToArray(), n));
                    if (_queue.Count == 1)
                    {
                        Monitor.Pulse(_queue);
                    }
                }
            }
        }

        private void WriteLoop()
        {
            while (!owner._stopping)
            {
                (long Due, byte[] Frame, int Length) next;
                lock (_queue)
                {
                    if (_queue.Count == 0)
                    {
                        Monitor.Wait(_queue, 100);
                        continue;
                    }

                    next = _queue.Peek();
                    long wait = next.Due - Stopwatch.GetTimestamp();
                    if (wait > 0)
                    {
                        // Sleep until the head is due, rounded up to whole ms (a newly queued frame is never due earlier).
                        Monitor.Wait(_queue, (int)Math.Clamp((wait * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency, 1, 100));
                        if (next.Due - Stopwatch.GetTimestamp() > 0)
                        {
                            continue;
                        }
                    }

                    _queue.Dequeue();
                }

                to.Write(next.Frame.AsSpan(0, next.Length));
                Interlocked.Increment(ref ForwardedFrames);
            }
        }
    }
}
