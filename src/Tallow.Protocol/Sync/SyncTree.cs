// Scans a tree for a sync round: every folder, regular file, and (on the receiver) anything else,
// under the root or under the round's scope paths, without following a symlink anywhere. The
// sender skips what it cannot send (symlinks, devices) with a warning; the receiver lists it as
// Other so the plan can replace it. The state folder (.tallow-sync at the root) is never listed.
using System.IO.Enumeration;
using Tallow.Protocol.Transfer;

namespace Tallow.Protocol.Sync;

public static class SyncTree
{
    /// <summary>The receiver's state inside the mirror: the chunk cache and the staging folder.</summary>
    public const string StateFolder = ".tallow-sync";

    /// <summary>
    /// The entries under <paramref name="root"/> in <paramref name="scope"/> (empty: everything), keyed
    /// by relative path. <paramref name="warn"/> is null on the receiver, which lists what it cannot
    /// read as Other; on the sender it is told about each skipped entry.
    /// </summary>
    public static Dictionary<string, SyncEntry> Scan(string root, IReadOnlyList<string> scope, Action<string>? warn, CancellationToken ct)
    {
        var entries = new Dictionary<string, SyncEntry>(StringComparer.Ordinal);
        if (scope.Count == 0)
        {
            AddChildren(root, string.Empty, entries, warn, ct);
            return entries;
        }

        foreach (string path in scope)
        {
            if (IsState(path) || !AddAncestors(root, path, entries))
            {
                continue;
            }

            string full = Path.Combine(root, path);
            if (Describe(full, path, warn) is SyncEntry entry) // null when gone: absent from the scan, so the plan can delete it
            {
                entries[path] = entry;
                if (entry.Type == SyncEntryType.Directory)
                {
                    AddChildren(full, path, entries, warn, ct);
                }
            }
        }

        return entries;
    }

    /// <summary>Counts what the tree holds besides folders (a quick listing, no stat): the base of the mass-delete check.</summary>
    public static int CountFiles(string root)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 };
        var listing = new FileSystemEnumerable<bool>(root, (ref FileSystemEntry e) => true, options)
        {
            ShouldIncludePredicate = (ref FileSystemEntry e) => !e.IsDirectory || (e.Attributes & FileAttributes.ReparsePoint) != 0,
            ShouldRecursePredicate = (ref FileSystemEntry e) => (e.Attributes & FileAttributes.ReparsePoint) == 0
                && !(e.Directory.Length == root.Length && e.FileName.SequenceEqual(StateFolder.AsSpan())),
        };
        return listing.Count();
    }

    /// <summary>
    /// Lists the folders above a scope path (so the plan can create the ones the mirror lacks);
    /// false when one of them is missing or not a real folder, and the path cannot be there.
    /// </summary>
    private static bool AddAncestors(string root, string path, Dictionary<string, SyncEntry> entries)
    {
        int slash = -1;
        while ((slash = path.IndexOf('/', slash + 1)) >= 0)
        {
            string ancestor = path[..slash];
            if (entries.TryGetValue(ancestor, out SyncEntry known))
            {
                if (known.Type != SyncEntryType.Directory)
                {
                    return false;
                }

                continue;
            }

            if (Describe(Path.Combine(root, ancestor), ancestor, null) is not { Type: SyncEntryType.Directory } entry)
            {
                return false;
            }

            entries[ancestor] = entry;
        }

        return true;
    }

    /// <summary>Whether every folder above <paramref name="relativePath"/> is a real folder (not a symlink) under root.</summary>
    public static bool ParentsAreFolders(string root, string relativePath)
    {
        string current = root;
        string[] parts = relativePath.Split('/');
        for (int i = 0; i < parts.Length - 1; i++)
        {
            current = Path.Combine(current, parts[i]);
            var info = new DirectoryInfo(current);
            if (!info.Exists || info.LinkTarget is not null)
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsState(string relativePath) =>
        relativePath == StateFolder || relativePath.StartsWith(StateFolder + "/", StringComparison.Ordinal);

    private static void AddChildren(string folder, string prefix, Dictionary<string, SyncEntry> entries, Action<string>? warn, CancellationToken ct)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = true, AttributesToSkip = 0 };
        var pending = new Stack<(string Full, string Relative)>();
        pending.Push((folder, prefix));
        while (pending.Count > 0)
        {
            ct.ThrowIfCancellationRequested();
            (string full, string relative) = pending.Pop();
            var listing = new FileSystemEnumerable<string>(full, (ref FileSystemEntry e) => e.FileName.ToString(), options); // names only: one statx each below
            foreach (string name in listing)
            {
                string path = relative.Length == 0 ? name : relative + "/" + name;
                if (relative.Length == 0 && name == StateFolder)
                {
                    continue;
                }

                string childFull = Path.Combine(full, name);
                if (Describe(childFull, path, warn) is not SyncEntry entry)
                {
                    continue;
                }

                entries[path] = entry;
                if (entry.Type == SyncEntryType.Directory)
                {
                    pending.Push((childFull, path));
                }
            }
        }
    }

    /// <summary>One lstat (statx, no symlink followed) of an entry: its type, mode, size and time; null when it is gone or skipped.</summary>
    private static SyncEntry? Describe(string full, string path, Action<string>? warn)
    {
        if (!PathSanitizer.IsSafePath(path, out string reason))
        {
            warn?.Invoke($"skipping '{PathSanitizer.Printable(path)}': {reason}.");
            return null; // neither side can name it on the wire
        }

        NativePath.StatResult found = NativePath.LStat(full, out ushort mode, out long size, out long mtime);
        if (found == NativePath.StatResult.Missing)
        {
            return null;
        }

        int type = mode & 0xF000;
        bool isFolder = type == 0x4000, isFile = type == 0x8000;
        if (found != NativePath.StatResult.Found || (!isFolder && !isFile))
        {
            if (warn is not null)
            {
                warn($"skipping '{PathSanitizer.Printable(path)}': {(type == 0xA000 ? "a symlink" : found == NativePath.StatResult.Found ? "not a regular file" : "it cannot be read")}.");
                return null;
            }

            return new SyncEntry(SyncEntryType.Other, path, 0, 0, 0);
        }

        // Times at the 100 ns that .NET sets on the mirror, so a synced file compares equal.
        return new SyncEntry(isFolder ? SyncEntryType.Directory : SyncEntryType.File, path, isFolder ? 0 : size, mtime - (mtime % 100), (uint)mode & 0xFFF);
    }
}
