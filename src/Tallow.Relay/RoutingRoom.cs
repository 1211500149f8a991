// The member table of a chat (routing) room (docs/protocol.md "Chat rooms"): which session holds
// which id, whether the room still admits, and how many may join. Ids are u8, 0 is the creator,
// handed out in order and never reused; once id 255 was given the room admits no one. Membership
// changes are made by RoomRegistry under its lock (so a claim and the last member leaving cannot
// race); the members' read loops look ids up concurrently under this table's own lock.
// Announcements serialises the membership frames (MemberJoined, MemberLeft, RoomClose) so every
// member sees the changes in the order they happened.
namespace Tallow.Relay;

internal sealed class RoutingRoom
{
    private readonly RelaySession?[] _members = new RelaySession?[byte.MaxValue + 1];
    private readonly Lock _gate = new();
    private int _nextId;
    private int _count;
    private bool _admitting = true;
    private bool _anyJoined;

    public RoutingRoom(int capacity) => Capacity = capacity;

    /// <summary>Held by whoever admits or removes a member until its announcement was delivered to every member.</summary>
    public SemaphoreSlim Announcements { get; } = new(1, 1);

    /// <summary>Most members at once (the Allocate's capacity).</summary>
    public int Capacity { get; }

    /// <summary>True once a member other than the creator was admitted: the room no longer waits for its first peer.</summary>
    public bool AnyJoined
    {
        get
        {
            lock (_gate)
            {
                return _anyJoined;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>Admits <paramref name="member"/> with the next id; <paramref name="others"/> are the members already in.</summary>
    public bool TryAdmit(RelaySession member, out byte id, out (byte Id, RelaySession Session)[] others)
    {
        lock (_gate)
        {
            id = 0;
            others = [];
            if (!_admitting || _count >= Capacity || _nextId > byte.MaxValue)
            {
                return false;
            }

            others = SnapshotLocked();
            id = (byte)_nextId++;
            _members[id] = member;
            _count++;
            _anyJoined |= id != 0;
            return true;
        }
    }

    /// <summary>Why TryAdmit refused: false when the room was closed to new members (RoomClose or ids exhausted), true when full.</summary>
    public bool IsFull
    {
        get
        {
            lock (_gate)
            {
                return _admitting && _nextId <= byte.MaxValue;
            }
        }
    }

    /// <summary>The member holding <paramref name="id"/>, or null.</summary>
    public RelaySession? Find(byte id)
    {
        lock (_gate)
        {
            return _members[id];
        }
    }

    /// <summary>Removes <paramref name="member"/> (if it still holds <paramref name="id"/>); <paramref name="remaining"/> are the others.</summary>
    public bool TryRemove(byte id, RelaySession member, out (byte Id, RelaySession Session)[] remaining)
    {
        lock (_gate)
        {
            remaining = [];
            if (!ReferenceEquals(_members[id], member))
            {
                return false;
            }

            _members[id] = null;
            _count--;
            remaining = SnapshotLocked();
            return true;
        }
    }

    /// <summary>Stops admissions; true for the call that stopped them.</summary>
    public bool StopAdmitting()
    {
        lock (_gate)
        {
            bool was = _admitting;
            _admitting = false;
            return was;
        }
    }

    /// <summary>Every member now.</summary>
    public (byte Id, RelaySession Session)[] Members()
    {
        lock (_gate)
        {
            return SnapshotLocked();
        }
    }

    private (byte Id, RelaySession Session)[] SnapshotLocked()
    {
        var members = new (byte, RelaySession)[_count];
        int n = 0;
        for (int id = 0; id < _nextId; id++)
        {
            if (_members[id] is RelaySession session)
            {
                members[n++] = ((byte)id, session);
            }
        }

        return members;
    }
}
