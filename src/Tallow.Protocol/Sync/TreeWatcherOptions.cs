// Tuning of the tree watcher behind `tallow watch` (TreeWatcher.cs). The defaults follow Syncthing's
// watcher: a second of quiet gathers an editor's save or a `git checkout` into one batch, ten seconds
// bound the wait under a constant stream of events, and a full rescan every few minutes (jittered so
// many watchers started together do not walk their disks in step) catches what inotify cannot see.
namespace Tallow.Protocol.Sync;

public sealed record TreeWatcherOptions
{
    /// <summary>Quiet time after the last event before a batch goes out; also how long a path's size and mtime must stay unchanged before it is reported.</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Under a constant stream of events, paths that finished changing still go out this often.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Periodic full rescan (<see cref="Timeout.InfiniteTimeSpan"/>: never) ...</summary>
    public TimeSpan RescanInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>... ± this fraction of it, randomised each time (0 ≤ jitter &lt; 1).</summary>
    public double RescanJitter { get; init; } = 0.2;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Relative path ('/'-separated) → leave it (and, for a folder, everything under it) out, e.g. ".tallow-sync".</summary>
    public Func<string, bool>? Exclude { get; init; }

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Time);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Debounce, TimeSpan.Zero, nameof(Debounce));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, Debounce, nameof(MaxDelay));
        if (RescanInterval != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RescanInterval, TimeSpan.Zero, nameof(RescanInterval));
        }

        if (!(RescanJitter >= 0 && RescanJitter < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(RescanJitter), RescanJitter, "must be at least 0 and less than 1");
        }
    }
}
