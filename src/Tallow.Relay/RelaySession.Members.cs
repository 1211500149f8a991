// Chat-room membership of a relay session (docs/protocol.md "Chat rooms"): joining (RoomMembers to
// the joiner, MemberJoined to the others), leaving (MemberLeft), and delivering a frame to a member.
// Every frame to a member is written whole under its _writeLock and awaited, which is the
// back-pressure on whoever sends it; a member that takes no frame for SlowMemberTimeout while one
// waits for it is disconnected (the others see MemberLeft). Order per member: its RoomMembers
// first (its write lock is held from admission until RoomMembers is out); membership changes in
// the order they happened (each is announced to everyone under RoutingRoom.Announcements before
// the next); and MemberJoined{x} before any Routed from x (x's read loop starts only after its
// MemberJoined were delivered).
using System.Net.Sockets;
using Tallow.Wire;

namespace Tallow.Relay;

internal sealed partial class RelaySession
{
    private byte _memberId;     // set under the registry lock before the session routes
    private long _lastTaken;    // TimeProvider timestamp of the last frame this member took (or of its admission)
    private int _slow;          // 1 once disconnected for not taking frames

    /// <summary>Under the registry lock: admitted to a chat room as member <paramref name="id"/>.</summary>
    public void OnJoined(Room room, byte id, bool first)
    {
        lock (_gate)
        {
            _room = room;
            _memberId = id;
            _state = SessionState.Routing;
        }

        Volatile.Write(ref _lastTaken, _context.Time.GetTimestamp());
        if (first)
        {
            StartIdleTimer(room);
        }
    }

    private static byte[] RoomMembersFrame(RoomAdmission admission)
    {
        byte[] others = [.. admission.Others.Select(member => member.Id)];
        var message = new RoomMembersMessage(admission.Id, others);
        byte[] payload = new byte[message.Size];
        message.Write(payload);
        return Frame.Encode(FrameType.RoomMembers, payload);
    }

    private static byte[] MemberIdFrame(FrameType type, byte id) => Frame.Encode(type, [id]);

    /// <summary>Opened and RoomMembers to a new member, under its write lock (held by the caller). A dead connection is closed, not thrown.</summary>
    private async Task WriteJoinedAsync(byte[] opened, RoomAdmission admission)
    {
        try
        {
            await _stream.WriteAsync((byte[])[.. opened, .. RoomMembersFrame(admission)], _context.Shutdown).ConfigureAwait(false);
            Volatile.Write(ref _lastTaken, _context.Time.GetTimestamp());
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            CloseSocket(); // the routing loop sees it and leaves the room, after MemberJoined went out
        }
    }

    /// <summary>Waits for the room's announcements lock (RoutingRoom.Announcements); false when <paramref name="token"/> ended the wait.</summary>
    private static async Task<bool> EnterAnnouncementsAsync(RoutingRoom routing, CancellationToken token)
    {
        try
        {
            await routing.Announcements.WaitAsync(token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Takes this session out of its chat room and sends MemberLeft to the others; idempotent, never throws.</summary>
    private async Task LeaveRoomAsync(Room room)
    {
        byte id;
        lock (_gate)
        {
            id = _memberId;
        }

        // On shutdown the wait ends at once: the member is still taken out, only the announcement is skipped.
        bool announce = await EnterAnnouncementsAsync(room.Routing!, _context.Shutdown).ConfigureAwait(false);
        try
        {
            if (!_context.Rooms.Leave(room, this, id, out (byte Id, RelaySession Session)[] remaining, out bool closed))
            {
                return;
            }

            _context.Write($"relay: member {id} left room {room.Nameplate}" + (closed ? "; it had no members left and is closed" : string.Empty));
            if (announce)
            {
                await BroadcastAsync(remaining, MemberIdFrame(FrameType.MemberLeft, id), _context.Shutdown).ConfigureAwait(false);
            }
        }
        finally
        {
            if (announce)
            {
                room.Routing!.Announcements.Release();
            }
        }
    }

    /// <summary>RoomClose from a member: the room stops admitting, and every member (the sender too) is told once.</summary>
    private async Task CloseAdmissionsAsync(Room room, byte self, CancellationToken token)
    {
        RoutingRoom routing = room.Routing!;
        if (!await EnterAnnouncementsAsync(routing, token).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            if (routing.StopAdmitting())
            {
                _context.Write($"relay: member {self} closed room {room.Nameplate} to new members");
                await BroadcastAsync(routing.Members(), Frame.Encode(FrameType.RoomClose, []), _context.Shutdown).ConfigureAwait(false);
            }
        }
        finally
        {
            routing.Announcements.Release();
        }
    }

    /// <summary>Delivers <paramref name="frame"/> to every one of <paramref name="members"/> at once; never throws.</summary>
    private static Task BroadcastAsync((byte Id, RelaySession Session)[] members, byte[] frame, CancellationToken senderToken) =>
        Task.WhenAll(members.Select(member => member.Session.DeliverAsync(frame, senderToken)));

    /// <summary>
    /// Writes one whole frame to this member under its write lock. <paramref name="senderToken"/> only stops
    /// the wait for the lock (a write once begun is finished, or the member's stream would be cut mid-frame).
    /// False when the frame was not taken: the member is gone, was too slow (and is now disconnected), or
    /// the sender stopped. Never throws.
    /// </summary>
    private async Task<bool> DeliverAsync(ReadOnlyMemory<byte> frame, CancellationToken senderToken)
    {
        TimeSpan limit = _context.Options.SlowMemberTimeout;
        try
        {
            if (!await WaitToWriteAsync(limit, senderToken).ConfigureAwait(false))
            {
                DisconnectSlow();
                return false;
            }

            try
            {
                using var timeout = new CancellationTokenSource(limit, _context.Time);
                using var write = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _context.Shutdown);
                try
                {
                    await _stream.WriteAsync(frame, write.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested)
                {
                    DisconnectSlow();
                    return false;
                }

                Volatile.Write(ref _lastTaken, _context.Time.GetTimestamp());
                return true;
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Takes the write lock; false when the member took no frame for <paramref name="limit"/> while we waited
    /// (others' frames to it are stuck). A member that keeps taking frames is waited for as long as that lasts.
    /// </summary>
    private async Task<bool> WaitToWriteAsync(TimeSpan limit, CancellationToken senderToken)
    {
        while (true)
        {
            using var timeout = new CancellationTokenSource(limit, _context.Time);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, senderToken);
            try
            {
                await _writeLock.WaitAsync(wait.Token).ConfigureAwait(false);
                return true;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !senderToken.IsCancellationRequested)
            {
                if (_context.Time.GetElapsedTime(Volatile.Read(ref _lastTaken)) >= limit)
                {
                    return false;
                }
            }
        }
    }

    /// <summary>Ends a member that does not take its frames: its socket closes and its loop leaves the room (MemberLeft).</summary>
    private void DisconnectSlow()
    {
        if (Interlocked.Exchange(ref _slow, 1) != 0)
        {
            return;
        }

        Room? room;
        byte id;
        lock (_gate)
        {
            room = _room;
            id = _memberId;
        }

        _context.Metrics.SlowMemberDisconnected();
        _context.Write($"relay: member {id} of room {room?.Nameplate} took no frame for {Describe(_context.Options.SlowMemberTimeout)}; disconnecting it");
        CancelControl();
        CloseSocket();
    }

    private void CancelControl()
    {
        try
        {
            _controlCts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The session already ended.
        }
    }
}
