// The tree watcher's background loop: the only code that touches _known (what the consumer has been
// told: the initial snapshot plus every batch since) and _pending. It sleeps until an event arrives,
// a cut is due or a rescan is due; all waits go through options.Time.
//   event       → lstat the path, record it; a folder that appeared is walked, its entries recorded
//   cut         → take the ready paths; a folder that changed, appeared or went is reconciled with
//                 the disk (entries under a renamed or deleted folder are reported gone; entries a new
//                 folder got before its inotify watch existed are found); publish
//   rescan      → walk the whole tree, compare with _known; differences no event explained become
//                 pending (reported once stable) and mark the next batch FullRescan
//   lost track  → an immediate rescan (and another one MaxDelay later), and a FullRescan batch even
//                 if it finds nothing
namespace Tallow.Protocol.Sync;

public sealed partial class TreeWatcher
{
    private static readonly TimeSpan MaxSleep = TimeSpan.FromDays(1); // Task.Delay's limit is ~49 days
    private static readonly TimeSpan ClockSlack = TimeSpan.FromMilliseconds(5);

    private readonly PendingChanges _pending;
    private Dictionary<string, EntryState> _known = new(StringComparer.Ordinal);
    private TimeSpan _nextRescan;
    private bool _rescanFound;  // the next batch carries FullRescan
    private bool _mustPublish;  // ... and goes out even if empty (the watcher lost track)

    private async Task RunAsync(CancellationToken stop)
    {
        Task<bool>? eventArrived = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                DrainEvents();
                if (Interlocked.Exchange(ref _lostTrack, 0) == 1)
                {
                    Rescan(afterLosingTrack: true);
                }
                else if (Now >= _nextRescan)
                {
                    Rescan(afterLosingTrack: false);
                }

                if (_pending.IsCutDue(Now))
                {
                    Cut(Now);
                }

                TimeSpan wake = _pending.NextCut is { } cut && cut < _nextRescan ? cut : _nextRescan;
                TimeSpan before = Now;
                TimeSpan delay = wake == TimeSpan.MaxValue ? Timeout.InfiniteTimeSpan : Min(wake - before, MaxSleep);
                if (delay != Timeout.InfiniteTimeSpan && delay <= TimeSpan.Zero)
                {
                    continue;
                }

                eventArrived ??= _events.Reader.WaitToReadAsync(stop).AsTask();
                if (!eventArrived.IsCompleted)
                {
                    using var sleep = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    Task timer = Task.Delay(delay, _time, sleep.Token);
                    if (Now - before > ClockSlack)
                    {
                        // The clock moved on between reading it and setting the timer (a stalled thread, a
                        // test clock advanced): the timer would fire that much late. Set it again.
                        await sleep.CancelAsync().ConfigureAwait(false);
                        continue;
                    }

                    await Task.WhenAny(eventArrived, timer).ConfigureAwait(false);
                    await sleep.CancelAsync().ConfigureAwait(false);
                }

                if (eventArrived.IsCompleted)
                {
                    if (eventArrived.IsCanceled || !await eventArrived.ConfigureAwait(false))
                    {
                        return; // disposed
                    }

                    eventArrived = null;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Fail(ex); // unexpected: the consumer learns that watching stopped instead of waiting forever
        }
    }

    /// <summary>Records every queued event: one lstat per distinct path, a walk for each folder that appeared.</summary>
    private void DrainEvents()
    {
        var latest = new Dictionary<string, (bool Appeared, TimeSpan At)>(StringComparer.Ordinal);
        for (int taken = 0; taken < EventQueueCapacity && _events.Reader.TryRead(out WatchEvent e); taken++)
        {
            if (e.Path is null)
            {
                continue;
            }

            if (latest.TryGetValue(e.Path, out var seen))
            {
                latest[e.Path] = (seen.Appeared || e.Appeared, e.At > seen.At ? e.At : seen.At);
            }
            else if (!TreeSnapshot.IsExcluded(_options.Exclude, e.Path))
            {
                latest.Add(e.Path, (e.Appeared, e.At));
            }
        }

        foreach ((string path, (bool appeared, TimeSpan at)) in latest)
        {
            ReadEntry(path, out EntryState? state);
            _pending.Record(path, state, at);
            if (appeared && state is { Kind: EntryKind.Directory })
            {
                // Created or moved in: what it already holds raised no event (for a move, ever).
                TreeSnapshot inside = TreeSnapshot.Walk(_root, path, _options.Exclude);
                foreach ((string child, EntryState childState) in inside.Entries)
                {
                    _pending.Record(child, childState, at);
                }
            }
        }
    }

