// Where the receiver finds content it already holds, in any file of its mirror: chunk BLAKE3 →
// (file, offset) locations, and file BLAKE3 → files (rename and copy detection).
// A location is a hint, not a promise: files change under the store, so TryRead opens the file
// under the root without following a symlink in the last component (O_NOFOLLOW), refuses anything
// but a regular file, re-checks through /proc/self/fd that the open file is inside the root
// (a folder swapped for a link), and returns the bytes only when their BLAKE3 is the chunk's; a
// stale location is skipped and the next one tried. IO errors never escape TryRead or Build.
// Memory: one entry per distinct chunk (hash, length, first location: ~70 bytes with the
// dictionary's own) plus at most MaxLocations - 1 further locations for chunks that occur in
// several places. Adding a path again replaces what was recorded for it. Not thread-safe.
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Tallow.Protocol.Transfer;

namespace Tallow.Protocol.Sync;

public sealed class LocalChunkStore
{
    /// <summary>Locations kept per chunk (and files per file hash): enough to survive a few stale ones, bounded for content repeated many times.</summary>
    public const int MaxLocations = 4;

    private readonly string _root;
    private readonly string _realRootPrefix;
    private readonly List<FileRecord?> _files = [];
    private readonly Stack<int> _freeIds = new(); // slots of forgotten files, reused: a session that lives for hours does not grow the list
    private readonly Dictionary<string, int> _fileIds = new(StringComparer.Ordinal);
    private readonly Dictionary<ContentHash, Entry> _chunks = [];
    private readonly Dictionary<ContentHash, List<Location>> _moreLocations = [];
    private readonly Dictionary<ContentHash, List<int>> _filesByHash = [];

    public LocalChunkStore(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        _root = Path.GetFullPath(root);
        string real = NativePath.RealPath(_root) ?? _root;
        _realRootPrefix = real.EndsWith('/') ? real : real + "/";
    }

    private sealed record FileRecord(string RelativePath, FileChunks Chunks, FileStamp? Stamp);

    private readonly record struct Location(int File, long Offset);

    /// <summary>A chunk's length and its first location (further ones in <see cref="_moreLocations"/>).</summary>
    private readonly record struct Entry(int Length, Location First);

    /// <summary>Distinct chunks recorded.</summary>
    public int ChunkCount => _chunks.Count;

    /// <summary>
    /// The store of the mirror at <paramref name="root"/>: each file's chunks come from the cache when
    /// its stamp is unchanged, otherwise the file is read and chunked and the cache updated. Files
    /// that vanish, are not regular files (symlinks included) or cannot be read are skipped.
    /// </summary>
    public static LocalChunkStore Build(string root, IEnumerable<string> relativeFilePaths, ChunkCache cache, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(relativeFilePaths);
        ArgumentNullException.ThrowIfNull(cache);
        var store = new LocalChunkStore(root);
        foreach (string relativePath in relativeFilePaths)
        {
            ct.ThrowIfCancellationRequested();
            if (!ChunkCache.IsWellFormedRelativePath(relativePath) || !FileStamp.TryOf(store.FullPath(relativePath), out FileStamp stamp))
            {
                continue;
            }

            if (cache.TryGet(relativePath, stamp, out FileChunks chunks) || store.TryChunk(relativePath, stamp, ct, out chunks))
            {
                cache.Set(relativePath, stamp, chunks);
                store.Add(relativePath, chunks, stamp);
            }
        }

        return store;
    }

    /// <summary>Records the chunks of a file of the mirror (replacing what was recorded for that path).</summary>
    public void AddFile(string relativePath, FileChunks chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (!ChunkCache.IsWellFormedRelativePath(relativePath))
        {
            throw new ArgumentException("expected a relative path of '/'-separated names, without '.', '..' or empty names", nameof(relativePath));
        }

        Add(relativePath, chunks, stamp: null);
    }

    /// <summary>Forgets a file of the mirror (deleted, or about to be replaced).</summary>
    public void RemoveFile(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        if (_fileIds.Remove(relativePath, out int id))
        {
            Forget(id);
        }
    }

    /// <summary>True when some file of the mirror is recorded to hold this chunk (TryRead still verifies).</summary>
    public bool Contains(ContentHash chunk) => _chunks.ContainsKey(chunk);

    /// <summary>
    /// Reads the chunk into the first <paramref name="length"/> bytes of <paramref name="destination"/>
    /// from one of its recorded locations; true only when those bytes hash to <paramref name="chunk"/>.
    /// </summary>
    public bool TryRead(ContentHash chunk, int length, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, length, nameof(destination));
        if (!_chunks.TryGetValue(chunk, out Entry entry) || entry.Length != length)
        {
            return false;
        }

        Span<byte> target = destination[..length];
        if (TryReadAt(entry.First, chunk, target))
        {
            return true;
        }

