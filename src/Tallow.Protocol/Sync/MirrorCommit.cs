// Puts a round's staged files into the mirror, in plan order, and removes what the plan removes:
// every path is checked to lie under the mirror with no symlink above it, nothing is followed
// through a symlink (a symlink in the mirror is replaced or removed itself, never its target),
// each file replaces the old one by rename(2), so the mirror only ever holds whole old or whole
// new files. With --backup every replaced or removed file is moved to BACKUP/<time>/<path>
// first. Folder modes and times are set last, deepest first, and folders whose content this
// round changed get their old time back unless the plan gave them a new one.
using Tallow.Protocol.Transfer;

namespace Tallow.Protocol.Sync;

public sealed class MirrorCommit(string root, string? backupRoot, ITransferObserver observer)
{
    private readonly string _backupStamp = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
    private readonly HashSet<string> _touchedFolders = new(StringComparer.Ordinal);

    public int Written { get; private set; }

    public int Deleted { get; private set; }

    public int Failed { get; private set; }

    public int BackedUp { get; private set; }

    /// <summary>Removes (or backs up) whatever the mirror has at <paramref name="path"/>.</summary>
    public void Delete(string path)
    {
        if (!Confined(path, out string full))
        {
            return;
        }

        if (!Exists(full))
        {
            return;
        }

        try
        {
            if (backupRoot is not null)
            {
                MoveToBackup(full, path);
            }
            else
            {
                RemoveTree(full);
            }

            Deleted++;
            Touch(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Fail(path, $"could not remove it: {ex.Message}");
        }
    }

    public void Folder(SyncOp op)
    {
        if (!Confined(op.Path, out string full))
        {
            return;
        }

        try
        {
            if (!Directory.Exists(full))
            {
                Directory.CreateDirectory(full);
                Touch(op.Path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Fail(op.Path, $"could not create the folder: {ex.Message}");
        }
    }

    /// <summary>Renames the staged file over <paramref name="op"/>'s path (the old file moved to the backup first).</summary>
    public bool Place(SyncOp op, string staged, bool changedHere)
    {
        if (!Confined(op.Path, out string full))
        {
            return false;
        }

        try
        {
            if (Directory.Exists(full) && new DirectoryInfo(full).LinkTarget is null)
            {
                Fail(op.Path, "a folder is in the way");
                return false;
            }

            if (changedHere)
            {
                observer.OnNotice(backupRoot is null
                    ? $"'{PathSanitizer.Printable(op.Path)}' was changed on this side since the last sync: replaced by the sender's version."
                    : $"'{PathSanitizer.Printable(op.Path)}' was changed on this side since the last sync: replaced, the old one is in the backup.");
            }

            if (backupRoot is not null && Exists(full))
            {
                MoveToBackup(full, op.Path);
            }

            int errno = NativePath.Rename(staged, full); // replaces a file or a symlink itself, atomically
            if (errno != 0)
            {
                Fail(op.Path, $"could not put it in place (error {errno})");
                return false;
            }

            Written++;
            Touch(op.Path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Fail(op.Path, ex.Message);
            return false;
        }
    }

    /// <summary>Same content already here: only the mode and time change (never through a symlink).</summary>
    public bool SetMetadata(SyncOp op)
    {
        if (!Confined(op.Path, out string full) || !NativePath.IsRegularFile(full) || new FileInfo(full).LinkTarget is not null)
        {
            return false;
        }

        try
        {
            File.SetUnixFileMode(full, (UnixFileMode)(op.Mode & 0xFFF));
            File.SetLastWriteTimeUtc(full, SyncTimes.FromUnixNs(op.ModifiedNs));
            Written++;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Fail(op.Path, ex.Message);
            return false;
        }
    }

    /// <summary>Folder modes and times: the plan's for its folders, the index's back for folders this round only touched.</summary>
    public void FinishFolders(IReadOnlyList<SyncOp> ops, IReadOnlyDictionary<string, SyncEntry> before, long rootTimeBefore)
    {
        var planned = ops.Where(o => o.Kind == SyncOpKind.Directory).ToDictionary(o => o.Path, StringComparer.Ordinal);
        foreach (string path in _touchedFolders.Union(planned.Keys).OrderByDescending(p => p.Length))
        {
            string full = path.Length == 0 ? root : Path.Combine(root, path);
            try
            {
                if (!Directory.Exists(full) || new DirectoryInfo(full).LinkTarget is not null || (path.Length > 0 && !SyncTree.ParentsAreFolders(root, path)))
                {
                    continue;
                }

                if (planned.TryGetValue(path, out SyncOp? op))
                {
                    File.SetUnixFileMode(full, (UnixFileMode)(op.Mode & 0xFFF));
                    Directory.SetLastWriteTimeUtc(full, SyncTimes.FromUnixNs(op.ModifiedNs));
                }
                else if (path.Length == 0 ? rootTimeBefore != 0 : before.ContainsKey(path))
                {
                    Directory.SetLastWriteTimeUtc(full, SyncTimes.FromUnixNs(path.Length == 0 ? rootTimeBefore : before[path].ModifiedNs));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A folder's time is cosmetic: the next round sets it again.
            }
        }
    }

    private void Touch(string path)
    {
        int slash = path.LastIndexOf('/');
        _touchedFolders.Add(slash < 0 ? string.Empty : path[..slash]);
    }

    private bool Confined(string path, out string full)
    {
        full = Path.Combine(root, path);
        if (PathSanitizer.IsSafePath(path, out _) && !SyncTree.IsState(path) && SyncTree.ParentsAreFolders(root, path))
        {
            return true;
        }

        Fail(path, "a folder above it is a symlink or missing here");
        return false;
    }

    private void Fail(string path, string why)
    {
        Failed++;
        observer.OnNotice($"could not update '{PathSanitizer.Printable(path)}': {why}.");
    }

    private static bool Exists(string full) => File.Exists(full) || Directory.Exists(full) || new FileInfo(full).LinkTarget is not null;

    private void MoveToBackup(string full, string path)
    {
        string target = Path.Combine(backupRoot!, _backupStamp, path);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        int errno = NativePath.Rename(full, target);
        if (errno == NativePath.EXDev)
        {
            CopyAcross(full, target); // the backup is on another file system
            RemoveTree(full);
        }
        else if (errno != 0)
        {
            throw new IOException($"could not move it to the backup (error {errno})");
        }

        BackedUp++;
    }

    /// <summary>Copies a file, a symlink (itself) or a folder tree to another file system, keeping modes and times.</summary>
    private static void CopyAcross(string full, string target)
    {
        var info = new FileInfo(full);
        if (info.LinkTarget is string link)
        {
            File.CreateSymbolicLink(target, link);
        }
        else if (Directory.Exists(full))
        {
            Directory.CreateDirectory(target);
            foreach (FileSystemInfo child in new DirectoryInfo(full).EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 }))
            {
                CopyAcross(child.FullName, Path.Combine(target, child.Name));
            }
        }
        else
        {
            File.Copy(full, target);
            File.SetUnixFileMode(target, File.GetUnixFileMode(full));
            File.SetLastWriteTimeUtc(target, info.LastWriteTimeUtc);
        }
    }

    /// <summary>Deletes a file, a symlink (itself) or a folder tree, never following a symlink inside.</summary>
    private static void RemoveTree(string full)
    {
        var info = new DirectoryInfo(full);
        if (info.LinkTarget is not null || !info.Exists)
        {
            File.Delete(full);
            return;
        }

        foreach (FileSystemInfo child in info.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = false }))
        {
            RemoveTree(child.FullName);
        }

        Directory.Delete(full);
    }
}
