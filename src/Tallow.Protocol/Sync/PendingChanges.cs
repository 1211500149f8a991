// The debounce rules of TreeWatcher: which changed paths are ready to report, and when to look again.
// No threads and no clock of its own: every call is given the time, so the rules are exact in tests.
//
// A path is ready when its state (type, permissions, size, mtime — or its absence), as seen by a
// fresh lstat, has stayed the same, with no event for it, for at least Debounce. A batch is cut
//   - when no event at all has arrived for Debounce (the tree went quiet), or
//   - MaxDelay after the oldest waiting path, so a constant stream of events (a log file, a build)
//     cannot hold back paths that finished changing long ago, or
//   - when a path held back at the last cut is due to be ready.
// At a cut only ready paths go out; the rest stay pending. So a file whose size or mtime changed in
// the last Debounce is never reported: a file written without a pause of Debounce is reported once
// its writer pauses, never half-written (the receiver would get a torn copy, then the file again).
namespace Tallow.Protocol.Sync;

/// <summary>Reads a path's state: false when it cannot be known (not the same as gone, which is true with null).</summary>
internal delegate bool EntryReader(string path, out EntryState? state);

internal sealed class PendingChanges
{
    private sealed class Pending
    {
        public EntryState? Seen;
        public TimeSpan SeenSince;
        public TimeSpan LastEvent;

        public TimeSpan ReadyAt(TimeSpan debounce) => (LastEvent > SeenSince ? LastEvent : SeenSince) + debounce;
    }

    private readonly TimeSpan _debounce;
    private readonly TimeSpan _maxDelay;
    private readonly Dictionary<string, Pending> _paths = new(StringComparer.Ordinal);
    private TimeSpan _lastEvent;
    private bool _quietArmed;       // an event (or a requested flush) since the last cut
    private TimeSpan? _windowStart; // since when the oldest pending path has waited (reset at each cut)
    private TimeSpan? _recheckAt;   // when the earliest path held back at the last cut becomes ready

    public PendingChanges(TimeSpan debounce, TimeSpan maxDelay)
    {
        _debounce = debounce;
        _maxDelay = maxDelay;
    }

    public int Count => _paths.Count;

    public bool Contains(string path) => _paths.ContainsKey(path);

    /// <summary>An event for <paramref name="path"/> at <paramref name="at"/>, whose state then was <paramref name="seen"/> (null: absent or unknown).</summary>
    public void Record(string path, EntryState? seen, TimeSpan at)
    {
        if (_paths.TryGetValue(path, out Pending? pending))
        {
            if (!EntryState.Same(pending.Seen, seen))
            {
                pending.Seen = seen;
                pending.SeenSince = at > pending.SeenSince ? at : pending.SeenSince;
            }

            pending.LastEvent = at > pending.LastEvent ? at : pending.LastEvent;
        }
        else
        {
            _paths.Add(path, new Pending { Seen = seen, SeenSince = at, LastEvent = at });
        }

        ArmCut(at);
    }

    /// <summary>Asks for a cut once <paramref name="at"/> + Debounce has passed quietly, even with no path pending.</summary>
    public void ArmCut(TimeSpan at)
    {
        _lastEvent = at > _lastEvent ? at : _lastEvent;
        _quietArmed = true;
        _windowStart ??= at;
    }

    /// <summary>When the next cut is due, or null when nothing waits.</summary>
    public TimeSpan? NextCut
    {
        get
        {
            TimeSpan? due = _quietArmed ? _lastEvent + _debounce : null;
            if (_paths.Count > 0)
            {
                due = Earliest(due, _windowStart + _maxDelay);
                due = Earliest(due, _recheckAt);
            }

            return due;
        }
    }

    public bool IsCutDue(TimeSpan now) => NextCut is { } due && now >= due;

    /// <summary>
    /// Cuts a batch: re-reads every pending path and removes and returns those ready at
    /// <paramref name="now"/>, with their state now (null: gone). Paths that cannot be read are dropped
    /// (their state is unknown; the periodic rescan looks again).
    /// </summary>
    public List<(string Path, EntryState? State)> TakeReady(TimeSpan now, EntryReader read)
    {
        var ready = new List<(string, EntryState?)>();
        var unreadable = new List<string>();
        TimeSpan? recheck = null;
        foreach ((string path, Pending pending) in _paths)
        {
            if (!read(path, out EntryState? state))
            {
                unreadable.Add(path);
                continue;
            }

            if (!EntryState.Same(state, pending.Seen))
            {
                pending.Seen = state; // changed without an event (mmap, network file system, a late event)
                pending.SeenSince = now;
            }

            TimeSpan readyAt = pending.ReadyAt(_debounce);
            if (now >= readyAt)
            {
                ready.Add((path, state));
            }
            else
            {
                recheck = Earliest(recheck, readyAt);
            }
        }

        foreach ((string path, _) in ready)
        {
            _paths.Remove(path);
        }

        foreach (string path in unreadable)
        {
            _paths.Remove(path);
        }

        _quietArmed = false;
        _windowStart = _paths.Count > 0 ? now : null;
        _recheckAt = recheck;
        return ready;
    }

    private static TimeSpan? Earliest(TimeSpan? a, TimeSpan? b) =>
        a is null ? b : b is null ? a : a < b ? a : b;
}
