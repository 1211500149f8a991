// The relay's web port (issue 19): a small hand-written HTTP/1.1 server (one request per
// connection, Connection: close) that serves the page's files (WebContent) and upgrades GET /ws
// to a WebSocket whose bytes run through the same RelaySession as a TCP client's (RelayServer
// admits it under the same limits). With the relay's TLS certificate it speaks HTTPS only.
// Bounds: a request head of at most 8 KiB (else 431), the TLS handshake, the head and the
// response within RequestTimeout, at most MaxPending connections before their upgrade (and
// MaxPendingPerAddress from one address), and the relay's per-address connection rate for every
// connection (429). Every response carries strict security headers (WebResponses).
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Tallow.Relay.Web;

internal sealed class WebEndpoint : IAsyncDisposable
{
    private const int MaxPending = 64;
    private const int MaxPendingPerAddress = 16;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _listener;
    private readonly RelayContext _context;
    private readonly WebContent _content;
    private readonly Func<Stream, IPEndPoint, Task> _runSession;
    private readonly CancellationTokenSource _stop;
    private readonly TaskTracker _connections = new();
    private readonly AddressCounter _pendingPerAddress = new(MaxPendingPerAddress);
    private int _pending;
    private Task _loop = Task.CompletedTask;

    private WebEndpoint(Socket listener, RelayContext context, WebContent content, Func<Stream, IPEndPoint, Task> runSession)
    {
        _listener = listener;
        _context = context;
        _content = content;
        _runSession = runSession;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(context.Shutdown);
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>Starts serving on <paramref name="listener"/> (bound and listening); <paramref name="runSession"/> runs an upgraded client to its end.</summary>
    public static WebEndpoint Start(Socket listener, RelayContext context, WebContent content, Func<Stream, IPEndPoint, Task> runSession)
    {
        var endpoint = new WebEndpoint(listener, context, content, runSession);
        endpoint._loop = AcceptLoop.RunAsync(listener, endpoint.Admit, context.Write, context.Time, endpoint._stop.Token);
        return endpoint;
    }

    private void Admit(Socket socket)
    {
        IPEndPoint remote;
        try
        {
            socket.NoDelay = true;
            remote = AcceptLoop.RemoteOf(socket);
            AcceptLoop.KeepAlive(socket); // as for TCP clients: find browsers that vanished while their room waits
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            socket.Dispose();
            return;
        }

        UInt128 address = AddressKey.Of(remote.Address);
        if (Volatile.Read(ref _pending) >= MaxPending || !_pendingPerAddress.TryAcquire(address))
        {
            socket.Dispose(); // a flood of unfinished requests: nothing is answered
            return;
        }

        Interlocked.Increment(ref _pending);
        bool rateLimited = !_context.RateLimiter.TryAcquire(remote.Address);
        _connections.Track(ServeAsync(socket, remote, address, rateLimited));
    }

    private async Task ServeAsync(Socket socket, IPEndPoint remote, UInt128 address, bool rateLimited)
    {
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        bool pending = true;
        void EndPending()
        {
            if (pending)
            {
                pending = false;
                _pendingPerAddress.Release(address);
                Interlocked.Decrement(ref _pending);
            }
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(RequestTimeout);
            if (_context.Tls is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = _context.Tls,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    ClientCertificateRequired = false,
                    ApplicationProtocols = [SslApplicationProtocol.Http11],
                }, timeout.Token).ConfigureAwait(false);
            }

            (HttpRequestHead? request, int status) = await ReadHeadAsync(stream, timeout.Token).ConfigureAwait(false);
            if (request is null)
            {
                if (status != 0)
                {
                    await RespondAsync(stream, WebResponses.Status(status, headOnly: false), timeout.Token).ConfigureAwait(false);
                }

                return;
            }

            if (rateLimited)
            {
                _context.Refused(remote.Address, RelayRejectionReason.RateLimited, $"relay: refused web request from {remote} ({RelayMetrics.Label(RelayRejectionReason.RateLimited)})");
                await RespondAsync(stream, WebResponses.Status(429, request.Method == "HEAD"), timeout.Token).ConfigureAwait(false);
                return;
            }

            if (request.Path == "/ws")
            {
                if (await UpgradeAsync(stream, request, timeout.Token).ConfigureAwait(false))
                {
                    timeout.Dispose();
                    EndPending();
                    Stream transport = WebSocketTransport.Create(stream);
                    stream = transport;
                    _context.Metrics.WebConnectionUpgraded();
                    await _runSession(transport, remote).ConfigureAwait(false);
                    stream = Stream.Null; // the session closed it
                }

                return;
            }

            await RespondAsync(stream, WebResponses.ForFile(request, _content), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or AuthenticationException)
        {
            // A client that went away, stalled past the timeout or failed TLS: nothing to answer.
        }
        finally
        {
            EndPending();
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Answers an upgrade: 101 (true) or the refusal's status (false).</summary>
    private async Task<bool> UpgradeAsync(Stream stream, HttpRequestHead request, CancellationToken token)
    {
        HandshakeStatus status = WebSocketHandshake.Validate(request, _context.Tls is not null, out string accept);
        if (status == HandshakeStatus.Ok)
        {
            await stream.WriteAsync(WebResponses.SwitchingProtocols(accept), token).ConfigureAwait(false);
            return true;
        }

        int code = status switch
        {
            HandshakeStatus.CrossOrigin => 403,
            HandshakeStatus.UpgradeRequired => 426,
            _ => 400,
        };
        await RespondAsync(stream, WebResponses.Status(code, headOnly: false), token).ConfigureAwait(false);
        return false;
    }

    private async Task RespondAsync(Stream stream, byte[] response, CancellationToken token)
    {
        _context.Metrics.WebRequestAnswered();
        await stream.WriteAsync(response, token).ConfigureAwait(false);
        await stream.FlushAsync(token).ConfigureAwait(false);
        if (stream is SslStream ssl)
        {
            await ssl.ShutdownAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads one request head. Returns it, or null with the status to answer (400, 431) or 0 when
    /// the client left first. Bytes after the head are refused for an upgrade (nothing may precede 101).
    /// </summary>
    private static async Task<(HttpRequestHead? Request, int Status)> ReadHeadAsync(Stream stream, CancellationToken token)
    {
        byte[] buffer = new byte[HttpRequestHead.MaxHeadBytes];
        int length = 0;
        while (length < buffer.Length)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(length), token).ConfigureAwait(false);
            if (read == 0)
            {
                return (null, 0);
            }

            int searchFrom = Math.Max(0, length - 3);
            length += read;
            int end = buffer.AsSpan(searchFrom, length - searchFrom).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                int headLength = searchFrom + end + 4;
                if (HttpRequestHead.TryParse(buffer.AsSpan(0, headLength), out HttpRequestHead? request) != HttpHeadStatus.Ok)
                {
                    return (null, 400);
                }

                // A body or pipelined bytes: these requests carry none, and an upgrade must come alone.
                return headLength == length || request!.Path != "/ws" ? (request, 0) : (null, 400);
            }
        }

        return (null, 431);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _loop.ConfigureAwait(false);
        await _connections.WhenAll().ConfigureAwait(false);
        _stop.Dispose();
    }
}
