// A member's connection to a routing room (protocol.md "Chat rooms"). One read loop takes the
// relay's frames: a Routed payload goes to the stream of the member that sent it, membership
// changes and RoomClose become RoomEvents. Each id is announced once and ends once (ids are never
// reused), so a relay repeating them cannot grow anything; a Routed frame from an id not yet
// announced announces it. Writes (Route, RoomClose, Ping) are serialised; a Ping every 15 s keeps
// a member alone in the room from the relay's idle timeout.
using System.Threading.Channels;
using Tallow.Protocol;
using Tallow.Wire;

namespace Tallow.Net.Room;

public enum RoomEventKind
{
    /// <summary>A member is there to talk to (already there on entry, joined, or first heard from): <see cref="RoomEvent.Stream"/>.</summary>
    Joined,

    /// <summary>The relay says the member's connection ended.</summary>
    Left,

    /// <summary>The room admits no one any more.</summary>
    Closed,
}

/// <param name="WeInitiate">Joined: the member was there when this side entered, so this side starts the handshake (the joiner initiates).</param>
public readonly record struct RoomEvent(RoomEventKind Kind, byte Member, RoutedStream? Stream = null, bool WeInitiate = false);

public sealed class RoomConnection : IAsyncDisposable
{
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(15);

    private readonly RelayConnection _relay;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Dictionary<byte, RoutedStream> _streams = [];
    private readonly bool[] _announced = new bool[256];
    private readonly Channel<RoomEvent> _events = Channel.CreateUnbounded<RoomEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Task _readLoop;
    private readonly Task _pings;
    private int _closedAnnounced;
    private int _disposed;

    public RoomConnection(RelayConnection relay, RoomMembersMessage members, uint nameplate)
    {
        _relay = relay;
        Self = members.Self;
        Nameplate = nameplate;
        _announced[Self] = true;
        InitialMembers = members.Others.Length;
        foreach (byte id in members.Others)
        {
            Announce(id, weInitiate: true);
        }

        _readLoop = Task.Run(ReadLoopAsync);
        _pings = Task.Run(PingLoopAsync);
    }

    /// <summary>How many members were in the room when this side entered (announced first, WeInitiate).</summary>
    public int InitialMembers { get; }

    /// <summary>This member's id (0: the room's creator).</summary>
    public byte Self { get; }

    public uint Nameplate { get; }

    /// <summary>Membership news in the order the relay sent it; completes (with the reason) when the room connection ends.</summary>
    public ChannelReader<RoomEvent> Events => _events.Reader;

    /// <summary>Sends <paramref name="data"/> to member <paramref name="to"/> as Route frames of at most 64 KiB.</summary>
    internal async ValueTask RouteAsync(byte to, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            while (!data.IsEmpty)
            {
                int count = Math.Min(data.Length, RoomProtocol.MaxRoutedPayload);
                byte[] frame = RoutedFrame.Encode(FrameType.Route, to, data.Span[..count]);
                await _relay.Stream.WriteAsync(frame, ct).ConfigureAwait(false);
                data = data[count..];
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            throw new IOException("the connection to the relay was lost", e);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Asks the relay to admit no one any more (after too many failed joins).</summary>
    public async Task CloseAdmissionsAsync(CancellationToken ct)
    {
        try
        {
            await WriteAsync(Frame.Encode(FrameType.RoomClose, []), ct).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The room is going away anyway.
        }
    }

    /// <summary>The stream is no longer used: frames from that member are dropped from now on.</summary>
    internal void Forget(byte member)
    {
        lock (_streams)
        {
            _streams.Remove(member);
        }
    }

    private async ValueTask WriteAsync(byte[] frame, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await _relay.Stream.WriteAsync(frame, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            throw new IOException("the connection to the relay was lost", e);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void Announce(byte id, bool weInitiate = false)
    {
        if (_announced[id])
        {
            return;
        }

        _announced[id] = true;
        var stream = new RoutedStream(this, id);
        lock (_streams)
        {
            _streams[id] = stream;
        }

        _events.Writer.TryWrite(new RoomEvent(RoomEventKind.Joined, id, stream, weInitiate));
    }

    private RoutedStream? StreamOf(byte id)
    {
        lock (_streams)
        {
            return _streams.GetValueOrDefault(id);
        }
    }

    private async Task ReadLoopAsync()
    {
        Exception? reason = null;
        CancellationToken ct = _lifetime.Token;
        try
        {
            while (true)
            {
                FrameReadResult result = await _relay.Reader.ReadAsync(RoomProtocol.MaxFrameLength, ct).ConfigureAwait(false);
                if (result.EndOfStream)
                {
                    throw new TallowException(FailureKind.Network, "the relay closed the connection to the chat room.");
                }

                if (!result.IsFrame)
                {
                    throw new TallowException(FailureKind.Network, "the relay sent a malformed frame in the chat room: the room was left.");
                }

                await DispatchAsync(result.Type, _relay.Reader.CurrentPayload, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (TallowException e)
        {
            reason = e;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            reason = new TallowException(FailureKind.Network, "the connection to the relay was lost: the chat room was left.", e);
        }

        RoutedStream[] streams;
        lock (_streams)
        {
            streams = [.. _streams.Values];
        }

        foreach (RoutedStream stream in streams)
        {
            stream.End();
        }

        _events.Writer.TryComplete(reason);
    }

    private async ValueTask DispatchAsync(FrameType type, Memory<byte> payload, CancellationToken ct)
    {
        switch (type)
        {
            case FrameType.Routed when RoutedFrame.TryParse(payload.Span, out byte from, out int offset):
                if (from == Self)
                {
                    return; // the relay routed our own frame back: nothing of ours to read
                }

                Announce(from);
                if (StreamOf(from) is RoutedStream stream)
                {
                    await stream.DeliverAsync(payload[offset..].ToArray(), ct).ConfigureAwait(false);
                }

                return;
            case FrameType.MemberJoined when MemberIdMessage.TryParse(payload.Span, out MemberIdMessage joined):
                Announce(joined.Id);
                return;
            case FrameType.MemberLeft when MemberIdMessage.TryParse(payload.Span, out MemberIdMessage left):
                if (StreamOf(left.Id) is RoutedStream gone && !gone.Ended)
                {
                    gone.End();
                    _events.Writer.TryWrite(new RoomEvent(RoomEventKind.Left, left.Id));
                }

                return;
            case FrameType.RoomClose:
                if (Interlocked.Exchange(ref _closedAnnounced, 1) == 0)
                {
                    _events.Writer.TryWrite(new RoomEvent(RoomEventKind.Closed, 0));
                }

                return;
            case FrameType.Ping:
                return;
            case FrameType.Error when ErrorMessage.TryParse(payload.Span, out ErrorMessage error):
                throw new TallowException(FailureKind.Network, $"the relay ended the chat room: {Protocol.Transfer.PathSanitizer.Printable(error.Message)}");
            default:
                throw new TallowException(FailureKind.Network, $"the relay sent an unexpected frame (type 0x{(byte)type:x2}) in the chat room: the room was left.");
        }
    }

    private async Task PingLoopAsync()
    {
        using var timer = new PeriodicTimer(PingInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_lifetime.Token).ConfigureAwait(false))
            {
                await WriteAsync(Frame.Encode(FrameType.Ping, []), _lifetime.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // Leaving, or the connection is gone (the read loop reports it).
        }
    }

    /// <summary>Leaves the room (the relay tells the others); idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        await _relay.DisposeAsync().ConfigureAwait(false);
        await Task.WhenAll(_readLoop, _pings).ConfigureAwait(false);
        _lifetime.Dispose();
    }
}
