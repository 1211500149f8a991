// Direct-path half of PathSwitchingTransport: the writer with its retransmit window (grown by
// WindowGrowth from the acknowledged bytes per round trip, timed from a frame to its ack), the
// background reader that queues records and consumes acknowledgements, the ack/heartbeat loop
// with silence detection, and the relay watcher and pinger that keep the fallback ready.
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Threading.Channels;
using Tallow.Wire;

namespace Tallow.Net.Direct;

public sealed partial class PathSwitchingTransport
{
    private readonly record struct InboundFrame(byte[] Array, int Length);

    private readonly record struct SentFrame(long Index, byte[] Array, int Length);

    /// <summary>
    /// Records read from the direct connection, waiting for the consumer (bounded: back-pressure).
    /// Two are enough to keep the reader one record ahead of the consumer.
    /// </summary>
    private Channel<InboundFrame> _inbound = NewInbound();

    /// <summary>Frame copies (retransmit buffer, inbound queue), kept at their exact size for reuse.</summary>
    private static FrameArrays FramePool => FrameArrays.Shared;

    private readonly Queue<SentFrame> _unacknowledged = new();
    private readonly SemaphoreSlim _directWriteLock = new(1, 1);
    private readonly SemaphoreSlim _ackSignal = new(0, 1);
    private DirectConnection? _direct;
    private CancellationTokenSource? _directCts;
    private Task? _directReader;
    private Task? _heartbeat;
    private Task? _relayWatcher;
    private Task? _relayPinger;
    private TaskCompletionSource? _windowOpened;
    private long _unacknowledgedBytes;
    private long _acknowledgedBytes;
    private WindowGrowth? _retransmitGrowth;
    private long _probeFrame = -1;
    private long _probeSentAt;
    private long _bytesSinceAck;
    private long _readWaitStartTicks;
    private volatile bool _readerWaiting;
    private volatile bool _closing;
    private volatile bool _relayLost;
    private byte[]? _heldArray;

    /// <summary>The retransmit window, grown from acknowledgement timing (under _gate).</summary>
    private WindowGrowth RetransmitGrowth => _retransmitGrowth ??= new WindowGrowth(_timings.RetransmitWindow, Math.Max(_timings.RetransmitWindow, _timings.RetransmitWindowMax));

    private static Channel<InboundFrame> NewInbound() => Channel.CreateBounded<InboundFrame>(
        new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    private void StartDirectLoops(DirectConnection connection)
    {
        if (_directReader is not null)
        {
            return;
        }

        _directCts = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token);
        CancellationToken token = _directCts.Token;
        _directReader = Task.Run(() => DirectReadLoopAsync(connection, token));
        _heartbeat = Task.Run(() => HeartbeatLoopAsync(connection, token));
        _relayWatcher = Task.Run(() => RelayWatchLoopAsync(_lifetime.Token)); // outlives the direct path: it brings the peer's PathResync
        _relayPinger = Task.Run(() => RelayPingLoopAsync(token));
    }

