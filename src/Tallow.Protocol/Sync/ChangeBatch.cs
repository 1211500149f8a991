// One batch of changes from the tree watcher (TreeWatcher.cs).
namespace Tallow.Protocol.Sync;

/// <summary>
/// <para><paramref name="Paths"/>: relative, '/'-separated, distinct, sorted ordinally; each names a file,
/// folder or symlink that was created, changed, deleted or renamed (both names of a rename; every entry
/// under a renamed or deleted folder too) — it may no longer exist.</para>
/// <para><paramref name="FullRescan"/>: the watcher lost track (event queue overflow, watcher error, or a
/// periodic rescan found differences it had not seen as events); Paths lists what the rescan found
/// different, and the consumer should treat the whole tree as possibly changed.</para>
/// </summary>
public sealed record ChangeBatch(IReadOnlyList<string> Paths, bool FullRescan);
