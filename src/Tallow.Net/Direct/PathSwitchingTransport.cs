// The frame transport under a session's SecureChannel (DESIGN.md §9.4–9.6). It starts on the
// relay and, after the negotiation, moves writes and then reads to a proven direct connection
// "at the same record" on both sides. While direct, the relay connection stays open and idle
// (pings only, watched for the peer's PathResync).
//
// Path states, per direction:
//   Relay ──SwitchWritesToDirect/SwitchReadsToDirect──▶ Direct ──failure──▶ Relay
//   Relay (after a fallback) ──PrepareForNextDirectAsync──▶ Relay, ready for a new negotiation
// Failure = error, reset or silence on the direct connection, or the peer's PathResync on the
// relay. Both sides then exchange PathResync{records received} on the relay and replay the
// sealed frames the other side has not received, from a bounded retransmit buffer, so the
// record stream (and the file) continues exactly where it stopped. At the end both sides
// half-close the direct connection (CloseAsync), so an end of stream then is no failure.
using System.Threading.Channels;
using Tallow.Protocol.Records;
using Tallow.Wire;

namespace Tallow.Net.Direct;

public sealed partial class PathSwitchingTransport : IFrameTransport, IAsyncDisposable
{
    private readonly Stream _relayStream;
    private readonly FrameReader _relayReader;
    private readonly SemaphoreSlim _relayWriteLock = new(1, 1);
    private readonly DirectPathKey _key;
    private readonly PathTimings _timings;
    private readonly CancellationTokenSource _lifetime = new();
    private TaskCompletionSource<ulong> _peerResync = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();

    private volatile bool _writesDirect;
    private volatile bool _readsDirect;
    private Task? _failover;
    private long _framesReceived;
    private long _framesSent;

    /// <summary>Index of the first frame written to the direct connection (-1: none yet). Frames below it went over the relay.</summary>
    private long _firstDirectFrame = -1;
    private Memory<byte> _current;

    public PathSwitchingTransport(Stream relayStream, FrameReader relayReader, DirectPathKey key, PathTimings? timings = null)
    {
        _relayStream = relayStream;
        _relayReader = relayReader;
        _key = key;
        _timings = timings ?? new PathTimings();
        if (_timings.SilenceTimeout < 2 * (_timings.HeartbeatInterval + _timings.AckInterval))
        {
            throw new ArgumentException("the silence timeout must be at least twice the heartbeat interval (plus the ack tick), or an idle path looks dead", nameof(timings));
        }
    }

    /// <summary>Raised once when a broken direct path was replaced by the relay and the session continues.</summary>
    public event Action? FellBackToRelay;

    /// <summary>True while records are written to the direct connection.</summary>
    public bool IsDirect => _writesDirect;

    public Memory<byte> CurrentFrame => _current;

    /// <summary>A frame read from the direct path sits in an array of its own (FrameArrays.Shared): the caller may keep it.</summary>
    public byte[]? DetachCurrentFrame()
    {
        byte[]? array = _heldArray;
        _heldArray = null;
        return array;
    }

