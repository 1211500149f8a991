// One part of a session's own buffer of received records (DESIGN.md §13). The read loop copies
// each record the part owns into it and moves on at once; the part takes them at its own pace.
// Bounded: records on a flow-controlled stream may fill the stream's window and no more (the
// peer's sender waits for WindowUpdate, which this inbox sends as its consumer frees bytes);
// other records (offers, answers, path messages) are few by protocol and capped. A peer that
// overruns either bound has broken the protocol and the session ends.
//
// Transfer and Sync windows grow (WindowGrowth, up to FlowWindows.TransferWindowMax) when a
// round trip delivered more than half the window while the consumer kept up (this inbox held at
// most half of it). The round trip is measured here: from a WindowUpdate to the first byte the peer
// could only send after it (past the limit before it). Growth goes out on top of freed bytes.
//
// A record returned by ReceiveAsync stays valid until the next call (as SecureChannel's did);
// its plaintext copy is cleared before its array is reused.
using Tallow.Protocol.Records;
using Tallow.Wire;

namespace Tallow.Protocol.Session;

public sealed class RecordInbox
{
    /// <summary>Room for control records (one largest offer and a few small answers).</summary>
    private const int ControlCapacity = (2 * SecureChannel.MaxBodySize) + (64 * 1024);
    private const int MaxControlRecords = 1024;

    private static FrameArrays Arrays => FrameArrays.Shared;

    private readonly Lock _lock = new();
    private readonly Queue<Entry> _queue = new();
    private readonly FlowStream? _stream;
    private readonly WindowGrowth? _growth;
    private readonly int _fixedWindow;
    private readonly Func<RecordKind, bool> _pausesReads;
    private readonly Func<FlowStream, uint, CancellationToken, ValueTask> _grant;
    private long _flowBuffered;
    private long _controlBuffered;
    private int _controlRecords;
    private long _freed;
    private long _limit;
    private long _arrivedTotal;
    private long _growthToGrant;
    private long _probeLimit = -1;
    private long _probeSentAt;
    private Entry? _held;
    private TaskCompletionSource? _arrived;
    private TaskCompletionSource? _resumed;
    private Exception? _failure;

    internal RecordInbox(RecordGroup group, FlowStream? stream, Func<RecordKind, bool> pausesReads, Func<FlowStream, uint, CancellationToken, ValueTask> grant)
    {
        Group = group;
        _stream = stream;
        _fixedWindow = stream is FlowStream s ? FlowWindows.WindowOf(s) : 0;
        _limit = _fixedWindow;
        if (stream is FlowStream grows && FlowWindows.MaxWindowOf(grows) > _fixedWindow)
        {
            _growth = new WindowGrowth(_fixedWindow, FlowWindows.MaxWindowOf(grows));
        }
        _pausesReads = pausesReads;
        _grant = grant;
    }

    public RecordGroup Group { get; }

    private long CurrentWindow => _growth?.Window ?? _fixedWindow;

    /// <summary>Limits the sealed bytes of bulk records taken from this inbox (receive --throttle); null: no limit.</summary>
    public RateLimiter? Throttle { get; set; }

    private readonly record struct Entry(RecordKind Kind, byte[] Array, int Offset, int Length, int Cost, bool Flow)
    {
        public Memory<byte> Body => Array.AsMemory(Offset, Length);
    }

    /// <summary>
    /// Takes a record in (read loop only): keeps <paramref name="owned"/> (the whole frame's array,
    /// detached from the transport) or else copies the body. False when the peer overran the window or the cap.
    /// </summary>
    internal bool TryEnqueue(RecordKind kind, ReadOnlySpan<byte> body, byte[]? owned, out bool pauseReads)
    {
        bool flow = _stream is not null && RecordRoutes.StreamOf(kind) == _stream;
        int cost = FlowWindows.CostOf(body.Length);
        pauseReads = _pausesReads(kind);
        TaskCompletionSource? arrived;
        lock (_lock)
        {
            if (_failure is not null)
            {
                if (owned is not null)
                {
                    Return(new Entry(kind, owned, RecordBuffer.BodyOffset, body.Length, cost, flow));
                }

                return true; // the session is ending: nothing reads this any more
            }

            // A record of any size is allowed when the sender had nothing outstanding; with grown
            // credit that sender may still find up to the growth buffered here.
            if (flow ? _flowBuffered > (_growth?.Grown ?? 0) && _flowBuffered + cost > CurrentWindow
                     : _controlBuffered + cost > ControlCapacity || _controlRecords >= MaxControlRecords)
            {
                return false;
            }

            Entry entry;
            if (owned is not null)
            {
                entry = new Entry(kind, owned, RecordBuffer.BodyOffset, body.Length, cost, flow);
            }
            else
            {
                byte[] array = Arrays.Rent(Math.Max(body.Length, 1));
                body.CopyTo(array);
                entry = new Entry(kind, array, 0, body.Length, cost, flow);
            }

            _queue.Enqueue(entry);
            if (flow)
            {
                _flowBuffered += cost;
                OnFlowArrived(cost);
            }
            else
            {
                _controlBuffered += cost;
                _controlRecords++;
            }

            if (pauseReads)
            {
                _resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            arrived = _arrived;
            _arrived = null;
        }

        arrived?.TrySetResult();
        return true;
    }

    /// <summary>
    /// The next record of this part. Releases the previous one (and gives its bytes back to the
    /// peer when due). Records queued before the session ended are still returned; after them
    /// the session's failure is thrown.
    /// </summary>
    public async ValueTask<Record> ReceiveAsync(CancellationToken ct)
    {
        await ReleaseHeldAsync(ct).ConfigureAwait(false);
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_queue.TryDequeue(out Entry entry))
                {
                    _held = entry;
                    wait = Task.CompletedTask;
                }
                else if (_failure is not null)
                {
                    throw _failure;
                }
                else
                {
                    _arrived ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _arrived.Task;
                }
            }

