// Builds the offer from files and folders named on the command line (DESIGN.md §8).
// Paths in the offer are relative, '/'-separated, rooted at each argument's own name;
// folders contribute their (possibly empty) directories. Symlinks are skipped with a
// notice unless following was asked for; pipes, sockets and devices always are (opening a
// pipe would block the send; its content is a stream: `tallow send -`). A PathFilter (--exclude, --git) leaves entries out of
// folders; excluded folders are not descended into; inputs named explicitly are always sent.
// Subfolders are scanned at the same time (a task each), and the offer lists them in one fixed
// order whatever order the scans finish in: each folder, then its entries by ordinal name.
using System.IO.Enumeration;
using Microsoft.Win32.SafeHandles;
using Tallow.Protocol.Transfer.Selection;
using Tallow.Wire;

namespace Tallow.Protocol.Transfer;

public sealed record SourcePlan(TransferOffer Offer, IReadOnlyList<string?> LocalPaths);

public static class SourceScanner
{
    public static SourcePlan Scan(IReadOnlyList<string> inputs, int chunkSize, bool followSymlinks, Action<string> notice) =>
        Scan(inputs, chunkSize, new ScanOptions { FollowSymlinks = followSymlinks }, notice);

    public static SourcePlan Scan(IReadOnlyList<string> inputs, int chunkSize, ScanOptions options, Action<string> notice)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(options);
        bool followSymlinks = options.FollowSymlinks;
        PathFilter? filter = options.Filter is { IsEmpty: false } f ? f : null;
        var entries = new List<OfferEntry>();
        var locals = new List<string?>();
        var topLevel = new HashSet<string>(StringComparer.Ordinal);
        foreach (string input in inputs)
        {
            if (string.IsNullOrEmpty(input))
            {
                throw new TallowException(FailureKind.Usage, "an empty path was given (an unset shell variable?): name the files or folders to send.");
            }

            string full = Path.GetFullPath(input);
            var info = new FileInfo(full);
            bool isDirectory = Directory.Exists(full);
            if (!isDirectory && !info.Exists)
            {
                throw new TallowException(FailureKind.FileSystem, $"'{input}' does not exist: check the path.");
            }

            string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(full));
            if (name.Length == 0)
            {
                throw new TallowException(FailureKind.Usage, $"cannot send '{input}' as a whole: name a folder or file inside it.");
            }

            if (!topLevel.Add(name))
            {
                throw new TallowException(FailureKind.Usage, $"two inputs are both named '{name}': rename one or send them separately.");
            }

