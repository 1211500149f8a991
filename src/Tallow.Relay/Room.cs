// A room (DESIGN.md §3, §5.3–5.4): created by Allocate, completed by one Claim (capacity 2), or a
// chat room (capacity ≥ 3, docs/protocol.md "Chat rooms") whose members are in Routing.
// Invariants: the nameplate stays reserved until the room is closed, so a third peer sees
// RoomFull, not NoSuchRoom; once closed a room never reopens; Close() is idempotent and closes
// both members' sockets; a paired room ends when both directions reached EOF, or at once on an
// error or the idle timeout; a chat room counts as paired from its first joiner on and ends when
// its last member left or on the idle timeout.
namespace Tallow.Relay;

internal sealed class Room
{
    private readonly TimeProvider _time;
    private long _lastActivity;
    private int _directionsEnded;
    private int _closed;
    private ITimer? _timer;

    public Room(uint nameplate, RelaySession creator, TimeProvider time, RoutingRoom? routing = null)
    {
        Nameplate = nameplate;
        Creator = creator;
        Routing = routing;
        _time = time;
        _lastActivity = time.GetTimestamp();
    }

    public uint Nameplate { get; }

    public RelaySession Creator { get; }

    /// <summary>Set under the registry lock when the room becomes complete.</summary>
    public RelaySession? Joiner { get; set; }

    /// <summary>The member table of a chat room; null for a pair.</summary>
    public RoutingRoom? Routing { get; }

    /// <summary>A pair with its joiner, or a chat room that admitted its first joiner (it no longer counts as waiting).</summary>
    public bool IsPaired => Joiner is not null || Routing?.AnyJoined == true;

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Any byte in either direction resets the idle timeout.</summary>
    public void Touch() => Volatile.Write(ref _lastActivity, _time.GetTimestamp());

    /// <summary>Starts the timer for the current phase (unpaired wait, then idle); replaces the previous one.</summary>
    public void StartTimer(TimeSpan due, TimerCallback callback)
    {
        ITimer timer = _time.CreateTimer(callback, this, due, Timeout.InfiniteTimeSpan);
        Interlocked.Exchange(ref _timer, timer)?.Dispose();
        if (IsClosed)
        {
            timer.Dispose();
        }
    }

    public void RescheduleTimer(TimeSpan due) => Volatile.Read(ref _timer)?.Change(due, Timeout.InfiniteTimeSpan);

    public TimeSpan IdleFor => _time.GetElapsedTime(Volatile.Read(ref _lastActivity));

    /// <summary>One member's direction reached EOF and was passed on; true once both have.</summary>
    public bool DirectionEnded() => Interlocked.Increment(ref _directionsEnded) >= 2;

    /// <summary>Marks the room closed; returns true for the one caller that closed it.</summary>
    public bool MarkClosed()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return false;
        }

        Interlocked.Exchange(ref _timer, null)?.Dispose();
        return true;
    }
}