    public async ValueTask<FrameReadResult> ReadAsync(CancellationToken cancellationToken)
    {
        ReleaseHeldFrame();
        while (true)
        {
            if (!_readsDirect)
            {
                return await ReadRelayAsync(cancellationToken).ConfigureAwait(false);
            }

            FrameReadResult? direct = await ReadDirectAsync(cancellationToken).ConfigureAwait(false);
            if (direct is FrameReadResult result)
            {
                return result;
            }

            _readsDirect = false; // the failover finished: the peer's replay follows on the relay
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        if (!_writesDirect)
        {
            Interlocked.Increment(ref _framesSent); // counted before it leaves: a failover snapshot then never misses it
            await WriteRelayAsync(frame, cancellationToken).ConfigureAwait(false);
            return;
        }

        await WriteDirectAsync(frame, null, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>On the direct path the retransmit window keeps <paramref name="array"/> itself, not a copy.</summary>
    public ValueTask WriteKeepingAsync(byte[] array, int length, Action kept, CancellationToken cancellationToken) => _writesDirect
        ? WriteDirectAsync(array.AsMemory(0, length), array, kept, cancellationToken)
        : WriteAsync(array.AsMemory(0, length), cancellationToken);

    /// <summary>
    /// Moves writes to <paramref name="connection"/>. Call it from SecureChannel's afterSend of the
    /// last record that goes over the relay, so no other record can slip in between.
    /// </summary>
    public void SwitchWritesToDirect(DirectConnection connection)
    {
        lock (_gate)
        {
            if (_failover is not null)
            {
                return;
            }

            _direct ??= connection;
            if (!ReferenceEquals(_direct, connection))
            {
                throw new InvalidOperationException("a different direct connection is already in use");
            }

            if (_firstDirectFrame < 0)
            {
                _firstDirectFrame = _framesSent;
            }

            _writesDirect = true;
        }
    }

    /// <summary>
    /// Moves reads to the direct connection (after the peer's last relay record was read) and starts
    /// the direct-path reader, acknowledgements, the relay watcher and the relay keep-alive.
    /// </summary>
    public void SwitchReadsToDirect(DirectConnection connection)
    {
        lock (_gate)
        {
            if (_failover is not null)
            {
                return;
            }

            _direct ??= connection;
            _readsDirect = true;
            StartDirectLoops(_direct);
        }
    }

    private async ValueTask<FrameReadResult> ReadRelayAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            FrameReadResult result = await _relayReader.ReadAsync(Frame.MaxLength, cancellationToken).ConfigureAwait(false);
            if (result.IsFrame && result.Type == FrameType.Ping)
            {
                continue; // the peer's relay keep-alive from its direct phase
            }

            if (result.IsFrame && result.Type == FrameType.PathResync)
            {
                OnPeerResync(_relayReader.CurrentPayload.Span);
                continue;
            }

            if (result.IsFrame && result.Type == FrameType.Record)
            {
                Interlocked.Increment(ref _framesReceived);
            }

            _current = _relayReader.CurrentFrame;
            return result;
        }
    }

    private async ValueTask WriteRelayAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        await _relayWriteLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _relayStream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _relayWriteLock.Release();
        }
    }

    /// <summary>A verified PathResync from the peer: remember where it stands and fail over (once).</summary>
    private void OnPeerResync(ReadOnlySpan<byte> payload)
    {
        if (_direct is null || _closing || !PathMessages.TryParseResync(payload, out ulong received, out ReadOnlySpan<byte> mac) || !_key.VerifyResync(received, mac))
        {
            return; // not from our peer (or no direct path ever existed): ignore
        }

        _peerResync.TrySetResult(received);
        _ = StartFailover("the peer lost the direct connection");
    }

    /// <summary>
    /// Ends the session politely: while direct, half-closes the direct connection and waits briefly
    /// for the peer to do the same, so neither side's last records are lost to a reset.
    /// </summary>
    public async ValueTask CloseAsync()
    {
        DirectConnection? direct = _direct;
        if (direct is null || _failover is not null)
        {
            return;
        }

        _closing = true;
        try
        {
            await _directWriteLock.WaitAsync(_timings.CloseTimeout).ConfigureAwait(false);
            direct.ShutdownSend();
            if (_directReader is not null)
            {
                await _directReader.WaitAsync(_timings.CloseTimeout).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is TimeoutException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _lifetime.CancelAsync().ConfigureAwait(false);
        _directCts?.Cancel();
        _direct?.Abort();
        await WaitQuietlyAsync(_failover, _directReader, _heartbeat, _relayWatcher, _relayPinger).ConfigureAwait(false);
        if (_direct is not null)
        {
            await _direct.DisposeAsync().ConfigureAwait(false);
        }

        _inbound.Writer.TryComplete();
        while (_inbound.Reader.TryRead(out InboundFrame item))
        {
            ReturnArray(item.Array, item.Length);
        }

        ReleaseHeldFrame();
        ReleaseRetransmitBuffer();
        _directCts?.Dispose();
        _lifetime.Dispose(); // the key belongs to the session, which disposes it
    }

    private static async Task WaitQuietlyAsync(params Task?[] tasks)
    {
        foreach (Task? task in tasks)
        {
            if (task is null)
            {
                continue;
            }

            try
            {
                await task.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Background loops report through the session state; at dispose only their end matters.
            }
        }
    }
}