            if (_held is Entry held && wait.IsCompleted)
            {
                if (Throttle is { } throttle && RecordRoutes.IsBulk(held.Kind))
                {
                    await throttle.WaitAsync(held.Length + RecordBuffer.Overhead, ct).ConfigureAwait(false);
                }

                return new Record(held.Kind, held.Body);
            }

            await wait.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Lets the read loop go on after a record that pauses it (a path switch point) was handled.</summary>
    public void ResumeReads()
    {
        TaskCompletionSource? resumed;
        lock (_lock)
        {
            resumed = _resumed;
            _resumed = null;
        }

        resumed?.TrySetResult();
    }

    internal Task WaitResumedAsync()
    {
        lock (_lock)
        {
            return _resumed?.Task ?? Task.CompletedTask;
        }
    }

    /// <summary>The session ended: waiting and later receivers get <paramref name="failure"/> once the queue is drained.</summary>
    internal void Fail(Exception failure)
    {
        TaskCompletionSource? arrived, resumed;
        lock (_lock)
        {
            _failure ??= failure;
            arrived = _arrived;
            resumed = _resumed;
            _arrived = null;
            _resumed = null;
        }

        arrived?.TrySetResult();
        resumed?.TrySetResult();
    }

    /// <summary>Clears and returns every buffered copy (the session is disposed).</summary>
    internal void Clear()
    {
        lock (_lock)
        {
            if (_held is Entry held)
            {
                Return(held);
                _held = null;
            }

            while (_queue.TryDequeue(out Entry entry))
            {
                Return(entry);
            }
        }
    }

    private async ValueTask ReleaseHeldAsync(CancellationToken ct)
    {
        uint grant = 0;
        lock (_lock)
        {
            if (_held is not Entry held)
            {
                return;
            }

            _held = null;
            Return(held);
            if (held.Flow)
            {
                _flowBuffered -= held.Cost;
                _freed += held.Cost;
                if (_failure is null && (_freed >= CurrentWindow / 4 || _queue.Count == 0 || _growthToGrant > 0))
                {
                    grant = (uint)(_freed + _growthToGrant);
                    if (_probeLimit < 0 && _growth is not null)
                    {
                        _probeLimit = _limit; // round trip: until a byte past this limit arrives
                        _probeSentAt = TimeProvider.System.GetTimestamp();
                    }

                    _limit += grant;
                    _freed = 0;
                    _growthToGrant = 0;
                }
            }
            else
            {
                _controlBuffered -= held.Cost;
                _controlRecords--;
            }
        }

        if (grant > 0)
        {
            await _grant(_stream!.Value, grant, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Under the lock, for each flow record taken in: round-trip samples and window growth.</summary>
    private void OnFlowArrived(int cost)
    {
        _arrivedTotal += cost;
        if (_growth is null)
        {
            return;
        }

        long now = TimeProvider.System.GetTimestamp();
        if (_probeLimit >= 0 && _arrivedTotal > _probeLimit)
        {
            _growth.OnRttSample(TimeProvider.System.GetElapsedTime(_probeSentAt, now));
            _probeLimit = -1;
        }

        if (_flowBuffered <= CurrentWindow / 2)
        {
            _growthToGrant += _growth.OnDelivered(_arrivedTotal, TimeSpan.FromSeconds(now / (double)TimeProvider.System.TimestampFrequency));
        }
    }

    private static void Return(Entry entry)
    {
        Array.Clear(entry.Array, 0, entry.Offset + entry.Length); // plaintext (and a detached frame's header)
        Arrays.Return(entry.Array);
    }
}
