// Nameplate → room table (DESIGN.md §3, §5.3). One lock guards every transition
// (allocate, claim/pair, expire, close) so a claim and an unpaired timeout cannot both win.
// It also counts each creator address's waiting rooms: counted at allocation, given back once,
// when the room pairs (a chat room: admits its first joiner) or when it closes unpaired. Chat-room
// members join and leave under the same lock, so the last member leaving and a claim cannot race.
using Tallow.Wire;

namespace Tallow.Relay;

internal enum AllocateStatus
{
    Opened,
    NameplateInUse,
    TooManyRooms,

    /// <summary>The creator's address already holds RelayOptions.MaxUnpairedRoomsPerAddress waiting rooms.</summary>
    AddressRoomLimit,
}

internal enum ClaimStatus
{
    Paired,

    /// <summary>Admitted to a chat room (RoutingRoom).</summary>
    Joined,
    NoSuchRoom,
    RoomFull,

    /// <summary>A chat room that admits no one any more (RoomClose, or every id used).</summary>
    RoomClosed,
}

/// <summary>A chat-room member's id and the members that were in the room when it was admitted.</summary>
internal readonly record struct RoomAdmission(byte Id, (byte Id, RelaySession Session)[] Others);

internal sealed class RoomRegistry
{
    private readonly Dictionary<uint, Room> _rooms = [];
    private readonly int _maxRooms;
    private readonly bool _singleRoom;
    private bool _anyOpened;
    private uint[] _permitted = [];
    private readonly AddressCounter _unpairedByAddress;
    private readonly RelayMetrics _metrics;
    private readonly TimeProvider _time;

    public RoomRegistry(int maxRooms, AddressCounter unpairedByAddress, RelayMetrics metrics, TimeProvider time, bool singleRoom = false)
    {
        _maxRooms = maxRooms;
        _singleRoom = singleRoom;
        _unpairedByAddress = unpairedByAddress;
        _metrics = metrics;
        _time = time;
    }

    public int Count
    {
        get
        {
            lock (_rooms)
            {
                return _rooms.Count;
            }
        }
    }

    /// <summary>
    /// Creates a room; <paramref name="requested"/> 0 takes the smallest free nameplate ≥ 1. A capacity of
    /// RoomProtocol.MinCapacity or more makes a chat room with the creator as member 0.
    /// </summary>
    public AllocateStatus TryAllocate(RelaySession creator, uint requested, int capacity, out Room? room)
    {
        room = null;
        lock (_rooms)
        {
            bool spent = _singleRoom && _anyOpened && !IsPermittedLocked(requested);
            if (_rooms.Count >= _maxRooms || spent)
            {
                return AllocateStatus.TooManyRooms;
            }

            uint nameplate = requested;
            if (nameplate == 0)
            {
                // Linear scan: at most MaxRooms + 1 probes (10 001 by default), a few µs, and it keeps
                // codes short by always reusing the smallest number.
                nameplate = 1;
                while (_rooms.ContainsKey(nameplate))
                {
                    nameplate++;
                }
            }
            else if (_rooms.ContainsKey(nameplate))
            {
                return AllocateStatus.NameplateInUse;
            }

            if (!_unpairedByAddress.TryAcquire(creator.SourceKey))
            {
                return AllocateStatus.AddressRoomLimit;
            }

            RoutingRoom? routing = capacity >= RoomProtocol.MinCapacity ? new RoutingRoom(capacity) : null;
            room = new Room(nameplate, creator, _time, routing);
            _rooms.Add(nameplate, room);
            _anyOpened = true;
            _metrics.RoomOpened();
            if (routing is not null)
            {
                routing.TryAdmit(creator, out _, out _); // id 0 of an empty room
                _metrics.RoutingRoomOpened();
                _metrics.MemberJoined();
            }

            creator.OnAllocated(room);
            return AllocateStatus.Opened;
        }
    }

