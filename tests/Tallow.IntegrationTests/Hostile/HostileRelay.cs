// A man-in-the-middle relay for tests: speaks the relay protocol (DESIGN.md §5) to real tallow
// clients (Hello → Welcome without auth, Allocate/Claim → Opened, Paired to both), then forwards
// the peers' frames one whole frame at a time so a strategy can rewrite, drop, duplicate,
// reorder or reroute any of them. Loopback only; every socket is closed on dispose.
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Tallow.Wire;

namespace Tallow.IntegrationTests.Hostile;

/// <summary>Direction of a frame inside a room: from the creator (sender, index 0) or from the joiner (receiver).</summary>
public enum Direction
{
    ToReceiver,
    ToSender,
}

/// <summary>One client connection after Hello/Welcome.</summary>
public sealed class HostileConnection : IAsyncDisposable
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private int _closed;

    internal HostileConnection(Socket socket)
    {
        Socket = socket;
        Stream = new NetworkStream(socket, ownsSocket: false);
        Reader = new FrameReader(Stream, 4096);
    }

    internal Socket Socket { get; }

    /// <summary>Accepts connections on <paramref name="listener"/> until <paramref name="ct"/> (or the listener) stops, handing each to <paramref name="serve"/>.</summary>
    internal static async Task AcceptAllAsync(TcpListener listener, Action<HostileConnection> serve, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(ct);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            socket.NoDelay = true;
            serve(new HostileConnection(socket));
        }
    }

    internal NetworkStream Stream { get; }

    internal FrameReader Reader { get; }

    public async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            await Stream.WriteAsync(bytes, ct);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Half-close: the peer reads EOF after everything already written.</summary>
    public void ShutdownSend()
    {
        try
        {
            Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            try
            {
                Socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }

            try
            {
                Socket.Close();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        Close();
        Stream.Dispose();
        Reader.Dispose();
        Socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A paired room: the creator (sender, handshake initiator) and the joiner (receiver).</summary>
public sealed class HostileRoom
{
    internal HostileRoom(int ordinal, uint nameplate, HostileConnection creator)
    {
        Ordinal = ordinal;
        Nameplate = nameplate;
        Sender = creator;
    }

    /// <summary>0 for the first room created on this relay, 1 for the second...</summary>
    public int Ordinal { get; }

    public uint Nameplate { get; }

    public HostileConnection Sender { get; }

    public HostileConnection? Receiver { get; internal set; }

    public HostileConnection Source(Direction d) => d == Direction.ToReceiver ? Sender : Receiver!;

    public HostileConnection Destination(Direction d) => d == Direction.ToReceiver ? Receiver! : Sender;
}

/// <summary>A whole frame (header included) read from one side of a room.</summary>
public sealed record RelayedFrame(HostileRoom Room, Direction Direction, FrameType Type, byte[] Bytes, int RecordIndex)
{
    public ReadOnlySpan<byte> Payload => Bytes.AsSpan(Frame.HeaderSize);
}

/// <summary>What to do with a frame: write these frames (possibly none), or close every connection.</summary>
public sealed record Verdict(IReadOnlyList<byte[]> Frames, bool CloseAll = false)
{
    public static Verdict Forward(RelayedFrame frame) => new([frame.Bytes]);

    public static Verdict Drop { get; } = new([]);

    public static Verdict Close { get; } = new([], CloseAll: true);
}

/// <summary>Decides the fate of each frame. The default forwards everything unchanged (pass-through).</summary>
public class HostileStrategy
{
    /// <summary>Called once per frame, in order per direction (one pump per direction).</summary>
    public virtual ValueTask<Verdict> OnFrameAsync(RelayedFrame frame, CancellationToken ct) => ValueTask.FromResult(Verdict.Forward(frame));

    /// <summary>Called after a verdict's frames were written.</summary>
    public virtual void OnForwarded(RelayedFrame frame)
    {
    }

    /// <summary>The index the relay announces in Paired (honest: creator 0, joiner 1).</summary>
    public virtual byte PairedIndex(bool joiner) => joiner ? (byte)1 : (byte)0;

    /// <summary>Which room's peer receives what <paramref name="room"/> sends in <paramref name="direction"/> (default: the same room).</summary>
    public virtual HostileRoom Route(HostileRoom room, Direction direction) => room;
}

public sealed class HostileRelay : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly HostileStrategy _strategy;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<uint, HostileRoom> _rooms = new();
    private readonly ConcurrentBag<HostileConnection> _connections = [];
    private readonly ConcurrentBag<Task> _tasks = [];
    private readonly List<HostileRoom> _paired = [];
    private readonly Task _acceptLoop;
    private int _nextNameplate = 40;
    private int _roomCount;

    private HostileRelay(HostileStrategy strategy)
    {
        _strategy = strategy;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public static HostileRelay Start(HostileStrategy? strategy = null) => new(strategy ?? new HostileStrategy());

    /// <summary>host:port for --relay.</summary>
    public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Rooms that are paired, in pairing order.</summary>
    public IReadOnlyList<HostileRoom> PairedRooms
    {
        get
        {
            lock (_paired)
            {
                return _paired.ToArray();
            }
        }
    }

    /// <summary>Every problem the relay itself ran into (a test harness bug, not a client failure).</summary>
    public ConcurrentQueue<string> Faults { get; } = new();

    public void CloseAll()
    {
        foreach (HostileConnection c in _connections)
        {
            c.Close();
        }
    }

    private Task AcceptLoopAsync() => HostileConnection.AcceptAllAsync(_listener, connection =>
    {
        _connections.Add(connection);
        _tasks.Add(Task.Run(() => ServeControlAsync(connection)));
    }, _stop.Token);

    private async Task ServeControlAsync(HostileConnection c)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            FrameReadResult hello = await c.Reader.ReadAsync(Frame.MaxUnpairedLength, timeout.Token);
            if (!hello.IsFrame || hello.Type != FrameType.Hello || !HelloMessage.TryParse(c.Reader.CurrentPayload.Span, out _))
            {
                Faults.Enqueue("expected Hello");
                c.Close();
                return;
            }

            byte[] welcome = new byte[WelcomeMessage.MaxSize];
            var observed = (IPEndPoint)c.Socket.RemoteEndPoint!;
            int n = new WelcomeMessage(RelayProtocol.Version, observed, RandomNumberGenerator.GetBytes(RelayProtocol.NonceSize), false, 0).Write(welcome);
            await c.WriteAsync(Frame.Encode(FrameType.Welcome, welcome.AsSpan(0, n)), timeout.Token);

            FrameReadResult request = await c.Reader.ReadAsync(Frame.MaxUnpairedLength, timeout.Token);
            if (request.IsFrame && request.Type == FrameType.Allocate && AllocateMessage.TryParse(c.Reader.CurrentPayload.Span, out _))
            {
                uint nameplate = (uint)Interlocked.Increment(ref _nextNameplate);
                var room = new HostileRoom(Interlocked.Increment(ref _roomCount) - 1, nameplate, c);
                _rooms[nameplate] = room;
                await c.WriteAsync(Encode(FrameType.Opened, nameplate), timeout.Token);
                return; // the joiner starts the pumps
            }

            if (request.IsFrame && request.Type == FrameType.Claim && NameplateMessage.TryParse(c.Reader.CurrentPayload.Span, out NameplateMessage claim))
            {
                if (!_rooms.TryRemove(claim.Nameplate, out HostileRoom? room))
                {
                    byte[] error = new byte[64];
                    int len = new ErrorMessage(RelayErrorCode.NoSuchRoom, "no such room").Write(error);
                    await c.WriteAsync(Frame.Encode(FrameType.Error, error.AsSpan(0, len)), timeout.Token);
                    c.Close();
                    return;
                }

                room.Receiver = c;
                await c.WriteAsync(Encode(FrameType.Opened, claim.Nameplate), timeout.Token);
                await c.WriteAsync(Frame.Encode(FrameType.Paired, [2, _strategy.PairedIndex(joiner: true)]), timeout.Token);
                await room.Sender.WriteAsync(Frame.Encode(FrameType.Paired, [2, _strategy.PairedIndex(joiner: false)]), timeout.Token);
                lock (_paired)
                {
                    _paired.Add(room);
                }

                _tasks.Add(Task.Run(() => PumpAsync(room, Direction.ToReceiver)));
                _tasks.Add(Task.Run(() => PumpAsync(room, Direction.ToSender)));
                return;
            }

            Faults.Enqueue($"unexpected control frame {request.Type}");
            c.Close();
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            c.Close();
        }
    }

    private static byte[] Encode(FrameType type, uint nameplate)
    {
        byte[] payload = new byte[NameplateMessage.Size];
        new NameplateMessage(nameplate).Write(payload);
        return Frame.Encode(type, payload);
    }

    /// <summary>Reads whole frames from one side, asks the strategy, writes the verdict to the routed peer.</summary>
    private async Task PumpAsync(HostileRoom room, Direction direction)
    {
        HostileConnection source = room.Source(direction);
        int records = 0;
        CancellationToken ct = _stop.Token;
        try
        {
            while (true)
            {
                FrameReadResult result = await source.Reader.ReadAsync(Frame.MaxLength, ct);
                if (result.EndOfStream || !result.IsFrame)
                {
                    break;
                }

                byte[] bytes = source.Reader.CurrentFrame.ToArray();
                int index = result.Type == FrameType.Record ? ++records : 0;
                var frame = new RelayedFrame(room, direction, result.Type, bytes, index);
                Verdict verdict = await _strategy.OnFrameAsync(frame, ct);
                if (verdict.CloseAll)
                {
                    CloseAll();
                    return;
                }

                HostileConnection destination = _strategy.Route(room, direction).Destination(direction);
                foreach (byte[] f in verdict.Frames)
                {
                    await destination.WriteAsync(f, ct);
                }

                _strategy.OnForwarded(frame);
            }

            // EOF: pass it on as a half-close so the peer still reads what was forwarded.
            _strategy.Route(room, direction).Destination(direction).ShutdownSend();
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The destination went away (or the test ended): make the source notice too.
            source.Close();
            _strategy.Route(room, direction).Destination(direction).ShutdownSend();
        }
        catch (Exception e)
        {
            Faults.Enqueue($"pump {direction} of room {room.Ordinal}: {e}");
            CloseAll();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        CloseAll();
        try
        {
            await Task.WhenAll([_acceptLoop, .. _tasks]).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
        }

        foreach (HostileConnection c in _connections)
        {
            await c.DisposeAsync();
        }

        _listener.Dispose();
        _stop.Dispose();
    }
}
