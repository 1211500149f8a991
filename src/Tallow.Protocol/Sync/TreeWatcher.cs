// Watches a folder tree for `tallow watch` and hands out batches of changed paths (ChangeBatch).
// One recursive FileSystemWatcher (inotify on Linux; .NET adds a watch for each folder, including
// folders created later) feeds a bounded queue; one background loop (TreeWatcher.Loop.cs) owns all
// state: it stats each changed path, scans folders that appear (whatever was created in them before
// their watch existed), applies the debounce rules (PendingChanges.cs), walks the whole tree every
// RescanInterval ± jitter and after an overflow, and publishes batches here. Batches the consumer has
// not taken yet are merged, so nothing is lost and memory stays bounded by the tree's size.
// Invariants: FileSystemWatcher threads only enqueue; NextBatchAsync has one consumer; no busy loop.
using System.Threading.Channels;

namespace Tallow.Protocol.Sync;

public sealed partial class TreeWatcher : IAsyncDisposable
{
    // On Linux, .NET reads one process-wide inotify instance on its own thread into an unbounded queue
    // per watcher, so a slow handler cannot make the kernel queue (max_queued_events, 16,384 by
    // default) overflow; InternalBufferSize matters on Windows and macOS only. After a kernel overflow
    // .NET raises Error on every watcher and restarts inotify itself. Our own queue absorbs bursts while
    // the loop walks the tree; beyond it the watcher has lost track, which a full rescan repairs.
    private const int FileSystemWatcherBufferSize = 64 * 1024;
    private const int EventQueueCapacity = 65_536;