    /// <summary>
    /// On a single-room relay: later Allocates that request exactly one of <paramref name="nameplates"/>
    /// are served again (the owner's session resuming, its nameplates derived from secrets; two while
    /// it is unsure which one its peer holds); replaces an earlier permission. The other limits still apply.
    /// </summary>
    public void PermitNameplates(ReadOnlySpan<uint> nameplates)
    {
        uint[] permitted = [.. nameplates];
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitted.Length, 2, nameof(nameplates));
        lock (_rooms)
        {
            _permitted = permitted;
        }
    }

    /// <summary>True for a nameplate PermitNameplates allowed (never 0): its failed claims are the owner's peer coming back early.</summary>
    public bool IsPermitted(uint nameplate)
    {
        lock (_rooms)
        {
            return IsPermittedLocked(nameplate);
        }
    }

    private bool IsPermittedLocked(uint nameplate) => nameplate != 0 && Array.IndexOf(_permitted, nameplate) >= 0;

    /// <summary>The open room holding <paramref name="nameplate"/>, or null.</summary>
    public Room? Find(uint nameplate)
    {
        lock (_rooms)
        {
            return _rooms.TryGetValue(nameplate, out Room? room) && !room.IsClosed ? room : null;
        }
    }

    /// <summary>
    /// Joins a waiting room; on success both sessions are switched to splicing before the lock is released.
    /// A chat room admits the joiner as its next member instead (<paramref name="admission"/>).
    /// </summary>
    public ClaimStatus TryClaim(RelaySession joiner, uint nameplate, RoutingRoom? expected, out Room? room, out RoomAdmission admission)
    {
        admission = default;
        lock (_rooms)
        {
            // `expected`: the chat room (or null: a pair) the caller found by Find; the nameplate may have changed hands since.
            if (!_rooms.TryGetValue(nameplate, out room) || room.IsClosed || room.Routing != expected)
            {
                room = null;
                return ClaimStatus.NoSuchRoom;
            }

            if (room.Routing is RoutingRoom routing)
            {
                return Admit(joiner, room, routing, out admission);
            }

            if (room.IsPaired)
            {
                room = null;
                return ClaimStatus.RoomFull;
            }

            room.Joiner = joiner;
            _unpairedByAddress.Release(room.Creator.SourceKey);
            room.Creator.OnPaired(room, joiner);
            joiner.OnPaired(room, room.Creator);
            _metrics.Paired();
            return ClaimStatus.Paired;
        }
    }

    private ClaimStatus Admit(RelaySession joiner, Room room, RoutingRoom routing, out RoomAdmission admission)
    {
        admission = default;
        bool wasWaiting = !routing.AnyJoined;
        if (!routing.TryAdmit(joiner, out byte id, out (byte, RelaySession)[] others))
        {
            return routing.IsFull ? ClaimStatus.RoomFull : ClaimStatus.RoomClosed;
        }

        if (wasWaiting)
        {
            _unpairedByAddress.Release(room.Creator.SourceKey);
        }

        _metrics.MemberJoined();
        joiner.OnJoined(room, id, first: wasWaiting);
        admission = new RoomAdmission(id, others);
        return ClaimStatus.Joined;
    }

    /// <summary>
    /// Takes <paramref name="member"/> (id <paramref name="id"/>) out of its chat room; the room closes with its
    /// last member (<paramref name="closed"/>). False if it was no longer a member.
    /// </summary>
    public bool Leave(Room room, RelaySession member, byte id, out (byte Id, RelaySession Session)[] remaining, out bool closed)
    {
        closed = false;
        lock (_rooms)
        {
            if (!room.Routing!.TryRemove(id, member, out remaining))
            {
                return false;
            }

            _metrics.MemberLeft();
            if (remaining.Length == 0)
            {
                closed = Remove(room);
            }

            return true;
        }
    }

    /// <summary>Closes a room that is still unpaired (creator left or timed out). False if it was paired meanwhile.</summary>
    public bool TryCloseUnpaired(Room room)
    {
        lock (_rooms)
        {
            if (room.IsPaired)
            {
                return false;
            }

            Remove(room);
            return true;
        }
    }

    /// <summary>Frees the nameplate of a room (paired or not). Idempotent; true for the call that closed it.</summary>
    public bool Close(Room room)
    {
        lock (_rooms)
        {
            return Remove(room);
        }
    }

    private bool Remove(Room room)
    {
        if (!room.MarkClosed())
        {
            return false;
        }

        _rooms.Remove(room.Nameplate);
        if (!room.IsPaired)
        {
            _unpairedByAddress.Release(room.Creator.SourceKey);
        }

        _metrics.RoomClosed();
        if (room.Routing is not null)
        {
            _metrics.RoutingRoomClosed();
        }

        return true;
    }
}
