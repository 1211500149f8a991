// Writes received files inside one output directory and nowhere else (DESIGN.md §8).
// - Every component is validated by PathSanitizer before use.
// - Existing components must be real directories: a symlink is never followed.
// - Content goes to a part file (OutputDirectory.Parts.cs), created with O_EXCL (never through a
//   link). After the hash matches, the part file's real location is re-checked via /proc/self/fd,
//   its time and mode are set through its handle, and the open file itself gets the final name
//   (linkat of /proc/self/fd/N, which never replaces a name), so what was verified is what is
//   saved even if the part's name was swapped meanwhile. An existing name is replaced only with
//   --overwrite; otherwise the final name becomes "name (1).ext" (LocalNames, within 255 bytes).
using Microsoft.Win32.SafeHandles;

namespace Tallow.Protocol.Transfer;

public sealed partial class OutputDirectory
{
    public const string PartSuffix = ".tallow-part";
    private readonly string _root;
    private readonly string _realRootPrefix;
    private readonly bool _overwrite;

    public OutputDirectory(string root, bool overwrite)
    {
        _root = Path.GetFullPath(root);
        if (!Directory.Exists(_root))
        {
            try
            {
                Directory.CreateDirectory(_root);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new TallowException(FailureKind.FileSystem, $"cannot create the output folder '{root}': {ex.Message}", ex);
            }
        }

        string realRoot = NativePath.RealPath(_root) ?? _root;
        _realRootPrefix = realRoot.EndsWith('/') ? realRoot : realRoot + "/";
        _overwrite = overwrite;
    }

    public string Root => _root;

    /// <summary>
    /// Creates (or accepts existing, real) directories for the given components. The folder
    /// checked last is remembered: for the many files of one folder only its last component is
    /// looked at again (still a real folder, not a link); a folder on the way swapped for a link
    /// that leads out of the output folder is caught by Guard on the real path of the opened file.
    /// </summary>
    public string EnsureDirectory(IReadOnlyList<string> components)
    {
        string target = components.Count == 0 ? _root : Path.Combine(_root, Path.Combine([.. components]));
        if (target == _folderPath)
        {
            return target; // open and checked for verified files: they are made through the open folder, not this path
        }

        if (target == _lastEnsured && NativePath.LStat(target, out ushort mode, out _, out _) == NativePath.StatResult.Found
            && (mode & 0xF000) == 0x4000) // S_IFDIR
        {
            return target;
        }

        (_missingFolder, _missingRelative) = (null, null); // folders are made below: what planning found missing may exist now
        string current = _root;
        foreach (string component in components)
        {
            current = Path.Combine(current, component);
            var info = new DirectoryInfo(current);
            if (info.LinkTarget is not null || (File.Exists(current) && !Directory.Exists(current)) || IsSymlink(current))
            {
                throw new TallowException(FailureKind.FileSystem, $"refusing to write into '{PathSanitizer.Printable(current)}': it exists and is not a plain folder (symlinks are never followed).");
            }

            if (!info.Exists)
            {
                try
                {
                    Directory.CreateDirectory(current);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new TallowException(FailureKind.FileSystem, $"cannot create folder '{PathSanitizer.Printable(current)}': {ex.Message}", ex);
                }
            }
        }

        _lastEnsured = current;
        return current;
    }

    private string? _lastEnsured;

    private PartFile Guard(PartFile part)
    {
        // A file made in an open folder (OutputDirectory.Verified.cs) is where that folder is now.
        string? real = part.Folder is null ? part.RealPath() : NativePath.RealPathOf(part.Folder) is { } folder ? folder + "/" : null;
        if (!IsInsideRoot(real))
        {
            part.Discard();
            throw new TallowException(FailureKind.FileSystem, "refusing to write outside the output folder (a folder was replaced by a link while receiving).");
        }

        return part;
    }

    /// <summary>Gives the verified part file its final name and returns the path used.</summary>
    public string Commit(PartFile part, long modifiedUnixSeconds, uint mode, Action<string> notice)
    {
        Guard(part);
        return Name(part, modifiedUnixSeconds, mode, notice);
    }

    /// <summary>Commit for a file whose location was checked already (a batch's open, checked folder).</summary>
    private string Name(PartFile part, long modifiedUnixSeconds, uint mode, Action<string> notice)
    {
        part.DeleteSidecar();
        ApplyMetadata(part.Handle, modifiedUnixSeconds, part.ModeSet ? null : mode);
        string target = Path.Combine(part.Directory, part.FinalName);
        string saved = _overwrite && File.Exists(target) && !IsSymlink(target) && !Directory.Exists(target)
            ? Replace(part, target)
            : SaveUnderFreeName(part, target, notice);
        part.Dispose();
        return saved;
    }

