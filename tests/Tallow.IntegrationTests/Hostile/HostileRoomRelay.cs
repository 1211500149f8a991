// A routing-room relay for tests (protocol.md "Chat rooms"), in process: speaks the room protocol
// to real `tallow chat` processes (Hello → Welcome without auth, Allocate with capacity ≥ 3 or
// Claim → Opened, RoomMembers, MemberJoined/MemberLeft) and routes each Route frame through a
// tamper function that may misroute, drop, duplicate, replay or rewrite `from` — what a hostile
// relay can do to a room. It can also ignore RoomClose. One room; loopback only; every socket is
// closed on dispose.
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Tallow.Wire;

namespace Tallow.IntegrationTests.Hostile;

/// <summary>One Route frame: <paramref name="Sequence"/> counts the routes from From to To (1 = the first).</summary>
public sealed record RoomRoute(byte From, byte To, byte[] Payload, int Sequence);

/// <summary>One Routed frame the relay writes: to member To, stamped From.</summary>
public readonly record struct RoomDelivery(byte To, byte From, byte[] Payload);

public sealed class HostileRoomRelay : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<RoomRoute, IEnumerable<RoomDelivery>> _tamper;
    private readonly bool _honourClose;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<byte, HostileConnection> _members = [];
    private readonly ConcurrentDictionary<(byte, byte), int> _sequences = new();
    private readonly ConcurrentBag<Task> _tasks = [];
    private readonly Task _acceptLoop;
    private byte _nextId;
    private bool _closed;

    private HostileRoomRelay(Func<RoomRoute, IEnumerable<RoomDelivery>>? tamper, bool honourClose)
    {
        _tamper = tamper ?? (route => [new RoomDelivery(route.To, route.From, route.Payload)]);
        _honourClose = honourClose;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Starts the relay; <paramref name="tamper"/> decides what each Route becomes (default: honest routing).</summary>
    public static HostileRoomRelay Start(Func<RoomRoute, IEnumerable<RoomDelivery>>? tamper = null, bool honourClose = true) => new(tamper, honourClose);

    /// <summary>host:port for --relay.</summary>
    public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Every Route frame seen, in arrival order (what a relay learns: who, to whom, sizes).</summary>
    public ConcurrentQueue<RoomRoute> Routes { get; } = new();

    /// <summary>Members whose connection ended, in order.</summary>
    public ConcurrentQueue<byte> Departed { get; } = new();

    /// <summary>RoomClose frames received from members.</summary>
    public int CloseRequests => Volatile.Read(ref _closeRequests);

    private int _closeRequests;

    private Task AcceptLoopAsync() =>
        HostileConnection.AcceptAllAsync(_listener, connection => _tasks.Add(Task.Run(() => ServeAsync(connection))), _stop.Token);

    private async Task ServeAsync(HostileConnection c)
    {
        CancellationToken ct = _stop.Token;
        byte id = 0;
        bool admitted = false;
        try
        {
            FrameReadResult hello = await c.Reader.ReadAsync(Frame.MaxUnpairedLength, ct);
            if (!hello.IsFrame || hello.Type != FrameType.Hello)
            {
                return;
            }

            byte[] welcome = new byte[WelcomeMessage.MaxSize];
            int n = new WelcomeMessage(RelayProtocol.Version, (IPEndPoint)c.Socket.RemoteEndPoint!, RandomNumberGenerator.GetBytes(RelayProtocol.NonceSize), false, 0).Write(welcome);
            await c.WriteAsync(Frame.Encode(FrameType.Welcome, welcome.AsSpan(0, n)), ct);
            FrameReadResult request = await c.Reader.ReadAsync(Frame.MaxUnpairedLength, ct);
            uint nameplate = request.Type == FrameType.Allocate ? 7 : NameplateMessage.TryParse(c.Reader.CurrentPayload.Span, out NameplateMessage claim) ? claim.Nameplate : 0;
            if (!request.IsFrame || request.Type is not (FrameType.Allocate or FrameType.Claim) || nameplate != 7 || !Admit(c, out id, out byte[] others))
            {
                byte[] error = new byte[64];
                int length = new ErrorMessage(RelayErrorCode.RoomFull, "the chat room admits no one any more").Write(error);
                await c.WriteAsync(Frame.Encode(FrameType.Error, error.AsSpan(0, length)), ct);
                return;
            }

            admitted = true;
            byte[] opened = new byte[NameplateMessage.Size];
            new NameplateMessage(nameplate).Write(opened);
            var members = new RoomMembersMessage(id, others);
            byte[] list = new byte[members.Size];
            members.Write(list);
            byte[] entry = [.. Frame.Encode(FrameType.Opened, opened), .. Frame.Encode(FrameType.RoomMembers, list)];
            await c.WriteAsync(entry, ct);
            await BroadcastAsync(Frame.Encode(FrameType.MemberJoined, [id]), except: id, ct);
            await RouteLoopAsync(c, id, ct);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            if (admitted)
            {
                lock (_members)
                {
                    _members.Remove(id);
                }

                Departed.Enqueue(id);
                await BroadcastQuietlyAsync(Frame.Encode(FrameType.MemberLeft, [id]), id);
            }

            await c.DisposeAsync();
        }
    }

    private bool Admit(HostileConnection c, out byte id, out byte[] others)
    {
        lock (_members)
        {
            id = 0;
            others = [.. _members.Keys];
            if (_closed || _members.Count >= RelayProtocol.MaxRoomCapacity)
            {
                return false;
            }

            id = _nextId++;
            _members[id] = c;
            return true;
        }
    }

    private async Task RouteLoopAsync(HostileConnection c, byte from, CancellationToken ct)
    {
        while (true)
        {
            FrameReadResult result = await c.Reader.ReadAsync(RoomProtocol.MaxFrameLength, ct);
            if (result.EndOfStream || !result.IsFrame)
            {
                return;
            }

            if (result.Type == FrameType.RoomClose)
            {
                Interlocked.Increment(ref _closeRequests);
                if (_honourClose)
                {
                    lock (_members)
                    {
                        _closed = true;
                    }

                    await BroadcastAsync(Frame.Encode(FrameType.RoomClose, []), except: 255, ct);
                }

                continue;
            }

            if (result.Type != FrameType.Route || !RoutedFrame.TryParse(c.Reader.CurrentPayload.Span, out byte to, out int offset))
            {
                continue; // Ping, or something this test relay does not care about
            }

            byte[] payload = c.Reader.CurrentPayload[offset..].ToArray();
            int sequence = _sequences.AddOrUpdate((from, to), 1, (_, s) => s + 1);
            var route = new RoomRoute(from, to, payload, sequence);
            Routes.Enqueue(route);
            foreach (RoomDelivery delivery in _tamper(route))
            {
                if (MemberOf(delivery.To) is HostileConnection destination)
                {
                    try
                    {
                        await destination.WriteAsync(RoutedFrame.Encode(FrameType.Routed, delivery.From, delivery.Payload), ct);
                    }
                    catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
                    {
                        // That member is leaving: its own loop removes it; the sender stays.
                    }
                }
            }
        }
    }

    private HostileConnection? MemberOf(byte id)
    {
        lock (_members)
        {
            return _members.GetValueOrDefault(id);
        }
    }

    /// <summary>Tells every other member that <paramref name="id"/> left, while it stays connected and routed (an eavesdropping relay).</summary>
    public Task FakeDepartureAsync(byte id) => BroadcastAsync(Frame.Encode(FrameType.MemberLeft, [id]), except: id, _stop.Token);

    private async Task BroadcastAsync(byte[] frame, byte except, CancellationToken ct)
    {
        HostileConnection[] targets;
        lock (_members)
        {
            targets = [.. _members.Where(m => m.Key != except).Select(m => m.Value)];
        }

        foreach (HostileConnection target in targets)
        {
            try
            {
                await target.WriteAsync(frame, ct);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                // That member is leaving too.
            }
        }
    }

    private async Task BroadcastQuietlyAsync(byte[] frame, byte except)
    {
        try
        {
            await BroadcastAsync(frame, except, _stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        HostileConnection[] all;
        lock (_members)
        {
            all = [.. _members.Values];
        }

        foreach (HostileConnection c in all)
        {
            c.Close();
        }

        try
        {
            await Task.WhenAll([_acceptLoop, .. _tasks]).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
        }
    }
}
