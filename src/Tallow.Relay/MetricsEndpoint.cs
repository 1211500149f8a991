// Minimal HTTP/1.1 responder for Prometheus scrapes (DESIGN.md §5.6): any GET returns
// RelayMetrics.Render() with Connection: close. The request head is read with a size and
// time bound; at most MaxConcurrent scrapes are served at once, further ones are closed.
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tallow.Relay;

internal sealed class MetricsEndpoint : IAsyncDisposable
{
    private const int MaxRequestBytes = 8 * 1024;
    private const int MaxConcurrent = 16;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    private readonly TcpListener _listener;
    private readonly RelayMetrics _metrics;
    private readonly CancellationTokenSource _stop;
    private readonly TaskTracker _requests = new();
    private Task _loop = Task.CompletedTask;

    private MetricsEndpoint(TcpListener listener, RelayMetrics metrics, CancellationToken shutdown)
    {
        _listener = listener;
        _metrics = metrics;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public static MetricsEndpoint Start(IPEndPoint bind, RelayMetrics metrics, CancellationToken shutdown)
    {
        var listener = new TcpListener(bind);
        listener.Start(64);
        var endpoint = new MetricsEndpoint(listener, metrics, shutdown);
        endpoint._loop = endpoint.AcceptLoopAsync();
        return endpoint;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                break;
            }
            catch (SocketException)
            {
                await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
                continue;
            }

            if (_requests.Count >= MaxConcurrent)
            {
                socket.Dispose();
                continue;
            }

            _requests.Track(ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var stream = new NetworkStream(socket, ownsSocket: true);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(RequestTimeout);
        try
        {
            string? method = await ReadRequestMethodAsync(stream, timeout.Token).ConfigureAwait(false);
            if (method is null)
            {
                return;
            }

            bool get = method is "GET" or "HEAD";
            string body = get ? _metrics.Render() : "only GET is supported\n";
            byte[] bodyBytes = Encoding.UTF8.GetBytes(body);
            string head = (get ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\n")
                + "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                + $"Content-Length: {bodyBytes.Length}\r\nConnection: close\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head), timeout.Token).ConfigureAwait(false);
            if (method != "HEAD")
            {
                await stream.WriteAsync(bodyBytes, timeout.Token).ConfigureAwait(false);
            }

            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // A scraper that went away or stalled: nothing to answer.
        }
    }

    /// <summary>Reads the request head (bounded); returns its method, or null when it never completed.</summary>
    private static async Task<string?> ReadRequestMethodAsync(NetworkStream stream, CancellationToken token)
    {
        byte[] buffer = new byte[MaxRequestBytes];
        int length = 0;
        while (length < buffer.Length)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(length), token).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            length += read;
            if (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) >= 0 || buffer.AsSpan(0, length).IndexOf("\n\n"u8) >= 0)
            {
                int space = buffer.AsSpan(0, length).IndexOf((byte)' ');
                return space > 0 ? Encoding.ASCII.GetString(buffer, 0, space) : string.Empty;
            }
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        _listener.Dispose();
        await _loop.ConfigureAwait(false);
        await _requests.WhenAll().ConfigureAwait(false);
        _stop.Dispose();
    }
}
