// Helpers for loopback relay tests: a relay on 127.0.0.1:0, clients from chosen 127.0.0.x source
// addresses, and a raw frame-level client for hostile or protocol-level checks.
using System.Net;
using System.Net.Sockets;
using Tallow.Net;
using Tallow.Relay;
using Tallow.Wire;

namespace Tallow.Tests.Relay;

internal static class RelayTestKit
{
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    public static async Task<RelayServer> StartAsync(RelayOptions? options = null)
    {
        options ??= new RelayOptions();
        options = options with { Bind = new IPEndPoint(IPAddress.Loopback, 0) };
        var server = new RelayServer(options);
        await server.StartAsync(CancellationToken.None);
        return server;
    }

    public static CancellationToken Deadline(int seconds = 10) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    public static Task<RelayConnection> ConnectAsync(RelayServer server, string? password = null, CancellationToken token = default) =>
        RelayConnection.ConnectAsync("127.0.0.1", server.LocalEndPoint.Port, password, ConnectTimeout, token);

    /// <summary>
    /// Connects from <paramref name="source"/> (any 127.0.0.x: every loopback address is local on Linux),
    /// so the relay sees a client address of the test's choosing.
    /// </summary>
    public static Task<RelayConnection> ConnectFromAsync(RelayServer server, string source, CancellationToken token, string? password = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return RelayConnection.ConnectAsync(socket, "127.0.0.1", server.LocalEndPoint.Port, password, ConnectTimeout, token);
    }

    /// <summary>Creator and joiner of a fresh room, both past Paired.</summary>
    public static async Task<(RelayConnection Creator, RelayConnection Joiner)> PairAsync(RelayServer server, CancellationToken token)
    {
        RelayConnection creator = await ConnectAsync(server, token: token);
        uint nameplate = await creator.AllocateAsync(0, token);
        RelayConnection joiner = await ConnectAsync(server, token: token);
        await joiner.ClaimAsync(nameplate, token);
        PairedMessage a = await creator.WaitForPeerAsync(token);
        PairedMessage b = await joiner.WaitForPeerAsync(token);
        Assert.Equal(new PairedMessage(2, 0), a);
        Assert.Equal(new PairedMessage(2, 1), b);
        return (creator, joiner);
    }

    /// <summary>Polls until <paramref name="condition"/> holds (relay state changes asynchronously).</summary>
    public static async Task EventuallyAsync(Func<bool> condition, CancellationToken token, string what)
    {
        while (!condition())
        {
            if (token.IsCancellationRequested)
            {
                Assert.Fail("timed out waiting for: " + what);
            }

            await Task.Delay(20, CancellationToken.None);
        }
    }

    /// <summary>Reads exactly buffer.Length bytes after pairing: first what the reader buffered, then the stream.</summary>
    public static async Task ReadExactlyAsync(RelayConnection connection, Memory<byte> buffer, CancellationToken token)
    {
        int taken = Math.Min(connection.Reader.Buffered.Length, buffer.Length);
        Assert.Equal(0, taken); // nothing is sent before pairing in these tests
        await connection.Stream.ReadExactlyAsync(buffer, token);
    }
}

/// <summary>A frame-level client that can misbehave.</summary>
internal sealed class RawClient : IAsyncDisposable
{
    private readonly FrameReader _reader;

    private RawClient(Socket socket)
    {
        Socket = socket;
        Stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new FrameReader(Stream, 4096);
    }

    public Socket Socket { get; }

    public NetworkStream Stream { get; }

    public static Task<RawClient> ConnectAsync(RelayServer server, CancellationToken token) => ConnectAsync(server.LocalEndPoint, token);

    /// <summary>Connects to any relay port (e.g. RelayServer.ProbeEndPoint).</summary>
    public static Task<RawClient> ConnectAsync(IPEndPoint endPoint, CancellationToken token) =>
        ConnectAsync(new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true }, endPoint, token);

    /// <summary>Connects a socket the caller prepared (e.g. a small receive buffer); it is disposed on failure.</summary>
    public static async Task<RawClient> ConnectAsync(Socket socket, IPEndPoint endPoint, CancellationToken token)
    {
        try
        {
            await socket.ConnectAsync(endPoint, token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new RawClient(socket);
    }

    public ValueTask SendAsync(FrameType type, byte[] payload, CancellationToken token) =>
        Stream.WriteAsync(Frame.Encode(type, payload), token);

    public ValueTask SendRawAsync(byte[] bytes, CancellationToken token) => Stream.WriteAsync(bytes, token);

    public async Task<WelcomeMessage> HelloAsync(CancellationToken token)
    {
        byte[] hello = new byte[HelloMessage.Size];
        new HelloMessage(RelayProtocol.Version).Write(hello);
        await SendAsync(FrameType.Hello, hello, token);
        (FrameType type, byte[] payload) = await ReadFrameAsync(token);
        Assert.Equal(FrameType.Welcome, type);
        Assert.True(WelcomeMessage.TryParse(payload, out WelcomeMessage welcome));
        return welcome;
    }

    public Task<(FrameType Type, byte[] Payload)> ReadFrameAsync(CancellationToken token) => ReadFrameAsync(Frame.MaxUnpairedLength, token);

    /// <summary>Reads one frame of at most <paramref name="maxLength"/> (e.g. RoomProtocol.MaxFrameLength in a chat room).</summary>
    public async Task<(FrameType Type, byte[] Payload)> ReadFrameAsync(int maxLength, CancellationToken token)
    {
        FrameReadResult result = await _reader.ReadAsync(maxLength, token);
        Assert.True(result.IsFrame, $"expected a frame, got {result}");
        return (result.Type, _reader.CurrentPayload.ToArray());
    }

    /// <summary>Expects Error{code} followed by the relay closing the connection.</summary>
    public async Task<ErrorMessage> ExpectErrorThenCloseAsync(RelayErrorCode code, CancellationToken token)
    {
        (FrameType type, byte[] payload) = await ReadFrameAsync(token);
        Assert.Equal(FrameType.Error, type);
        Assert.True(ErrorMessage.TryParse(payload, out ErrorMessage error));
        Assert.Equal(code, error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        await ExpectClosedAsync(token);
        return error;
    }

    /// <summary>Expects the relay to end the stream cleanly with no further frame.</summary>
    public async Task ExpectEndOfStreamAsync(CancellationToken token)
    {
        FrameReadResult result = await _reader.ReadAsync(Frame.MaxUnpairedLength, token);
        Assert.True(result.EndOfStream && result.Status == FrameStatus.Ok, $"expected the end of the stream, got {result}");
    }

    public async Task ExpectClosedAsync(CancellationToken token)
    {
        byte[] sink = new byte[4096];
        try
        {
            while (await Stream.ReadAsync(sink, token) > 0)
            {
            }
        }
        catch (IOException)
        {
            // reset also counts as closed
        }
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await Stream.DisposeAsync();
    }
}