            if (isDirectory)
            {
                AddDirectory(full, name, entries, locals, followSymlinks, filter?.ForFolder(full, notice), notice);
            }
            else
            {
                if (info.LinkTarget is not null && !followSymlinks)
                {
                    notice($"skipping symlink '{input}' (pass --follow-symlinks to send what it points to)");
                    continue;
                }

                if (!NativePath.IsRegularFile(full))
                {
                    notice($"skipping '{input}' (not a regular file; to send what a pipe or device gives, use `tallow send - < {input}`)");
                    continue;
                }

                entries.Add(FileEntry(full, name));
                locals.Add(full);
            }
        }

        if (entries.Count == 0)
        {
            throw new TallowException(FailureKind.Usage, "nothing to send: every input was skipped.");
        }

        return new SourcePlan(new TransferOffer(TransferKind.Files, chunkSize, entries), locals);
    }

    /// <summary>
    /// One thing a folder contributes, in order: an entry (with its local path), a notice, or a
    /// subfolder whose own scan runs at the same time (its items go here, in its place).
    /// </summary>
    private readonly record struct FolderItem(OfferEntry Entry, string? Local, string? Notice, Task<List<FolderItem>>? Subfolder);

    /// <summary>Scans the folder and its subfolders (several folders at once), then adds what they hold in order.</summary>
    private static void AddDirectory(string full, string relative, List<OfferEntry> entries, List<string?> locals, bool followSymlinks, FolderFilter? filter, Action<string> notice) =>
        Flatten(ScanFolder(full, relative, followSymlinks, filter), entries, locals, notice);

    /// <summary>Adds the items in order, waiting for each subfolder's scan where it comes (its failure is thrown there, as a one-by-one walk would).</summary>
    private static void Flatten(List<FolderItem> items, List<OfferEntry> entries, List<string?> locals, Action<string> notice)
    {
        foreach (FolderItem item in items)
        {
            if (item.Subfolder is { } subfolder)
            {
                Flatten(subfolder.GetAwaiter().GetResult(), entries, locals, notice);
            }
            else if (item.Notice is { } text)
            {
                notice(text);
            }
            else
            {
                entries.Add(item.Entry);
                locals.Add(item.Local);
            }
        }
    }

    /// <summary>
    /// One folder's items; each subfolder is scanned by a task of its own and is not waited for
    /// here (so no pool thread blocks on another): a tree of many small folders is scanned on
    /// every core, not one folder after another with a parallel look inside each.
    /// </summary>
    private static List<FolderItem> ScanFolder(string full, string relative, bool followSymlinks, FolderFilter? filter)
    {
        var items = new List<FolderItem>();
        var dir = new DirectoryInfo(full);
        items.Add(new FolderItem(new OfferEntry(EntryType.Directory, relative, 0, (uint)GetMode(full), ToUnix(dir.LastWriteTimeUtc)), null, null, null));
        string[] names;
        try
        {
            // Names only: GetFileSystemInfos made a FileInfo per entry with an lstat of its own,
            // one more per file than TryAddPlainFile needs (perf of a 100,000-file scan).
            names = [.. new FileSystemEnumerable<string>(full, static (ref FileSystemEntry entry) => entry.FileName.ToString(), new EnumerationOptions
            {
                AttributesToSkip = 0,
                IgnoreInaccessible = false,
                RecurseSubdirectories = false,
            })];
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new TallowException(FailureKind.FileSystem, $"cannot read folder '{full}': {ex.Message}", ex);
        }

        Array.Sort(names, string.CompareOrdinal);
        PlainFile?[] plain = LookAll(full, names);
        string prefix = relative + "/";
        for (int i = 0; i < names.Length; i++)
        {
            string name = names[i];
            string childFull = Path.Join(full, name);
            string childRelative = prefix + name;
            if (plain[i] is { } file)
            {
                if (filter is null || !filter.Excludes(name, false))
                {
                    items.Add(new FolderItem(new OfferEntry(EntryType.File, childRelative, (ulong)file.Size, file.Mode, file.Modified), childFull, null, null));
                }

                continue;
            }

            bool isLink = new FileInfo(childFull).LinkTarget is not null;
            if (filter is not null && filter.Excludes(name, Directory.Exists(childFull)))
            {
                continue;
            }

            if (isLink && !followSymlinks)
            {
                items.Add(Notice($"skipping symlink '{childFull}' (pass --follow-symlinks to send what it points to)"));
                continue;
            }

            if (Directory.Exists(childFull))
            {
                if (isLink && IsAncestorOf(Path.GetFullPath(new DirectoryInfo(childFull).ResolveLinkTarget(true)?.FullName ?? childFull), full))
                {
                    items.Add(Notice($"skipping symlink loop '{childFull}'"));
                    continue;
                }

                FolderFilter? inner = null;
                if (filter is not null)
                {
                    var notices = new List<string>();
                    inner = filter.Enter(name, notices.Add); // reads the subfolder's .gitignore: its notices come here, in order
                    items.AddRange(notices.Select(Notice));
                }

                items.Add(new FolderItem(default, null, null, Task.Run(() => ScanFolder(childFull, childRelative, followSymlinks, inner))));
            }
            else if (NativePath.IsRegularFile(childFull))
            {
                items.Add(new FolderItem(FileEntry(childFull, childRelative), childFull, null, null));
            }
            else
            {
                items.Add(Notice($"skipping '{childFull}' (not a regular file)"));
            }
        }

        return items;
    }

    private static FolderItem Notice(string text) => new(default, null, text, null);

    /// <summary>A regular file (not a link) as one lstat saw it.</summary>
    private readonly record struct PlainFile(long Size, uint Mode, long Modified);

    /// <summary>Threads that look at one large folder's entries at once (lstat waits on the disk when it is cold).</summary>
    private static readonly int ScanWorkers = Math.Clamp(Environment.ProcessorCount, 1, 8);

    /// <summary>A folder with this many entries is also looked at on several threads (smaller ones run beside other folders).</summary>
    private const int ParallelLookEntries = 1024;

    /// <summary>
    /// The common case in one lstat per entry, relative to the open folder (a tree of many small
    /// files is scanned at about one system call per file, with no path walk): each entry that
    /// is a regular file and not a link, or null (folders, links, other types, a failed look),
    /// which the general path takes.
    /// </summary>
    private static PlainFile?[] LookAll(string folder, string[] names)
    {
        var plain = new PlainFile?[names.Length];
        using SafeFileHandle? open = names.Length > 1 ? NativePath.OpenDirectoryNoFollow(folder, out _) : null;
        void LookAt(int i) => plain[i] = Look(open, open is null ? Path.Join(folder, names[i]) : names[i]);
        if (names.Length >= ParallelLookEntries && ScanWorkers > 1)
        {
            Parallel.For(0, names.Length, new ParallelOptions { MaxDegreeOfParallelism = ScanWorkers }, LookAt);
        }
        else
        {
            for (int i = 0; i < names.Length; i++)
            {
                LookAt(i);
            }
        }

        return plain;
    }

    private static PlainFile? Look(SafeFileHandle? folder, string path)
    {
        if (NativePath.LStat(folder, path, out ushort mode, out long size, out long mtimeNanoseconds) != NativePath.StatResult.Found
            || (mode & 0xF000) != 0x8000) // S_IFREG
        {
            return null;
        }

        long seconds = Math.DivRem(mtimeNanoseconds, 1_000_000_000, out long rest);
        return new PlainFile(size, (uint)(mode & 0xFFF), rest < 0 ? seconds - 1 : seconds);
    }

    /// <summary>A regular file (or a link to one, followed) as the general path sees it.</summary>
    private static OfferEntry FileEntry(string full, string relative)
    {
        var info = new FileInfo(full);
        long length = info.LinkTarget is null ? info.Length : new FileInfo(info.ResolveLinkTarget(true)!.FullName).Length;
        return new OfferEntry(EntryType.File, relative, (ulong)length, (uint)GetMode(full), ToUnix(info.LastWriteTimeUtc));
    }

    private static bool IsAncestorOf(string candidate, string path)
    {
        string c = Path.TrimEndingDirectorySeparator(candidate) + "/";
        return (Path.TrimEndingDirectorySeparator(path) + "/").StartsWith(c, StringComparison.Ordinal);
    }

    private static UnixFileMode GetMode(string path)
    {
        try
        {
            return File.GetUnixFileMode(path);
        }
        catch (IOException)
        {
            return UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
    }

    internal static long ToUnix(DateTime utc) => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeSeconds();
}
