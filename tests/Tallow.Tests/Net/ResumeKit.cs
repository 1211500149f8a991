// Helpers for session-resumption tests (PeerSession.ResumeAsync) on loopback: a real relay that
// can be stopped and started again on the same port, two real PeerSessions paired through it with
// a generated code, chat records exchanged both ways, and a forwarder in front of a relay whose
// connections can be cut (a network failure, while the relay itself lives on).
using System.Net;
using System.Net.Sockets;
using Tallow.Crypto;
using Tallow.Net.Session;
using Tallow.Protocol.Chat;
using Tallow.Relay;
using Tallow.Tests.Protocol;
using Tallow.Wire;

namespace Tallow.Tests.Net;

internal static class ResumeKit
{
    public static SessionOptions Options(int relayPort, TimeSpan? window = null) => new()
    {
        Relay = new RelayAddress("127.0.0.1", relayPort),
        DirectEnabled = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        HandshakeTimeout = TimeSpan.FromSeconds(15),
        ResumeWindow = window ?? TimeSpan.FromSeconds(60),
    };

    /// <summary>A relay on 127.0.0.1:<paramref name="port"/> (0: a free one); the port of a stopped relay is taken again.</summary>
    public static async Task<RelayServer> StartRelayAsync(int port = 0)
    {
        for (int attempt = 0; ; attempt++)
        {
            var server = new RelayServer(new RelayOptions { Bind = new IPEndPoint(IPAddress.Loopback, port) });
            try
            {
                await server.StartAsync(CancellationToken.None);
                return server;
            }
            catch (SocketException) when (attempt < 50)
            {
                await server.DisposeAsync();
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Creator and joiner of a fresh room, past the handshake with a generated code.</summary>
    public static async Task<(PeerSession Creator, PeerSession Joiner)> OpenPairAsync(SessionOptions options, CancellationToken ct)
    {
        PeerSession creator = await PeerSession.CreateRoomAsync(options, 0, ct);
        string code = CodePhrase.Generate(creator.Nameplate, 3);
        PeerSession joiner = await PeerSession.JoinRoomAsync(options, creator.Nameplate, ct);
        await Task.WhenAll(creator.EstablishAsync(code, options, ct), joiner.EstablishAsync(code, options, ct)).WithTimeout();
        return (creator, joiner);
    }

    /// <summary>Both sides resume at once, each with its own ticket.</summary>
    public static async Task<(PeerSession Creator, PeerSession Joiner)> ResumePairAsync(
        ResumptionTicket creator, ResumptionTicket joiner, SessionOptions options, CancellationToken ct)
    {
        Task<PeerSession> c = PeerSession.ResumeAsync(creator, options, ct);
        Task<PeerSession> j = PeerSession.ResumeAsync(joiner, options, ct);
        return (await c.WithTimeout(60), await j.WithTimeout(60));
    }

    /// <summary>A chat message each way: the two sessions share keys and a live connection.</summary>
    public static async Task ExchangeAsync(PeerSession a, PeerSession b, string text, CancellationToken ct)
    {
        var chatA = new ChatChannel(a.Records!.Port(RecordGroup.Chat));
        var chatB = new ChatChannel(b.Records!.Port(RecordGroup.Chat));
        await chatA.SendAsync(text + " a→b", ct).WithTimeout();
        Assert.Equal(text + " a→b", (await chatB.ReceiveAsync(ct).WithTimeout()).Text);
        await chatB.SendAsync(text + " b→a", ct).WithTimeout();
        Assert.Equal(text + " b→a", (await chatA.ReceiveAsync(ct).WithTimeout()).Text);
    }

    /// <summary>Why the session's read loop ended (waits for it).</summary>
    public static Task<Exception> EndedAsync(PeerSession session) => session.Records!.Ended.WithTimeout(90);
}

/// <summary>
/// Listens on 127.0.0.1 and forwards each connection to <c>target</c>; <see cref="CutAll"/> resets
/// every connection it carries (a network cut) and goes on accepting new ones.
/// </summary>
internal sealed class CuttableForwarder : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _sockets = [];
    private readonly List<Task> _pumps = [];
    private readonly Task _accepting;
    private int _cutAtFrame = -1;
    private bool _cutTowardClient;

    public CuttableForwarder(IPEndPoint target)
    {
        _target = target;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        _accepting = Task.Run(AcceptLoopAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    /// <summary>
    /// Once: resets every connection when a frame of <paramref name="type"/> is about to pass toward
    /// the client (from the relay) or from it (<paramref name="towardClient"/> false); that frame is
    /// not forwarded. Frames are seen as on a plaintext relay connection.
    /// </summary>
    public void CutAtNextFrame(FrameType type, bool towardClient)
    {
        _cutTowardClient = towardClient;
        Volatile.Write(ref _cutAtFrame, (int)type);
    }

    /// <summary>Resets both ends of every forwarded connection.</summary>
    public void CutAll()
    {
        lock (_sockets)
        {
            foreach (Socket socket in _sockets)
            {
                Reset(socket);
            }

            _sockets.Clear();
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await upstream.ConnectAsync(_target, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                Reset(client);
                upstream.Dispose();
                continue;
            }

            lock (_sockets)
            {
                _sockets.AddRange([client, upstream]);
                _pumps.Add(PumpAsync(client, upstream, towardClient: false));
                _pumps.Add(PumpAsync(upstream, client, towardClient: true));
            }
        }
    }

    private async Task PumpAsync(Socket from, Socket to, bool towardClient)
    {
        byte[] buffer = new byte[64 * 1024];
        var frames = new FrameScanner();
        try
        {
            int n;
            while ((n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token)) > 0)
            {
                int armed = towardClient == _cutTowardClient ? Volatile.Read(ref _cutAtFrame) : -1;
                if (frames.Scan(buffer.AsSpan(0, n), armed) && Interlocked.CompareExchange(ref _cutAtFrame, -1, armed) == armed)
                {
                    CutAll();
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            Reset(to);
        }
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        socket.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        CutAll();
        await _accepting.WaitAsync(TimeSpan.FromSeconds(10));
        Task[] pumps;
        lock (_sockets)
        {
            pumps = [.. _pumps];
        }

        await Task.WhenAll(pumps).WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}

/// <summary>Follows frame boundaries (u32 big-endian length, u8 type) through a byte stream.</summary>
internal sealed class FrameScanner
{
    private readonly byte[] _header = new byte[Frame.HeaderSize];
    private int _headerFill;
    private long _skip;

    /// <summary>Consumes <paramref name="bytes"/>; true when a frame of type <paramref name="type"/> starts in them (never for -1).</summary>
    public bool Scan(ReadOnlySpan<byte> bytes, int type)
    {
        bool seen = false;
        while (!bytes.IsEmpty)
        {
            if (_skip > 0)
            {
                int skipped = (int)Math.Min(_skip, bytes.Length);
                _skip -= skipped;
                bytes = bytes[skipped..];
                continue;
            }

            _header[_headerFill++] = bytes[0];
            bytes = bytes[1..];
            if (_headerFill == _header.Length)
            {
                _headerFill = 0;
                _skip = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(_header) - 1L;
                seen |= _header[4] == type;
            }
        }

        return seen;
    }
}
