// A scripted SOCKS5 "server" on 127.0.0.1 for the client's error paths (RFC 1928, RFC 1929):
// accepts one connection and runs a script against it; the script reads what the client sent
// and writes whatever bytes the test wants (valid, truncated or garbage).
using System.Net;
using System.Net.Sockets;

namespace Tallow.Tests.Net.Proxy;

internal sealed class FakeSocks5Server : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Task _serve;

    private FakeSocks5Server(TcpListener listener, Func<FakeSocks5Server, NetworkStream, Task> script)
    {
        _listener = listener;
        _serve = ServeAsync(script);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Bytes the client sent, in order (greeting, auth, request, then payload).</summary>
    public List<byte[]> Received { get; } = [];

    public static FakeSocks5Server Start(Func<FakeSocks5Server, NetworkStream, Task> script)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new FakeSocks5Server(listener, script);
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes and records them.</summary>
    public async Task<byte[]> ReadAsync(NetworkStream stream, int count)
    {
        byte[] buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer);
        lock (Received)
        {
            Received.Add(buffer);
        }

        return buffer;
    }

    /// <summary>Reads the client's greeting: VER, NMETHODS, METHODS.</summary>
    public async Task<byte[]> ReadGreetingAsync(NetworkStream stream)
    {
        byte[] head = await ReadAsync(stream, 2);
        byte[] methods = await ReadAsync(stream, head[1]);
        return [.. head, .. methods];
    }

    /// <summary>Reads a CONNECT request and returns it whole.</summary>
    public async Task<byte[]> ReadRequestAsync(NetworkStream stream)
    {
        byte[] head = await ReadAsync(stream, 4);
        byte[] address = head[3] switch
        {
            0x01 => await ReadAsync(stream, 4),
            0x04 => await ReadAsync(stream, 16),
            _ => await ReadDomainAsync(stream),
        };
        byte[] port = await ReadAsync(stream, 2);
        return [.. head, .. address, .. port];
    }

    private async Task<byte[]> ReadDomainAsync(NetworkStream stream)
    {
        byte[] length = await ReadAsync(stream, 1);
        return [.. length, .. await ReadAsync(stream, length[0])];
    }

    private async Task ServeAsync(Func<FakeSocks5Server, NetworkStream, Task> script)
    {
        await Task.Yield();
        try
        {
            using TcpClient client = await _listener.AcceptTcpClientAsync();
            NetworkStream stream = client.GetStream();
            await script(this, stream);
            client.Client.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or EndOfStreamException)
        {
            // the client gave up first
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _serve.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
    }
}
