// The entries of a folder tree by relative path ('/'-separated, no leading '/'), each with its
// EntryState, from a walk that never follows symlinks (a symlink is an entry, never a folder to
// enter). Excluded paths are left out and excluded folders are not entered. A folder that cannot be
// listed (permission, I/O error, vanished mid-walk) is recorded in Unlisted: what lies under it is
// unknown, so Differences never reports it as deleted; only a name that is truly gone is.
// Cost: one readdir per folder and one statx per entry; no allocation beyond the paths themselves.
using System.IO.Enumeration;
using Tallow.Protocol.Transfer;

namespace Tallow.Protocol.Sync;

internal sealed class TreeSnapshot
{
    private static readonly EnumerationOptions ListOptions = new()
    {
        RecurseSubdirectories = false,
        IgnoreInaccessible = false,
        AttributesToSkip = 0, // the default skips Hidden, which on Unix means every dot-file
        ReturnSpecialDirectories = false,
    };

    public Dictionary<string, EntryState> Entries { get; } = new(StringComparer.Ordinal);

    /// <summary>Folders (relative; "" = the root) whose children could not be listed.</summary>
    public HashSet<string> Unlisted { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Walks the folder <paramref name="under"/> ("" = the whole tree) of <paramref name="root"/>
    /// and adds what is below it (not the folder itself).
    /// </summary>
    public void AddWalk(string root, string under, Func<string, bool>? exclude)
    {
        var folders = new Stack<string>();
        folders.Push(under);
        var names = new List<string>();
        while (folders.Count > 0)
        {
            string folder = folders.Pop();
            if (!TryList(FullPath(root, folder), names))
            {
                Unlisted.Add(folder);
                continue;
            }

            foreach (string name in names)
            {
                string relative = folder.Length == 0 ? name : string.Concat(folder, "/", name);
                if (exclude is not null && exclude(relative))
                {
                    continue;
                }

                switch (EntryState.Read(FullPath(root, relative), out EntryState state))
                {
                    case NativePath.StatResult.Found:
                        Entries[relative] = state;
                        if (state.Kind == EntryKind.Directory)
                        {
                            folders.Push(relative);
                        }

                        break;
                    case NativePath.StatResult.Failed:
                        Unlisted.Add(relative); // unknown: neither present nor deleted
                        break;
                    default:
                        break; // deleted between readdir and statx: simply not there
                }
            }
        }
    }

    public static TreeSnapshot Walk(string root, string under, Func<string, bool>? exclude)
    {
        var snapshot = new TreeSnapshot();
        snapshot.AddWalk(root, under, exclude);
        return snapshot;
    }

    /// <summary>
    /// Paths below any of <paramref name="roots"/> ("" = everywhere) whose state in this walk differs
    /// from <paramref name="known"/>: changed or new (with their state), or gone (null). Names under an
    /// unlisted folder are never reported gone.
    /// </summary>
    public List<(string Path, EntryState? State)> Differences(Dictionary<string, EntryState> known, HashSet<string> roots)
    {
        var found = new List<(string, EntryState?)>();
        foreach ((string path, EntryState state) in Entries)
        {
            if (!known.TryGetValue(path, out EntryState old) || !old.SameAs(state))
            {
                found.Add((path, state));
            }
        }

        bool everywhere = roots.Contains(string.Empty);
        foreach (string path in known.Keys)
        {
            if (!Entries.ContainsKey(path) && (everywhere || HasAncestorIn(path, roots)) && !IsUnlisted(path))
            {
                found.Add((path, null));
            }
        }

        return found;
    }

    private bool IsUnlisted(string path) => Unlisted.Count > 0 && (Unlisted.Contains(string.Empty) || Unlisted.Contains(path) || HasAncestorIn(path, Unlisted));

    /// <summary>True when a proper ancestor folder of <paramref name="path"/> ("a" for "a/b/c", "a/b") is in <paramref name="folders"/>.</summary>
    public static bool HasAncestorIn(string path, HashSet<string> folders)
    {
        HashSet<string>.AlternateLookup<ReadOnlySpan<char>> lookup = folders.GetAlternateLookup<ReadOnlySpan<char>>();
        for (int slash = path.LastIndexOf('/'); slash > 0; slash = path.LastIndexOf('/', slash - 1))
        {
            if (lookup.Contains(path.AsSpan(0, slash)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="exclude"/> rejects the path or any folder above it.</summary>
    public static bool IsExcluded(Func<string, bool>? exclude, string path)
    {
        if (exclude is null)
        {
            return false;
        }

        for (int slash = path.IndexOf('/'); slash > 0; slash = path.IndexOf('/', slash + 1))
        {
            if (exclude(path[..slash]))
            {
                return true;
            }
        }

        return exclude(path);
    }

    public static string FullPath(string root, string relative) =>
        relative.Length == 0 ? root : string.Concat(root, "/", relative);

    private static bool TryList(string folder, List<string> names)
    {
        names.Clear();
        try
        {
            var listing = new FileSystemEnumerable<string>(folder, static (ref FileSystemEntry entry) => entry.FileName.ToString(), ListOptions);
            names.AddRange(listing);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
