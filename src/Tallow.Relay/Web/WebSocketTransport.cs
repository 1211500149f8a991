// The byte stream of a browser client (api contract of issue 19): a server-side RFC 6455
// WebSocket whose binary messages carry the same bytes a TCP client sends, message boundaries
// meaning nothing. Reads return the payload bytes as they arrive (no reassembly); a message longer than MaxMessageBytes is refused with close 1009, a text
// message with 1003. A Close from the client reads as EOF and is answered with our Close at once;
// CloseOutputAsync (the relay passing the peer's EOF on) sends our Close first. WebSocket failures surface as IOException, as a socket's would, so the
// session code treats both transports alike. Not thread-safe beyond one reader and one writer.
// Cancelling a WebSocket's receive aborts the whole connection, but the relay session cancels its
// control read to send an Error (timeouts, shutdown): so the receive runs uncancelled into our own
// ReceiveBufferSize buffer, a cancelled ReadAsync only stops waiting for it, and the next ReadAsync
// takes its result. The cost is one copy of the received bytes.
using System.Net.WebSockets;

namespace Tallow.Relay.Web;

internal sealed class WebSocketTransport : Stream
{
    /// <summary>Largest message accepted from a client; the page sends chunks well below it.</summary>
    public const int MaxMessageBytes = 1024 * 1024;

    // A browser that vanished without a Close is found by TCP keep-alive (as for TCP clients);
    // this unsolicited Pong keeps idle NAT and proxy mappings alive while a room waits.
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(30);

    // One receive's worth: the size of the relay's copy-path reads.
    private const int ReceiveBufferSize = 64 * 1024;

    private readonly WebSocket _webSocket;
    private readonly Stream _inner;
    private readonly byte[] _received = new byte[ReceiveBufferSize];
    private int _receivedStart;
    private int _receivedEnd;
    private Task<ValueWebSocketReceiveResult>? _pendingReceive;
    private long _messageBytes;
    private int _closeSent;
    private int _disposed;
    private bool _endOfStream;

    private WebSocketTransport(WebSocket webSocket, Stream inner)
    {
        _webSocket = webSocket;
        _inner = inner;
    }

    /// <summary>Wraps an upgraded connection (101 already sent); owns <paramref name="inner"/> (the TCP or TLS stream).</summary>
    public static WebSocketTransport Create(Stream inner) =>
        new(WebSocket.CreateFromStream(inner, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = KeepAliveInterval }), inner);

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (_receivedStart == _receivedEnd)
        {
            if (_endOfStream)
            {
                return 0;
            }

            await ReceiveAsync(cancellationToken).ConfigureAwait(false);
        }

        int length = Math.Min(buffer.Length, _receivedEnd - _receivedStart);
        _received.AsSpan(_receivedStart, length).CopyTo(buffer.Span);
        _receivedStart += length;
        return length;
    }

    /// <summary>Takes one receive's result (starting it when none is pending) into _received, or sets _endOfStream.</summary>
    private async Task ReceiveAsync(CancellationToken cancellationToken)
    {
        _pendingReceive ??= _webSocket.ReceiveAsync(_received.AsMemory(), CancellationToken.None).AsTask();
        ValueWebSocketReceiveResult result;
        try
        {
            result = await _pendingReceive.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (WebSocketException e)
        {
            _pendingReceive = null;
            throw new IOException("the WebSocket connection failed", e);
        }

        _pendingReceive = null;
        if (result.MessageType == WebSocketMessageType.Close)
        {
            // A browser ignores messages once it has sent Close (WHATWG WebSockets: only OPEN
            // delivers), so its Close ends both directions: answer at once (RFC 6455 §5.5.1), and
            // whatever the peer still sends fails here and ends the room.
            _endOfStream = true;
            await RefuseAsync(WebSocketCloseStatus.NormalClosure, null).ConfigureAwait(false);
            return;
        }

        if (result.MessageType == WebSocketMessageType.Text)
        {
            await RefuseAsync(WebSocketCloseStatus.InvalidMessageType, "binary messages only").ConfigureAwait(false);
            throw new IOException("the WebSocket client sent a text message");
        }

        _messageBytes += result.Count;
        if (_messageBytes > MaxMessageBytes)
        {
            await RefuseAsync(WebSocketCloseStatus.MessageTooBig, "message too big").ConfigureAwait(false);
            throw new IOException("the WebSocket client sent a message over the size limit");
        }

        if (result.EndOfMessage)
        {
            _messageBytes = 0;
        }

        _receivedStart = 0;
        _receivedEnd = result.Count;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            while (!buffer.IsEmpty)
            {
                int length = Math.Min(buffer.Length, MaxMessageBytes);
                await _webSocket.SendAsync(buffer[..length], WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
                buffer = buffer[length..];
            }
        }
        catch (WebSocketException e)
        {
            throw new IOException("the WebSocket connection failed", e);
        }
    }

    /// <summary>Sends our Close (normal closure) once; reading continues until the client's Close.</summary>
    public async ValueTask CloseOutputAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _closeSent, 1) != 0 || _webSocket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        try
        {
            await _webSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken).ConfigureAwait(false);
        }
        catch (WebSocketException e)
        {
            throw new IOException("the WebSocket connection failed", e);
        }
    }

    /// <summary>Sends our Close with <paramref name="status"/> unless one went out already (bounded); never throws.</summary>
    private async Task RefuseAsync(WebSocketCloseStatus status, string? reason)
    {
        if (Interlocked.Exchange(ref _closeSent, 1) != 0)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _webSocket.CloseOutputAsync(status, reason, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The client is gone; the connection is dropped anyway.
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _webSocket.Abort();
            _webSocket.Dispose();
            _inner.Dispose();
            // A receive still pending ends with an error now: observe it.
            _pendingReceive?.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        base.Dispose(disposing);
    }
}