    private readonly string _root;
    private readonly TreeWatcherOptions _options;
    private readonly TimeProvider _time;
    private readonly Channel<WatchEvent> _events = Channel.CreateBounded<WatchEvent>(
        new BoundedChannelOptions(EventQueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new(); // guards the fields below it
    private readonly HashSet<string> _readyPaths = new(StringComparer.Ordinal);
    private bool _readyFullRescan;
    private TaskCompletionSource? _readySignal;
    private Exception? _failure;
    private int _state; // 0 created (or a failed Start), 1 started, 2 disposed
    private int _startCalled;

    private FileSystemWatcher? _watcher;
    private Task? _loop;
    private long _startTimestamp;
    private int _lostTrack; // set by the watcher's Error event or a full queue; cleared by the loop

    public TreeWatcher(string root, TreeWatcherOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        _options = options;
        _time = options.Time;
        _pending = new PendingChanges(options.Debounce, options.MaxDelay);
    }

    /// <summary>One event from the FileSystemWatcher: a relative path (null: only wakes the loop), whether it appeared (created or renamed to), when.</summary>
    private readonly record struct WatchEvent(string? Path, bool Appeared, TimeSpan At);

    /// <summary>Takes the initial snapshot and starts watching; events during the snapshot are not lost.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _state) == 2, this);
        if (Interlocked.Exchange(ref _startCalled, 1) != 0)
        {
            throw new InvalidOperationException("the tree watcher can be started once");
        }

        if (!Directory.Exists(_root))
        {
            throw new TallowException(FailureKind.FileSystem, $"'{_root}' is not a folder: check the path.");
        }

        _startTimestamp = _time.GetTimestamp();
        _watcher = new FileSystemWatcher(_root)
        {
            IncludeSubdirectories = true,
            InternalBufferSize = FileSystemWatcherBufferSize,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite
                | NotifyFilters.Size | NotifyFilters.Attributes, // Attributes: chmod and touch (IN_ATTRIB)
        };
        _watcher.Created += OnChanged;
        _watcher.Changed += OnChanged;
        _watcher.Deleted += OnChanged;
        _watcher.Renamed += OnRenamed;
        _watcher.Error += OnError;
        try
        {
            _watcher.EnableRaisingEvents = true; // before the walk: a change during it is then an event
            TreeSnapshot initial = TreeSnapshot.Walk(_root, string.Empty, _options.Exclude);
            if (initial.Unlisted.Contains(string.Empty))
            {
                throw new TallowException(FailureKind.FileSystem, $"cannot read the folder '{_root}': check its permissions.");
            }

            _known = initial.Entries;
        }
        catch
        {
            _watcher.Dispose();
            throw;
        }

        _nextRescan = NextRescanFrom(Now);
        lock (_gate)
        {
            if (_state == 2)
            {
                _watcher.Dispose(); // disposed while starting
                throw new ObjectDisposedException(nameof(TreeWatcher));
            }

            _state = 1;
            _loop = Task.Run(() => RunAsync(_stop.Token));
        }
    }

    /// <summary>Waits for the next batch (changed paths, or a full-rescan notice); batches not yet taken are merged.</summary>
    public async ValueTask<ChangeBatch> NextBatchAsync(CancellationToken ct)
    {
        while (true)
        {
            Task signal;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_state == 2, this);
                if (_state == 0)
                {
                    throw new InvalidOperationException("start the tree watcher first");
                }

                if (_readyPaths.Count > 0 || _readyFullRescan)
                {
                    string[] paths = [.. _readyPaths];
                    Array.Sort(paths, StringComparer.Ordinal);
                    var batch = new ChangeBatch(paths, _readyFullRescan);
                    _readyPaths.Clear();
                    _readyFullRescan = false;
                    return batch;
                }

                if (_failure is not null)
                {
                    throw new TallowException(FailureKind.FileSystem, $"watching '{_root}' stopped: {_failure.Message}", _failure);
                }

                _readySignal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                signal = _readySignal.Task;
            }

            await signal.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        TaskCompletionSource? signal;
        lock (_gate)
        {
            if (_state == 2)
            {
                return;
            }

            _state = 2;
            signal = _readySignal;
            _readySignal = null;
        }

        signal?.TrySetResult();
        if (_watcher is not null)
        {
            _watcher.EnableRaisingEvents = false;
            _watcher.Dispose();
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _events.Writer.TryComplete();
        Task? loop;
        lock (_gate)
        {
            loop = _loop;
        }

        if (loop is not null)
        {
            await loop.ConfigureAwait(false); // the loop ends on cancellation and never throws
        }

        _stop.Dispose();
    }

    /// <summary>Adds a cut batch for the consumer (merged with any it has not taken) and wakes it.</summary>
    private void Publish(List<string> paths, bool fullRescan)
    {
        TaskCompletionSource? signal;
        lock (_gate)
        {
            _readyPaths.UnionWith(paths);
            _readyFullRescan |= fullRescan;
            signal = _readySignal;
            _readySignal = null;
        }

        signal?.TrySetResult();
    }

    /// <summary>The loop failed: NextBatchAsync reports it (after any batch still waiting).</summary>
    private void Fail(Exception error)
    {
        TaskCompletionSource? signal;
        lock (_gate)
        {
            _failure = error;
            signal = _readySignal;
            _readySignal = null;
        }

        signal?.TrySetResult();
    }

    private void OnChanged(object sender, FileSystemEventArgs e) =>
        OnPathEvent(e.Name, appeared: e.ChangeType == WatcherChangeTypes.Created);

    private void OnRenamed(object sender, RenamedEventArgs e)
    {
        OnPathEvent(e.OldName, appeared: false);
        OnPathEvent(e.Name, appeared: true);
    }

    private void OnError(object sender, ErrorEventArgs e) => OnWatcherError(e.GetException());

    /// <summary>What the watcher's Created/Changed/Deleted/Renamed events do: queue the relative name with the time.</summary>
    internal void OnPathEvent(string? name, bool appeared)
    {
        if (string.IsNullOrEmpty(name))
        {
            return;
        }

        string relative = Path.DirectorySeparatorChar == '/' ? name : name.Replace(Path.DirectorySeparatorChar, '/');
        if (!_events.Writer.TryWrite(new WatchEvent(relative, appeared, Now)))
        {
            LoseTrack();
        }
    }

    /// <summary>What the watcher's Error event does (inotify queue overflow, a watch that could not be added, e.g. at the
    /// max_user_watches limit): rescan the whole tree. The FileSystemWatcher itself keeps (or, after an overflow, resumes) watching.</summary>
    internal void OnWatcherError(Exception? error)
    {
        _ = error; // the cause changes nothing: whatever was lost, the rescan finds
        LoseTrack();
    }

    private void LoseTrack()
    {
        Interlocked.Exchange(ref _lostTrack, 1);
        _events.Writer.TryWrite(new WatchEvent(null, false, Now)); // wakes the loop; if the queue is full it is awake anyway
    }

    private TimeSpan Now => _time.GetElapsedTime(_startTimestamp);
}