    /// <summary>The final name, or the first free "name (n).ext"; never replaces anything.</summary>
    private string SaveUnderFreeName(PartFile part, string target, Action<string> notice)
    {
        for (int n = 0; n < 10_000; n++)
        {
            string name = n == 0 ? part.FinalName : LocalNames.Numbered(part.FinalName, n);
            string candidate = n == 0 ? target : Path.Combine(part.Directory, name);
            NativePath.LinkResult linked = part.Folder is null
                ? NativePath.Link(part.Handle, candidate, out int errno)
                : NativePath.Link(part.Handle, name, out errno, part.Folder);
            if (linked == NativePath.LinkResult.Unsupported && part.Unnamed)
            {
                throw new TallowException(FailureKind.FileSystem, $"cannot save '{PathSanitizer.Printable(Relative(candidate))}' (error {errno}): this file system does not let a new file be named.");
            }

            if (linked == NativePath.LinkResult.Unsupported)
            {
                linked = MoveByName(part, candidate, replace: false) ? NativePath.LinkResult.Linked : NativePath.LinkResult.Exists;
            }
            else if (linked == NativePath.LinkResult.Linked)
            {
                part.RemovePartName();
            }

            if (linked == NativePath.LinkResult.Exists)
            {
                continue; // taken (a file, folder or link), or lost a race with another writer: try the next number
            }

            if (linked == NativePath.LinkResult.Failed && errno == NativePath.ENoEnt)
            {
                throw Swapped(part); // the open file has no name left to link from
            }

            if (linked == NativePath.LinkResult.Failed)
            {
                throw new TallowException(FailureKind.FileSystem, $"cannot save '{PathSanitizer.Printable(Relative(candidate))}' (error {errno}); the received content stays in '{PathSanitizer.Printable(Relative(part.PartPath))}'.");
            }

            if (n > 0)
            {
                notice($"'{PathSanitizer.Printable(Relative(target))}' already exists: saved as '{PathSanitizer.Printable(Relative(candidate))}' (use --overwrite to replace)");
            }

            return candidate;
        }

        throw new TallowException(FailureKind.FileSystem, $"too many files named like '{PathSanitizer.Printable(part.FinalName)}' in the output folder.");
    }

    /// <summary>--overwrite: the part's name replaces the existing file (a rename is the only atomic replace).</summary>
    private string Replace(PartFile part, string target)
    {
        MoveByName(part, target, replace: true);
        return target;
    }

    /// <summary>
    /// Renames the part file by name, where giving the open file a name is not possible (no hard
    /// links on this file system) or a name must be replaced. The name must be the open file just
    /// before, and the new name must be it just after; otherwise another program swapped it and the
    /// receive fails. False when <paramref name="destination"/> exists and <paramref name="replace"/> is not set.
    /// </summary>
    private bool MoveByName(PartFile part, string destination, bool replace)
    {
        if (!part.NamedByPartPath())
        {
            throw Swapped(part);
        }

        try
        {
            File.Move(part.PartPath, destination, replace);
        }
        catch (IOException) when (!replace && (File.Exists(destination) || Directory.Exists(destination) || IsSymlink(destination)))
        {
            return false;
        }

        return NativePath.Names(destination, part.Handle) ? true : throw Swapped(part);
    }

    private TallowException Swapped(PartFile part) =>
        new(FailureKind.FileSystem, $"'{PathSanitizer.Printable(Relative(part.PartPath))}' was removed or replaced by another program while receiving: what was received was not saved.");

    public string Relative(string path) => Path.GetRelativePath(_root, path);

    /// <summary>As <see cref="Relative"/>: the offered path itself (no new string) when the file was saved under it.</summary>
    public string Relative(string path, string offeredPath) =>
        path.Length == _root.Length + 1 + offeredPath.Length && path.EndsWith(offeredPath, StringComparison.Ordinal)
        && path.StartsWith(_root, StringComparison.Ordinal) && path[_root.Length] == '/'
            ? offeredPath
            : Relative(path);

    /// <summary>A file's real location (see <see cref="NativePath.RealPathOf"/>) is inside the output folder.</summary>
    private bool IsInsideRoot(string? realPath) => realPath is not null && realPath.StartsWith(_realRootPrefix, StringComparison.Ordinal);

    /// <summary>
    /// The sender's modification time and permission bits (rwx for user, group, other; never
    /// set-id or sticky), limited by this process's umask like any file it creates, and always
    /// readable and writable by the owner.
    /// </summary>
    private static void ApplyMetadata(SafeFileHandle handle, long modifiedUnixSeconds, uint? mode)
    {
        try
        {
            if (mode is uint bits)
            {
                File.SetUnixFileMode(handle, Permissions(bits));
            }

            NativePath.SetModified(handle, Math.Clamp(modifiedUnixSeconds, 0, MaxUnixSeconds));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // Metadata is best effort; the content is what was verified.
        }
    }

    /// <summary>The sender's rwx bits for user, group and other, less the umask, always with the owner's rw.</summary>
    private static UnixFileMode Permissions(uint mode) =>
        ((UnixFileMode)(mode & 0x1FF) & ~Umask.Value) | UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Gives a received folder the sender's modification time (after its content is written).</summary>
    public static void SetFolderTime(string path, long modifiedUnixSeconds)
    {
        try
        {
            if (!IsSymlink(path))
            {
                Directory.SetLastWriteTimeUtc(path, ToUtc(modifiedUnixSeconds));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // Best effort, as for files.
        }
    }

    private const long MaxUnixSeconds = 253_402_300_799; // 9999-12-31T23:59:59Z

    private static DateTime ToUtc(long unixSeconds) => DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(unixSeconds, 0, MaxUnixSeconds)).UtcDateTime;

    /// <summary>The process umask, read from /proc/self/status (022 when unknown).</summary>
    private static readonly Lazy<UnixFileMode> Umask = new(() =>
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Umask:", StringComparison.Ordinal))
                {
                    return (UnixFileMode)Convert.ToInt32(line[6..].Trim(), 8);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return (UnixFileMode)0x12; // 022
    });

    /// <summary>The name itself is a symlink (one lstat; a missing or unreadable name is not, without an exception per call).</summary>
    internal static bool IsSymlink(string path) =>
        NativePath.LStat(path, out ushort mode, out _, out _) == NativePath.StatResult.Found && (mode & 0xF000) == 0xA000; // S_IFLNK
}