    /// <summary>Walks the whole tree; what differs from _known and is not already pending was missed by the events.</summary>
    private void Rescan(bool afterLosingTrack)
    {
        TreeSnapshot fresh = TreeSnapshot.Walk(_root, string.Empty, _options.Exclude);
        DrainEvents(); // a change during the walk that raised an event is pending, not "missed"
        TimeSpan now = Now;
        foreach ((string path, EntryState? state) in fresh.Differences(_known, [string.Empty]))
        {
            if (!_pending.Contains(path))
            {
                _pending.Record(path, state, now);
                _rescanFound = true;
            }
        }

        _nextRescan = NextRescanFrom(now);
        if (afterLosingTrack)
        {
            _rescanFound = true;
            _mustPublish = true;
            _pending.ArmCut(now);

            // On Linux .NET restarts its (process-wide) inotify instance after an overflow, re-adding a watch
            // per folder while this walk may already be running: a change in that window raised no event and
            // may have been passed by the walk. One more walk soon after closes the window.
            TimeSpan again = now + _options.MaxDelay;
            _nextRescan = again < _nextRescan ? again : _nextRescan;
        }
    }

    /// <summary>Cuts a batch: ready paths, reconciled with the disk under folders that changed, to the consumer.</summary>
    private void Cut(TimeSpan now)
    {
        var changed = new List<string>();
        var folders = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string path, EntryState? state) in _pending.TakeReady(now, ReadEntry))
        {
            bool had = _known.TryGetValue(path, out EntryState old);
            if (!had && state is null)
            {
                continue; // appeared and went between two batches: the consumer never knew it
            }

            changed.Add(path);
            if ((had && old.Kind == EntryKind.Directory) || state is { Kind: EntryKind.Directory })
            {
                folders.Add(path);
            }

            if (state is { } present)
            {
                _known[path] = present;
            }
            else
            {
                _known.Remove(path);
            }
        }

        if (folders.Count > 0)
        {
            ReconcileFolders(folders, now, changed);
        }

        if (changed.Count > 0 || _mustPublish)
        {
            Publish(changed, _rescanFound);
            _rescanFound = false;
            _mustPublish = false;
        }
    }

    /// <summary>
    /// Under each folder that appeared, went, was renamed or changed: entries _known still lists that are
    /// gone go out now (a rename or delete of a folder raises one event, not one per entry); entries on
    /// disk that no event announced are recorded and go out once stable.
    /// </summary>
    private void ReconcileFolders(HashSet<string> folders, TimeSpan now, List<string> changed)
    {
        var tops = new HashSet<string>(folders.Where(f => !TreeSnapshot.HasAncestorIn(f, folders)), StringComparer.Ordinal);
        var fresh = new TreeSnapshot();
        foreach (string top in tops)
        {
            if (_known.TryGetValue(top, out EntryState state) && state.Kind == EntryKind.Directory)
            {
                fresh.AddWalk(_root, top, _options.Exclude);
            }
        }

        foreach ((string path, EntryState? state) in fresh.Differences(_known, tops))
        {
            if (_pending.Contains(path))
            {
                continue;
            }

            if (state is null)
            {
                changed.Add(path);
                _known.Remove(path);
            }
            else
            {
                _pending.Record(path, state, now);
            }
        }
    }

    private bool ReadEntry(string path, out EntryState? state)
    {
        switch (EntryState.Read(TreeSnapshot.FullPath(_root, path), out EntryState found))
        {
            case Transfer.NativePath.StatResult.Found:
                state = found;
                return true;
            case Transfer.NativePath.StatResult.Missing:
                state = null;
                return true;
            default:
                state = null;
                return false;
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private TimeSpan NextRescanFrom(TimeSpan now)
    {
        if (_options.RescanInterval == Timeout.InfiniteTimeSpan)
        {
            return TimeSpan.MaxValue;
        }

        double factor = 1 + (_options.RescanJitter * ((2 * Random.Shared.NextDouble()) - 1));
        return now + (_options.RescanInterval * factor);
    }
}