        if (_moreLocations.TryGetValue(chunk, out List<Location>? more))
        {
            foreach (Location location in more)
            {
                if (TryReadAt(location, chunk, target))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>A file of the mirror recorded with exactly this content and still unchanged (same stamp, or for files added without one, same size).</summary>
    public bool TryFindFile(ContentHash fileHash, out string relativePath)
    {
        if (_filesByHash.TryGetValue(fileHash, out List<int>? ids))
        {
            foreach (int id in ids)
            {
                FileRecord file = _files[id]!;
                if (LooksUnchanged(file))
                {
                    relativePath = file.RelativePath;
                    return true;
                }
            }
        }

        relativePath = string.Empty;
        return false;
    }

    private string FullPath(string relativePath) => Path.Combine(_root, relativePath);

    private bool LooksUnchanged(FileRecord file) =>
        FileStamp.TryOf(FullPath(file.RelativePath), out FileStamp now) && (file.Stamp is { } recorded ? now == recorded : now.Size == file.Chunks.Length);

    private bool TryChunk(string relativePath, FileStamp stamp, CancellationToken ct, out FileChunks chunks)
    {
        chunks = null!;
        try
        {
            using SafeFileHandle? handle = OpenInsideRoot(relativePath);
            if (handle is null || !FileStamp.TryOf(handle, out FileStamp opened) || opened != stamp)
            {
                return false; // replaced between the stat and the open
            }

            chunks = ContentChunker.ChunkFile(handle, stamp.Size, ct);
            return FileStamp.TryOf(handle, out FileStamp after) && after == stamp; // not written to while it was read
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private void Add(string relativePath, FileChunks chunks, FileStamp? stamp)
    {
        if (_fileIds.TryGetValue(relativePath, out int old))
        {
            Forget(old);
        }

        var record = new FileRecord(relativePath, chunks, stamp);
        if (!_freeIds.TryPop(out int id))
        {
            id = _files.Count;
            _files.Add(record);
        }

        _files[id] = record;
        _fileIds[relativePath] = id;
        AddBounded(_filesByHash, chunks.FileHash, id, MaxLocations);
        long offset = 0;
        foreach (ChunkRef chunk in chunks.Chunks)
        {
            var location = new Location(id, offset);
            ref Entry entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_chunks, chunk.Hash, out bool exists);
            if (!exists)
            {
                entry = new Entry(chunk.Length, location);
            }
            else if (entry.First.File != id)
            {
                AddBounded(_moreLocations, chunk.Hash, location, MaxLocations - 1); // the first location is in the entry itself
            }

            offset += chunk.Length;
        }
    }

    /// <summary>Adds <paramref name="item"/> to the list under <paramref name="key"/> unless that holds <paramref name="limit"/> items already.</summary>
    private static void AddBounded<T>(Dictionary<ContentHash, List<T>> lists, ContentHash key, T item, int limit)
    {
        ref List<T>? list = ref CollectionsMarshal.GetValueRefOrAddDefault(lists, key, out _);
        list ??= new List<T>(1);
        if (list.Count < limit && !list.Contains(item))
        {
            list.Add(item);
        }
    }

    /// <summary>Removes every location in file <paramref name="id"/> and the file itself.</summary>
    private void Forget(int id)
    {
        FileRecord file = _files[id]!;
        _files[id] = null;
        _freeIds.Push(id);
        if (_filesByHash.TryGetValue(file.Chunks.FileHash, out List<int>? sameContent))
        {
            sameContent.Remove(id);
            if (sameContent.Count == 0)
            {
                _filesByHash.Remove(file.Chunks.FileHash);
            }
        }

        foreach (ChunkRef chunk in file.Chunks.Chunks)
        {
            ForgetLocations(chunk.Hash, id);
        }
    }

    private void ForgetLocations(ContentHash hash, int file)
    {
        _moreLocations.TryGetValue(hash, out List<Location>? more);
        more?.RemoveAll(location => location.File == file);
        if (_chunks.TryGetValue(hash, out Entry entry) && entry.First.File == file)
        {
            if (more is { Count: > 0 })
            {
                _chunks[hash] = entry with { First = more[0] };
                more.RemoveAt(0);
            }
            else
            {
                _chunks.Remove(hash);
            }
        }

        if (more is { Count: 0 })
        {
            _moreLocations.Remove(hash);
        }
    }

    private bool TryReadAt(Location location, ContentHash chunk, Span<byte> target)
    {
        FileRecord? file = _files[location.File];
        if (file is null)
        {
            return false;
        }

        try
        {
            using SafeFileHandle? handle = OpenInsideRoot(file.RelativePath);
            if (handle is null || NativePath.ReadUpTo(handle, target, location.Offset) != target.Length)
            {
                return false; // gone, not a regular file in the mirror, or shorter now
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        return ContentHash.Compute(target) == chunk;
    }

    /// <summary>The regular file at the relative path, opened without following a symlink in its last component, and only if it really is under the root.</summary>
    private SafeFileHandle? OpenInsideRoot(string relativePath)
    {
        SafeFileHandle? handle = NativePath.OpenRegularNoFollow(FullPath(relativePath));
        if (handle is not null && NativePath.RealPathOf(handle) is { } real && real.StartsWith(_realRootPrefix, StringComparison.Ordinal))
        {
            return handle;
        }

        handle?.Dispose();
        return null;
    }
}
