// The sealed record stream between two peers (DESIGN.md §7). Every frame after the
// handshake is FrameType.Record: AES-256-GCM with the direction's key, nonce from the
// record counter, AAD = the frame header. Keep-alive records flow while either side
// waits (a receiver at the accept prompt never trips the relay's idle timeout), and a
// silent peer is detected by the receive timeout. Both timers run on a TimeProvider.
//
// One reader: RecordSession's read loop is the only caller of ReceiveAsync once a session is
// running; it dispatches each record to the part of the session that owns it.
//
// Transport seam: the channel seals and opens; an IFrameTransport moves frames and may swap
// the connection between two records (P2P upgrade and fallback, DESIGN.md §9) because the
// counters live in the sealer/opener, not in the transport.
//
// Throttle (--throttle) on sending: bulk records (RecordRoutes.IsBulk) wait on a RateLimiter for
// their sealed size before they take the write lock, so control records and keep-alives never
// queue behind it. (Receiving is throttled by the consumer of the transfer's inbox.)
using Tallow.Crypto;
using Tallow.Wire;

namespace Tallow.Protocol.Records;

public readonly record struct Record(RecordKind Kind, ReadOnlyMemory<byte> Body);

public sealed class SecureChannel : IAsyncDisposable
{
    public static readonly TimeSpan DefaultKeepAliveInterval = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan DefaultReceiveTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Largest record body: one frame minus the kind byte and the tag.</summary>
    public const int MaxBodySize = Frame.MaxLength - 1 - 1 - RecordSealer.TagSize;

    private readonly RecordSealer _sealer;
    private readonly RecordOpener _opener;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TimeSpan _keepAliveInterval;
    private readonly TimeSpan _receiveTimeout;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly IFrameTransport _transport;
    private readonly TimeProvider _time;
    private long _lastSendTicks;
    private Task? _keepAliveTask;
    private PeriodicTimer? _keepAliveTimer;

    public SecureChannel(Stream stream, FrameReader reader, SessionKeys keys, bool isInitiator, TimeSpan? keepAliveInterval = null, TimeSpan? receiveTimeout = null, TimeProvider? time = null)
        : this(new StreamFrameTransport(stream, reader), keys, isInitiator, keepAliveInterval, receiveTimeout, time)
    {
    }

    public SecureChannel(IFrameTransport transport, SessionKeys keys, bool isInitiator, TimeSpan? keepAliveInterval = null, TimeSpan? receiveTimeout = null, TimeProvider? time = null)
    {
        _transport = transport;
        _time = time ?? TimeProvider.System;
        _sealer = new RecordSealer(isInitiator ? keys.InitiatorToResponder : keys.ResponderToInitiator);
        _opener = new RecordOpener(isInitiator ? keys.ResponderToInitiator : keys.InitiatorToResponder);
        _keepAliveInterval = keepAliveInterval ?? DefaultKeepAliveInterval;
        _receiveTimeout = receiveTimeout ?? DefaultReceiveTimeout;
        _lastSendTicks = _time.GetTimestamp();
    }

    /// <summary>The clock of the keep-alive and the receive timeout (and of the session built on this channel).</summary>
    public TimeProvider Time => _time;

    /// <summary>Silence from the peer longer than this ends the session.</summary>
    public TimeSpan ReceiveTimeout => _receiveTimeout;

    /// <summary>Total bytes of sealed frames written (progress and metrics).</summary>
    public long BytesSent { get; private set; }

    /// <summary>Limits the sealed bytes of bulk records sent; null: no limit. Set before the transfer starts.</summary>
    public RateLimiter? SendThrottle { get; set; }