    /// <summary>
    /// Writes a frame on the direct path, keeping it until acknowledged: <paramref name="owned"/>
    /// itself when given (the frame's array; <paramref name="kept"/> tells the caller it let go), else a copy.
    /// </summary>
    private async ValueTask WriteDirectAsync(ReadOnlyMemory<byte> frame, byte[]? owned, Action? kept, CancellationToken cancellationToken)
    {
        await WaitForWindowAsync(frame.Length, cancellationToken).ConfigureAwait(false);
        Task? failover;
        lock (_gate)
        {
            failover = _failover;
            if (failover is null)
            {
                byte[] copy = owned ?? FramePool.Rent(frame.Length);
                if (owned is null)
                {
                    frame.CopyTo(copy);
                }

                _unacknowledged.Enqueue(new SentFrame(_framesSent, copy, frame.Length));
                _unacknowledgedBytes += frame.Length;
                if (_probeFrame < 0)
                {
                    _probeFrame = _framesSent; // round trip: until an ack covers this frame
                    _probeSentAt = TimeProvider.System.GetTimestamp();
                }
            }

            _framesSent++;
        }

        if (failover is not null)
        {
            // The failover replayed everything before this frame; this one follows on the relay.
            await AwaitFailoverAsync(failover).ConfigureAwait(false);
            await WriteRelayAsync(frame, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (owned is not null)
        {
            kept!(); // the window holds the array now; the caller goes on in another one
        }

        try
        {
            await _directWriteLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _direct!.Stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _directWriteLock.Release();
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The frame is in the retransmit buffer: the failover sends it over the relay if the peer lacks it.
            await AwaitFailoverAsync(StartFailover("sending on the direct connection failed")).ConfigureAwait(false);
        }
    }

    private async ValueTask WaitForWindowAsync(int length, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (_failover is not null || _unacknowledgedBytes == 0 || _unacknowledgedBytes + length <= RetransmitGrowth.Window)
                {
                    return;
                }

                _windowOpened ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _windowOpened.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void OpenWindow()
    {
        TaskCompletionSource? opened;
        lock (_gate)
        {
            opened = _windowOpened;
            _windowOpened = null;
        }

        opened?.TrySetResult();
    }

    /// <summary>The peer has all frames below <paramref name="received"/>: free them.</summary>
    private void OnAck(ulong received)
    {
        lock (_gate)
        {
            if (received > (ulong)_framesSent)
            {
                return; // acknowledges frames never sent: not from our peer
            }

            while (_unacknowledged.TryPeek(out SentFrame sent) && (ulong)sent.Index < received)
            {
                _unacknowledged.Dequeue();
                _unacknowledgedBytes -= sent.Length;
                _acknowledgedBytes += sent.Length;
                FramePool.Return(sent.Array);
            }

            long now = TimeProvider.System.GetTimestamp();
            if (_probeFrame >= 0 && (ulong)_probeFrame < received)
            {
                // Includes the peer's ack delay (AckEveryBytes, AckInterval): the smallest sample counts.
                RetransmitGrowth.OnRttSample(TimeProvider.System.GetElapsedTime(_probeSentAt, now));
                _probeFrame = -1;
            }

            RetransmitGrowth.OnDelivered(_acknowledgedBytes, TimeSpan.FromSeconds(now / (double)TimeProvider.System.TimestampFrequency));
        }

        OpenWindow();
    }

    /// <summary>Next queued direct record, or null when the failover finished and reads continue on the relay.</summary>
    private async ValueTask<FrameReadResult?> ReadDirectAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _inbound.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (_inbound.Reader.TryRead(out InboundFrame item))
                {
                    _heldArray = item.Array;
                    _current = item.Array.AsMemory(0, item.Length);
                    return new FrameReadResult(FrameStatus.Ok, FrameType.Record, item.Length, false);
                }
            }
        }
        catch (ChannelClosedException e) when (e.InnerException is IOException inner)
        {
            throw new IOException(inner.Message, inner);
        }

        return null;
    }

