// User-space stand-in for netem between two TAP devices (this kernel has no sch_netem): every
// Ethernet frame read from one device is written to the other after a fixed one-way delay, or
// dropped with the given probability, independently per direction. Order is kept (a constant
// delay never reorders). Each direction has a reader thread (poll/read, loss, timestamp) and a
// writer thread (waits until the frame is due, writes it); all four stop and are joined on Dispose.
// The rate limit is not done here: tc tbf on both devices shapes what enters the emulator.
// A wire does not slow down when the machine is busy: the threads run at nice -15 (the tests run
// as root) and frames are pooled, so a loaded 2-core CI box or the test host's garbage collector
// does not turn into queue overflow and TCP loss on a long link (seen: 7.6 MB/s on a 200 Mbit/s
// link in a full run while the same run alone measured 17 MB/s).
using System.Buffers;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Tallow.IntegrationTests.LinkLab;

internal sealed partial class LinkEmulator : IDisposable
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

    /// <summary>Raises the calling thread's CPU share (best effort: needs root, which the lab has).</summary>
    private static void RaisePriority()
    {
        const int PrioProcess = 0;
        _ = SetPriority(PrioProcess, GetThreadId(), -15);
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();

    [LibraryImport("libc", EntryPoint = "setpriority")]
    private static partial int SetPriority(int which, int who, int priority);

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
            RaisePriority();
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

                    byte[] frame = ArrayPool<byte>.Shared.Rent(n);
                    buffer.AsSpan(0, n).CopyTo(frame);
                    _queue.Enqueue((due, frame, n));
                    if (_queue.Count == 1)
                    {
                        Monitor.Pulse(_queue);
                    }
                }
            }
        }

        private void WriteLoop()
        {
            RaisePriority();
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
                ArrayPool<byte>.Shared.Return(next.Frame);
                Interlocked.Increment(ref ForwardedFrames);
            }
        }
    }
}