    /// <summary>Starts sending keep-alive records whenever nothing was sent for the interval.</summary>
    public void StartKeepAlive()
    {
        if (_keepAliveTask is null)
        {
            _keepAliveTimer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(50, _keepAliveInterval.TotalMilliseconds / 3)), _time);
            _keepAliveTask = Task.Run(() => KeepAliveLoopAsync(_keepAliveTimer));
        }
    }

    public async ValueTask SendAsync(RecordKind kind, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        using var buffer = new RecordBuffer(body.Length);
        body.CopyTo(buffer.Body);
        await SendAsync(buffer, kind, body.Length, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends one record and runs <paramref name="afterSend"/> before any other record can be sent:
    /// the point where a path switch happens "at the same record" on both sides.
    /// </summary>
    public async ValueTask SendAsync(RecordKind kind, ReadOnlyMemory<byte> body, Action afterSend, CancellationToken cancellationToken)
    {
        using var buffer = new RecordBuffer(body.Length);
        body.CopyTo(buffer.Body);
        await SendAsync(buffer, kind, body.Length, cancellationToken, afterSend).ConfigureAwait(false);
    }

    /// <summary>Seals the first <paramref name="bodyLength"/> bytes of the buffer's body in place and writes the frame.</summary>
    public async ValueTask SendAsync(RecordBuffer buffer, RecordKind kind, int bodyLength, CancellationToken cancellationToken, Action? afterSend = null)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bodyLength, Math.Min(buffer.BodyCapacity, MaxBodySize));
        byte[] array = buffer.Array;
        int frameLength = RecordBuffer.Overhead + bodyLength;
        if (SendThrottle is { } throttle && RecordRoutes.IsBulk(kind))
        {
            await throttle.WaitAsync(frameLength, cancellationToken).ConfigureAwait(false);
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Frame.WriteHeader(array, FrameType.Record, frameLength - Frame.HeaderSize);
            array[Frame.HeaderSize] = (byte)kind;
            _sealer.Seal(
                array.AsSpan(0, Frame.HeaderSize),
                array.AsSpan(Frame.HeaderSize, 1 + bodyLength),
                array.AsSpan(RecordBuffer.BodyOffset + bodyLength, RecordSealer.TagSize));
            if (buffer.HandsOver)
            {
                await _transport.WriteKeepingAsync(array, frameLength, buffer.Replace, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await _transport.WriteAsync(array.AsMemory(0, frameLength), cancellationToken).ConfigureAwait(false);
            }

            afterSend?.Invoke();
            BytesSent += frameLength;
            Volatile.Write(ref _lastSendTicks, _time.GetTimestamp());
        }
        catch (IOException ex)
        {
            throw new TallowException(FailureKind.Network, $"the connection to the peer was lost while sending ({Reason(ex)}): check the network and try again.", ex);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Receives the next non-keep-alive record. The body is valid until the next call.
    /// Any frame that is not a valid record for the expected counter ends the session.
    /// </summary>
    public async ValueTask<Record> ReceiveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            FrameReadResult result;
            using (var silence = new CancellationTokenSource(_receiveTimeout, _time))
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token, silence.Token))
            {
                try
                {
                    result = await _transport.ReadAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TallowException(FailureKind.Network, $"the peer sent nothing for {_receiveTimeout.TotalSeconds:0.#} s: the connection is lost. Try again.");
                }
                catch (IOException ex)
                {
                    throw new TallowException(FailureKind.Network, $"the connection to the peer was lost ({Reason(ex)}): check the network and try again.", ex);
                }
            }

            if (result.EndOfStream)
            {
                throw TallowException.PeerGone();
            }

            if (!result.IsFrame || result.Type != FrameType.Record || result.HeaderAndPayloadLength < RecordBuffer.Overhead)
            {
                throw Tampered();
            }

            Memory<byte> frame = _transport.CurrentFrame;
            Memory<byte> sealedPart = frame[Frame.HeaderSize..^RecordSealer.TagSize];
            if (!_opener.TryOpen(frame.Span[..Frame.HeaderSize], sealedPart.Span, frame.Span[^RecordSealer.TagSize..]))
            {
                throw Tampered();
            }

            var kind = (RecordKind)sealedPart.Span[0];
            if (kind == RecordKind.KeepAlive)
            {
                continue;
            }

            return new Record(kind, sealedPart[1..]);
        }
    }

    /// <summary>
    /// Takes ownership of the array of the record last received, when the transport allows it (the
    /// body starts at <see cref="RecordBuffer.BodyOffset"/>); null otherwise. Return it to FrameArrays.Shared.
    /// </summary>
    public byte[]? DetachLastRecord() => _transport.DetachCurrentFrame();

    /// <summary>Ends when the timer is disposed (DisposeAsync: no exception on the way out, whose first throw costs milliseconds in a native binary).</summary>
    private async Task KeepAliveLoopAsync(PeriodicTimer timer)
    {
        try
        {
            while (await timer.WaitForNextTickAsync().ConfigureAwait(false))
            {
                if (_time.GetElapsedTime(Volatile.Read(ref _lastSendTicks)) >= _keepAliveInterval)
                {
                    await SendAsync(RecordKind.KeepAlive, ReadOnlyMemory<byte>.Empty, _lifetime.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (TallowException)
        {
            // The main loop sees the broken connection on its next read or write.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>The transport's own words (e.g. why a fallback to the relay failed), else the socket error.</summary>
    private static string Reason(IOException ex) =>
        (ex.InnerException as System.Net.Sockets.SocketException)?.SocketErrorCode.ToString() ?? ex.Message.TrimEnd('.');

    private static TallowException Tampered() => new(
        FailureKind.Error,
        "a record from the peer failed authentication (the connection was tampered with or corrupted): the transfer was stopped and nothing unverified was kept.");

    public async ValueTask DisposeAsync()
    {
        _keepAliveTimer?.Dispose();
        await _lifetime.CancelAsync().ConfigureAwait(false); // a keep-alive being sent
        if (_keepAliveTask is not null)
        {
            await _keepAliveTask.ConfigureAwait(false);
        }

        _sealer.Dispose();
        _opener.Dispose();
        _lifetime.Dispose();
        _writeLock.Dispose();
    }
}