    private async Task DirectReadLoopAsync(DirectConnection connection, CancellationToken token)
    {
        try
        {
            while (true)
            {
                Volatile.Write(ref _readWaitStartTicks, Environment.TickCount64);
                _readerWaiting = true;
                FrameReadResult result = await connection.Reader.ReadAsync(Frame.MaxLength, token).ConfigureAwait(false);
                _readerWaiting = false;
                if (result.EndOfStream && _closing)
                {
                    return; // both sides are ending the session
                }

                if (!result.IsFrame)
                {
                    // An end of stream too: a locally destroyed socket also reads as one. If the peer
                    // really ended, its last records are already queued, and the failover finds the
                    // relay closed (or is cancelled when this side ends the session).
                    _ = StartFailover(result.EndOfStream ? "the direct connection closed" : "the direct connection broke");
                    return;
                }

                ReadOnlySpan<byte> payload = connection.Reader.CurrentPayload.Span;
                switch (result.Type)
                {
                    case FrameType.PathAck when PathMessages.TryParseAck(payload, out ulong received):
                        OnAck(received);
                        break;
                    case FrameType.Record:
                        int length = result.HeaderAndPayloadLength;
                        byte[] array = TakeOrCopy(connection.Reader);
                        try
                        {
                            await _inbound.Writer.WriteAsync(new InboundFrame(array, length), token).ConfigureAwait(false);
                        }
                        catch
                        {
                            ReturnArray(array, length); // not delivered, not counted: the peer replays it if needed
                            throw;
                        }

                        Interlocked.Increment(ref _framesReceived);
                        if (Interlocked.Add(ref _bytesSinceAck, length) >= _timings.AckEveryBytes && _ackSignal.CurrentCount == 0)
                        {
                            ReleaseAckSignal();
                        }

                        break;
                    default:
                        _ = StartFailover("the direct connection carried an unexpected frame");
                        return;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or ChannelClosedException)
        {
            if (!_closing)
            {
                _ = StartFailover("the direct connection was reset");
            }
        }
    }

    private void ReleaseAckSignal()
    {
        try
        {
            _ackSignal.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    /// <summary>Sends PathAck on volume, on every tick with news, and at least once per heartbeat interval; detects silence.</summary>
    private async Task HeartbeatLoopAsync(DirectConnection connection, CancellationToken token)
    {
        long lastAcked = -1;
        long lastSentTicks = 0;
        int lastQueued = 0;
        long queuedChangedTicks = 0;
        byte[] ack = new byte[Frame.HeaderSize + PathMessages.AckSize];
        try
        {
            while (!token.IsCancellationRequested)
            {
                await _ackSignal.WaitAsync(_timings.AckInterval, token).ConfigureAwait(false);
                long now = Environment.TickCount64;
                int queued = connection.QueuedBytes; // arrived but not read: the rest of a large frame trickling in
                if (queued != lastQueued)
                {
                    lastQueued = queued;
                    queuedChangedTicks = now;
                }

                long lastActivity = Math.Max(Math.Max(connection.Stream.LastReadTicks, queuedChangedTicks), Volatile.Read(ref _readWaitStartTicks));
                if (_readerWaiting && !_closing && now - lastActivity > _timings.SilenceTimeout.TotalMilliseconds)
                {
                    _ = StartFailover("the direct connection went silent");
                    return;
                }

                // Reset before reading the count: bytes of frames that arrive while this ack is being
                // written count towards the next one (resetting after the write lost them, and the
                // next ack then waited for the tick instead of AckEveryBytes).
                Interlocked.Exchange(ref _bytesSinceAck, 0);
                long received = Interlocked.Read(ref _framesReceived);
                if (received == lastAcked && now - lastSentTicks < _timings.HeartbeatInterval.TotalMilliseconds)
                {
                    continue;
                }

                if (received != lastAcked)
                {
                    // News goes out now, after any record being written: the peer's window may be full and
                    // waiting for it (skipping here stalled a full window until the next tick).
                    await _directWriteLock.WaitAsync(token).ConfigureAwait(false);
                }
                else if (!await _directWriteLock.WaitAsync(0, token).ConfigureAwait(false))
                {
                    continue; // a pure heartbeat: a record being written is one too
                }

                try
                {
                    Frame.WriteHeader(ack, FrameType.PathAck, PathMessages.AckSize);
                    BinaryPrimitives.WriteUInt64BigEndian(ack.AsSpan(Frame.HeaderSize), (ulong)received);
                    await connection.Stream.WriteAsync(ack, token).ConfigureAwait(false);
                }
                finally
                {
                    _directWriteLock.Release();
                }

                lastAcked = received;
                lastSentTicks = now;
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            if (!_closing)
            {
                _ = StartFailover("the direct connection was reset");
            }
        }
    }

    /// <summary>Reads the idle relay connection: pings are skipped, the peer's PathResync starts the failover, and an end means no fallback is left.</summary>
    private async Task RelayWatchLoopAsync(CancellationToken token)
    {
        try
        {
            while (true)
            {
                FrameReadResult result = await _relayReader.ReadAsync(Frame.MaxUnpairedLength, token).ConfigureAwait(false);
                if (result.IsFrame && result.Type == FrameType.Ping)
                {
                    continue;
                }

                if (result.IsFrame && result.Type == FrameType.PathResync)
                {
                    OnPeerResync(_relayReader.CurrentPayload.Span);
                    if (_peerResync.Task.IsCompleted)
                    {
                        return; // the peer's replay follows: the consumer reads it after the failover
                    }

                    continue; // forged (bad MAC): ignored, and the relay stays watched
                }

                break; // closed, or something that is not from our peer
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
        }

        _relayLost = true;
        _peerResync.TrySetException(new IOException("the relay connection closed while the direct connection was in use"));
    }

    private async Task RelayPingLoopAsync(CancellationToken token)
    {
        byte[] ping = Frame.Encode(FrameType.Ping, []);
        try
        {
            using var timer = new PeriodicTimer(_timings.RelayPingInterval);
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false) && !_relayLost)
            {
                await WriteRelayAsync(ping, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            _relayLost = true;
        }
    }

    /// <summary>
    /// The reader's frame in an array of its own: a large frame alone in the read buffer is taken
    /// with its buffer (the reader goes on in a pooled one), others are copied.
    /// </summary>
    private static byte[] TakeOrCopy(FrameReader reader)
    {
        if (reader.TakeFrame(ChunkArrays.PooledUpTo, FramePool.Rent) is byte[] taken)
        {
            return taken;
        }

        Memory<byte> frame = reader.CurrentFrame;
        byte[] copy = FramePool.Rent(frame.Length);
        frame.CopyTo(copy);
        return copy;
    }

    private void ReleaseHeldFrame()
    {
        if (_heldArray is not null)
        {
            ReturnArray(_heldArray, _current.Length);
            _heldArray = null;
        }
    }

    /// <summary>Received records are opened in place, so their buffers held plaintext: clear before reuse.</summary>
    private static void ReturnArray(byte[] array, int used)
    {
        Array.Clear(array, 0, used);
        FramePool.Return(array);
    }

    private void ReleaseRetransmitBuffer()
    {
        lock (_gate)
        {
            while (_unacknowledged.TryDequeue(out SentFrame sent))
            {
                FramePool.Return(sent.Array);
            }

            _unacknowledgedBytes = 0;
        }
    }
}
