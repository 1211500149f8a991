// Room phase of a relay session (DESIGN.md §5.3–5.5): Allocate/Claim, the unpaired and idle
// timers, releasing a room when its creator leaves, and the per-address limits of this phase
// (waiting rooms per address in RoomRegistry; failed claims and the block in FailedClaimLimiter). Frame order per connection is
// guaranteed by _writeLock: a creator always receives Opened before Paired, and a joiner
// receives Opened and Paired before any spliced byte (its partner only starts sending after
// its own Paired, which is written after the joiner's). Chat rooms (capacity ≥ 3) are opened and
// joined here too; what is particular to them is in RelaySession.Members.cs.
using Tallow.Wire;

namespace Tallow.Relay;

internal sealed partial class RelaySession
{
    private async ValueTask<Refusal?> OnAllocateAsync(ReadOnlyMemory<byte> payload)
    {
        if (!AllocateMessage.TryParse(payload.Span, out AllocateMessage allocate))
        {
            return new Refusal(RelayErrorCode.BadRequest, "malformed Allocate", RelayRejectionReason.BadRequest);
        }

        if (allocate.Capacity > _context.Options.MaxRoomMembers)
        {
            return new Refusal(RelayErrorCode.BadRequest, _context.Options.MaxRoomMembers < RoomProtocol.MinCapacity
                ? "this relay serves no chat rooms (only two peers per code): use another relay"
                : $"this relay allows chat rooms of at most {_context.Options.MaxRoomMembers} members, not {allocate.Capacity}: ask for fewer",
                RelayRejectionReason.RoomCapacity);
        }

        // Hold our write lock across allocation and Opened so a Paired caused by a fast claim
        // (written by the joiner's loop) cannot overtake Opened.
        await _writeLock.WaitAsync(_context.Shutdown).ConfigureAwait(false);
        try
        {
            AllocateStatus status = _context.Rooms.TryAllocate(this, allocate.RequestedNameplate, allocate.Capacity, out Room? room);
            if (status == AllocateStatus.NameplateInUse)
            {
                return new Refusal(RelayErrorCode.NameplateInUse,
                    $"the code number {allocate.RequestedNameplate} is already in use: pick another code", RelayRejectionReason.NameplateInUse);
            }

            if (status == AllocateStatus.TooManyRooms)
            {
                return new Refusal(RelayErrorCode.TooManyRooms, "the relay has too many open rooms: try again later", RelayRejectionReason.TooManyRooms);
            }

            if (status == AllocateStatus.AddressRoomLimit)
            {
                return new Refusal(RelayErrorCode.TooManyRooms,
                    $"too many rooms from your address are waiting for their peer (at most {_context.Options.MaxUnpairedRoomsPerAddress}): retry when some have paired",
                    RelayRejectionReason.AddressRoomLimit);
            }

            DisposeHelloTimer();
            byte[] opened = Frame.Encode(FrameType.Opened, Nameplate(room!.Nameplate));
            if (room.Routing is null)
            {
                _context.Write($"relay: {Remote} opened nameplate {room.Nameplate}");
                await _stream.WriteAsync(opened, _context.Shutdown).ConfigureAwait(false);
            }
            else
            {
                _context.Write($"relay: {Remote} opened nameplate {room.Nameplate} as a chat room for up to {room.Routing.Capacity} members; member 0");
                await _stream.WriteAsync((byte[])[.. opened, .. RoomMembersFrame(new RoomAdmission(0, []))], _context.Shutdown).ConfigureAwait(false);
            }

            return null;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async ValueTask<Refusal?> OnClaimAsync(ReadOnlyMemory<byte> payload)
    {
        if (!NameplateMessage.TryParse(payload.Span, out NameplateMessage claim))
        {
            return new Refusal(RelayErrorCode.BadRequest, "malformed Claim", RelayRejectionReason.BadRequest);
        }

        if (RefuseIfBlocked() is Refusal blocked)
        {
            return blocked;
        }

        // A chat room's membership announcements go out one change at a time (RelaySession.Members.cs).
        RoutingRoom? routing = _context.Rooms.Find(claim.Nameplate)?.Routing;
        if (routing is not null && !await EnterAnnouncementsAsync(routing, _controlCts.Token).ConfigureAwait(false))
        {
            return Volatile.Read(ref _abort) ?? ShuttingDown;
        }

        try
        {
            return await ClaimAsync(claim.Nameplate, routing).ConfigureAwait(false);
        }
        finally
        {
            routing?.Announcements.Release();
        }
    }

    /// <summary>Claims a pair's or a chat room's place (<paramref name="routing"/>: the chat room found, its announcements entered).</summary>
    private async ValueTask<Refusal?> ClaimAsync(uint nameplate, RoutingRoom? routing)
    {
        // Our write lock is held from admission until our own frames are out, so nothing another member
        // sends us (MemberJoined, Routed) can overtake a chat-room joiner's RoomMembers.
        await _writeLock.WaitAsync(_context.Shutdown).ConfigureAwait(false);
        Room? room;
        RoomAdmission admission;
        try
        {
            ClaimStatus status = _context.Rooms.TryClaim(this, nameplate, routing, out room, out admission);
            // A resumed room's joiner may come back before its creator: its claims of the permitted nameplate are not guesses.
            if (status is not (ClaimStatus.Paired or ClaimStatus.Joined) && !_context.Rooms.IsPermitted(nameplate))
            {
                RecordFailedAttempt();
            }

            if (ClaimRefusal(status, nameplate, routing) is Refusal refusal)
            {
                return refusal;
            }

            DisposeHelloTimer();
            byte[] opened = Frame.Encode(FrameType.Opened, Nameplate(nameplate));
            if (status == ClaimStatus.Joined)
            {
                _context.Write($"relay: {Remote} joined room {nameplate} as member {admission.Id}");
                await WriteJoinedAsync(opened, admission).ConfigureAwait(false);
            }
            else
            {
                _context.Write($"relay: {Remote} claimed nameplate {nameplate}; paired with {room!.Creator.Remote}");
                await _stream.WriteAsync((byte[])[.. opened, .. PairedFrame(1)], _context.Shutdown).ConfigureAwait(false);
            }
        }
        finally
        {
            _writeLock.Release();
        }

        if (routing is not null)
        {
            await BroadcastAsync(admission.Others, MemberIdFrame(FrameType.MemberJoined, admission.Id), _controlCts.Token).ConfigureAwait(false);
        }
        else
        {
            await room!.Creator.WriteAsync(PairedFrame(0), _context.Shutdown).ConfigureAwait(false);
        }

        return null;
    }

    /// <summary>The Error for a claim that was not admitted; <paramref name="routing"/> is the chat room claimed, if it was one.</summary>
    private static Refusal? ClaimRefusal(ClaimStatus status, uint nameplate, RoutingRoom? routing) => status switch
    {
        ClaimStatus.NoSuchRoom => new Refusal(RelayErrorCode.NoSuchRoom, $"no one is waiting with a code starting {nameplate}-", RelayRejectionReason.NoSuchRoom),
        ClaimStatus.RoomFull when routing is not null => new Refusal(RelayErrorCode.RoomFull,
            $"the chat room with the code starting {nameplate}- is full ({routing.Capacity} members): try again when someone has left", RelayRejectionReason.RoomFull),
        ClaimStatus.RoomFull => new Refusal(RelayErrorCode.RoomFull, $"the code starting {nameplate}- is already used by two peers", RelayRejectionReason.RoomFull),
        ClaimStatus.RoomClosed => new Refusal(RelayErrorCode.RoomFull, $"the chat room with the code starting {nameplate}- admits no one any more: ask for a new code", RelayRejectionReason.RoomFull),
        _ => null,
    };

    /// <summary>
    /// Error{RateLimited} while this address is blocked for failed claims (FailedClaimLimiter), else null.
    /// The text stays under ErrorMessage's 128 characters so the remaining time reaches the user.
    /// </summary>
    private Refusal? RefuseIfBlocked()
    {
        if (!_context.FailedClaims.IsBlocked(SourceKey, out TimeSpan remaining))
        {
            return null;
        }

        return new Refusal(RelayErrorCode.RateLimited,
            $"too many failed claims or passwords from your address: refused for another {Describe(remaining)}; check the code",
            RelayRejectionReason.ClaimsBlocked);
    }

    /// <summary>Counts a failed Claim or Auth of this address; the one that blocks it is counted and logged.</summary>
    private void RecordFailedAttempt()
    {
        if (_context.FailedClaims.RecordFailure(SourceKey))
        {
            _context.Metrics.AddressBlocked();
            FailedClaimLimiter limiter = _context.FailedClaims;
            _context.Write($"relay: {Remote.Address} failed {limiter.MaxFailures} claims or passwords within {Describe(limiter.Window)}; its claims are refused for {Describe(limiter.Block)}");
        }
    }

    /// <summary>Under the registry lock: the room exists now (a chat room: with us as member 0); its unpaired timer starts.</summary>
    public void OnAllocated(Room room)
    {
        lock (_gate)
        {
            _room = room;
            _state = room.Routing is null ? SessionState.Waiting : SessionState.Routing;
        }

        Volatile.Write(ref _lastTaken, _context.Time.GetTimestamp());

        room.StartTimer(_context.Options.UnpairedTimeout, static s => ((Room)s!).Creator.OnUnpairedTimeout((Room)s!));
    }

    /// <summary>Under the registry lock: the room is complete; the joiner's call starts the idle timer.</summary>
    public void OnPaired(Room room, RelaySession partner)
    {
        lock (_gate)
        {
            _room = room;
            _partner = partner;
            _state = SessionState.Spliced;
        }

        if (ReferenceEquals(room.Joiner, this))
        {
            StartIdleTimer(room);
        }
    }

    /// <summary>The room stopped waiting for its first peer: the idle timeout replaces the unpaired one.</summary>
    private void StartIdleTimer(Room room)
    {
        room.Touch();
        room.StartTimer(_context.Options.IdleTimeout, static s => ((Room)s!).Creator.OnIdleCheck((Room)s!));
    }

    private void OnUnpairedTimeout(Room room)
    {
        if (_context.Rooms.TryCloseUnpaired(room))
        {
            Abort(new Refusal(RelayErrorCode.Timeout,
                $"no one joined with the code starting {room.Nameplate}- within {Describe(_context.Options.UnpairedTimeout)}: start again with a new code",
                RelayRejectionReason.UnpairedTimeout));
        }
    }

    private void OnIdleCheck(Room room)
    {
        if (room.IsClosed)
        {
            return;
        }

        TimeSpan idle = room.IdleFor;
        TimeSpan limit = _context.Options.IdleTimeout;
        if (idle < limit)
        {
            room.RescheduleTimer(limit - idle);
            return;
        }

        _context.Metrics.Rejected(RelayRejectionReason.IdleTimeout);
        _context.Write($"relay: nameplate {room.Nameplate} idle for {Describe(limit)}; closing it");
        CloseRoom(room);
    }

    /// <summary>The client left or was refused: free an unpaired room, or end a paired one.</summary>
    private void ReleaseRoom()
    {
        Room? room;
        lock (_gate)
        {
            room = _room;
        }

        if (room is null)
        {
            return;
        }

        if (room.Routing is not null)
        {
            _ = LeaveRoomAsync(room); // never throws; a no-op when the routing loop already left
            return;
        }

        if (_context.Rooms.TryCloseUnpaired(room))
        {
            _context.Write($"relay: nameplate {room.Nameplate} freed (creator left)");
        }
        else
        {
            CloseRoom(room);
        }
    }

    private void CloseRoom(Room room)
    {
        if (_context.Rooms.Close(room))
        {
            _context.Write($"relay: nameplate {room.Nameplate} closed");
        }

        room.Creator.CloseSocket();
        room.Joiner?.CloseSocket();
        foreach ((_, RelaySession member) in room.Routing?.Members() ?? [])
        {
            member.CloseSocket();
        }
    }

    private static byte[] PairedFrame(byte index)
    {
        byte[] payload = new byte[PairedMessage.Size];
        new PairedMessage(2, index).Write(payload);
        return Frame.Encode(FrameType.Paired, payload);
    }

    private static byte[] Nameplate(uint nameplate)
    {
        byte[] payload = new byte[NameplateMessage.Size];
        new NameplateMessage(nameplate).Write(payload);
        return payload;
    }
}
