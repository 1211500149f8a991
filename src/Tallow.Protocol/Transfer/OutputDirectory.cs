// Writes received files inside one output directory and nowhere else (DESIGN.md §8).
// - Every component is validated by PathSanitizer before use.
// - Existing components must be real directories: a symlink is never followed.
// - Content goes to "<name>.tallow-part", created with O_EXCL (never through a link); after the
//   hash matches, the part file's real location is re-checked via /proc/self/fd and it is
//   renamed without replacing anything, unless overwriting was asked for; otherwise the
//   final name becomes "name (1).ext".
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using Tallow.Protocol.Transfer.Resume;
using Tallow.Wire;

namespace Tallow.Protocol.Transfer;

public sealed class OutputDirectory
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

    /// <summary>Creates (or accepts existing, real) directories for the given components.</summary>
    public string EnsureDirectory(IReadOnlyList<string> components)
    {
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

        return current;
    }

    /// <summary>
    /// Opens a fresh part file for the entry (replacing an old one and its sidecar); with an
    /// identity it also starts a resume sidecar. The caller writes, then calls <see cref="Commit"/>.
    /// </summary>
    public PartFile CreatePart(IReadOnlyList<string> components, byte[]? resumeIdentity = null, long expectedSize = 0)
    {
        (string directory, string partPath) = PartLocation(components);
        RemoveStale(partPath);
        RemoveStale(partPath[..^PartSuffix.Length] + ResumeSidecar.Suffix);
        SafeFileHandle handle = Open(partPath, FileMode.CreateNew, expectedSize);
        return Guard(new PartFile(handle, partPath, directory, components[^1], OpenSidecar(partPath, resumeIdentity)));
    }

    /// <summary>
    /// What this folder already holds for an offered file: the file itself under its final name
    /// (same size and modification time, as preserved by an earlier transfer), or a part file
    /// whose sidecar matches the entry and whose checkpointed prefix still hashes the same.
    /// </summary>
    public HeldContent Inspect(IReadOnlyList<string> components, OfferEntry entry, Action<string> notice)
    {
        if (!TryLocate(components, out string directory))
        {
            return HeldContent.Nothing;
        }

        string final = Path.Combine(directory, components[^1]);
        var info = new FileInfo(final);
        if (info.Exists && !IsSymlink(final) && (ulong)info.Length == entry.Size
            && SourceScanner.ToUnix(info.LastWriteTimeUtc) == entry.ModifiedUnixSeconds)
        {
            return HeldContent.CompleteAt(final);
        }

        string partPath = final + PartSuffix;
        if (!ResumeSidecar.TryRead(final + ResumeSidecar.Suffix, out ResumeCheckpoint checkpoint)
            || !CryptographicOperations.FixedTimeEquals(checkpoint.Identity, ResumeSidecar.IdentityOf(entry))
            || checkpoint.Length == 0 || (ulong)checkpoint.Length > entry.Size || IsSymlink(partPath))
        {
            return HeldContent.Nothing;
        }

        var hasher = Blake3.Hasher.New();
        try
        {
            using SafeFileHandle handle = File.OpenHandle(partPath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
            if (RandomAccess.GetLength(handle) < checkpoint.Length || NativePath.LinkCount(handle) != 1)
            {
                hasher.Dispose();
                return HeldContent.Nothing;
            }

            if (checkpoint.Length >= VerifyNoticeBytes)
            {
                notice($"checking the {checkpoint.Length / (1024 * 1024)} MiB of '{PathSanitizer.Printable(entry.Path)}' received earlier before resuming");
            }

            FileHashing.HashPrefix(handle, checkpoint.Length, hasher);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            hasher.Dispose();
            return HeldContent.Nothing;
        }

        Span<byte> prefix = stackalloc byte[32];
        hasher.Finalize(prefix);
        if (!CryptographicOperations.FixedTimeEquals(prefix, checkpoint.PrefixHash))
        {
            hasher.Dispose();
            notice($"the part of '{PathSanitizer.Printable(entry.Path)}' received earlier changed on disk: receiving it from the start");
            return HeldContent.Nothing;
        }

        return HeldContent.ResumeFrom(checkpoint.Length, hasher);
    }

    /// <summary>Reopens a part file that <see cref="Inspect"/> verified, cut back to its verified length.</summary>
    public PartFile ResumePart(IReadOnlyList<string> components, byte[] resumeIdentity, long length)
    {
        (string directory, string partPath) = PartLocation(components);
        if (IsSymlink(partPath))
        {
            throw new TallowException(FailureKind.FileSystem, $"'{PathSanitizer.Printable(partPath)}' was replaced by a link while receiving: refusing to write through it.");
        }

        SafeFileHandle handle = Open(partPath, FileMode.Open);
        if (NativePath.LinkCount(handle) != 1)
        {
            handle.Dispose();
            throw new TallowException(FailureKind.FileSystem, $"'{PathSanitizer.Printable(partPath)}' has another name (a hard link): refusing to write into it.");
        }

        var part = Guard(new PartFile(handle, partPath, directory, components[^1], OpenSidecar(partPath, resumeIdentity)));
        RandomAccess.SetLength(handle, length);
        return part;
    }

    private const long VerifyNoticeBytes = 1L << 30;

    private (string Directory, string PartPath) PartLocation(IReadOnlyList<string> components)
    {
        string directory = EnsureDirectory(components.Take(components.Count - 1).ToArray());
        return (directory, Path.Combine(directory, components[^1] + PartSuffix));
    }

    /// <summary>The folder for the components if it exists as real folders, without creating anything.</summary>
    private bool TryLocate(IReadOnlyList<string> components, out string directory)
    {
        directory = _root;
        for (int i = 0; i < components.Count - 1; i++)
        {
            directory = Path.Combine(directory, components[i]);
            if (!Directory.Exists(directory) || IsSymlink(directory))
            {
                return false;
            }
        }

        return true;
    }

    private static void RemoveStale(string path)
    {
        if (IsSymlink(path) || File.Exists(path))
        {
            File.Delete(path); // removes a link itself, never its target
        }
        else if (Directory.Exists(path))
        {
            throw new TallowException(FailureKind.FileSystem, $"'{PathSanitizer.Printable(path)}' is a folder: remove it and try again.");
        }
    }

    /// <summary>Opens a part file; a new one reserves <paramref name="preallocate"/> bytes on disk up front (fewer, larger extents, faster writes; the length stays 0).</summary>
    private static SafeFileHandle Open(string path, FileMode mode, long preallocate = 0)
    {
        try
        {
            return File.OpenHandle(path, mode, FileAccess.ReadWrite, FileShare.None, FileOptions.None, mode == FileMode.CreateNew ? Math.Max(0, preallocate) : 0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TallowException(FailureKind.FileSystem, $"cannot {(mode == FileMode.CreateNew ? "create" : "open")} '{PathSanitizer.Printable(path)}': {ex.Message}", ex);
        }
    }

    /// <summary>A fresh sidecar (never through a link); none when it cannot be made: the receive still works, it just cannot resume.</summary>
    private static ResumeJournal? OpenSidecar(string partPath, byte[]? identity)
    {
        if (identity is null)
        {
            return null;
        }

        string path = partPath[..^PartSuffix.Length] + ResumeSidecar.Suffix;
        try
        {
            RemoveStale(path);
            return new ResumeJournal(File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None), path, identity);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or TallowException)
        {
            return null;
        }
    }

    private PartFile Guard(PartFile part)
    {
        if (!IsInsideRoot(part))
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
        part.Dispose();
        part.DeleteSidecar();
        ApplyMetadata(part.PartPath, modifiedUnixSeconds, mode);
        string target = Path.Combine(part.Directory, part.FinalName);
        if (_overwrite && File.Exists(target) && !IsSymlink(target) && !Directory.Exists(target))
        {
            File.Move(part.PartPath, target, overwrite: true);
            return target;
        }

        for (int n = 0; n < 10_000; n++)
        {
            string candidate = n == 0 ? target : Path.Combine(part.Directory, NumberedName(part.FinalName, n));
            if (File.Exists(candidate) || Directory.Exists(candidate) || IsSymlink(candidate))
            {
                continue;
            }

            try
            {
                File.Move(part.PartPath, candidate, overwrite: false);
            }
            catch (IOException) when (File.Exists(candidate) || IsSymlink(candidate))
            {
                continue; // lost a race with another writer: try the next number
            }

            if (n > 0)
            {
                notice($"'{PathSanitizer.Printable(Relative(target))}' already exists: saved as '{PathSanitizer.Printable(Relative(candidate))}' (use --overwrite to replace)");
            }

            return candidate;
        }

        throw new TallowException(FailureKind.FileSystem, $"too many files named like '{PathSanitizer.Printable(part.FinalName)}' in the output folder.");
    }

    public string Relative(string path) => Path.GetRelativePath(_root, path);

    /// <summary>"name.ext" → "name (n).ext"; dot-files and names without an extension get the suffix at the end.</summary>
    public static string NumberedName(string name, int n)
    {
        int dot = name.LastIndexOf('.');
        return dot > 0 ? $"{name[..dot]} ({n}){name[dot..]}" : $"{name} ({n})";
    }

    private bool IsInsideRoot(PartFile part)
    {
        string? real = part.RealPath();
        return real is not null && real.StartsWith(_realRootPrefix, StringComparison.Ordinal);
    }

    /// <summary>
    /// The sender's modification time and permission bits (rwx for user, group, other; never
    /// set-id or sticky), limited by this process's umask like any file it creates, and always
    /// readable and writable by the owner.
    /// </summary>
    private static void ApplyMetadata(string path, long modifiedUnixSeconds, uint mode)
    {
        try
        {
            var permissions = ((UnixFileMode)(mode & 0x1FF) & ~Umask.Value) | UnixFileMode.UserRead | UnixFileMode.UserWrite;
            File.SetUnixFileMode(path, permissions);
            File.SetLastWriteTimeUtc(path, ToUtc(modifiedUnixSeconds));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // Metadata is best effort; the content is what was verified.
        }
    }

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

    private static DateTime ToUtc(long unixSeconds) => DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(unixSeconds, 0, 253_402_300_799)).UtcDateTime;

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

    internal static bool IsSymlink(string path)
    {
        try
        {
            return (File.GetAttributes(path) & FileAttributes.ReparsePoint) != 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

/// <summary>An open part file and, when it can be resumed, its sidecar journal.</summary>
public sealed class PartFile : IDisposable
{
    private readonly ResumeJournal? _journal;

    internal PartFile(SafeFileHandle handle, string partPath, string directory, string finalName, ResumeJournal? journal)
    {
        Handle = handle;
        PartPath = partPath;
        Directory = directory;
        FinalName = finalName;
        _journal = journal;
    }

    public SafeFileHandle Handle { get; }

    public string PartPath { get; }

    public string Directory { get; }

    public string FinalName { get; }

    /// <summary>Records that the first <paramref name="length"/> bytes are written and hash as <paramref name="prefix"/> so far.</summary>
    public void Checkpoint(long length, Blake3.Hasher prefix) => _journal?.Record(length, prefix);

    /// <summary>As above, with the prefix hash taken earlier (see <see cref="PartWriter"/>).</summary>
    public void Checkpoint(long length, ReadOnlySpan<byte> prefixHash) => _journal?.Record(length, prefixHash);

    /// <summary>Where the open file really is now (follows renames of its folders), or null if unknown.</summary>
    internal string? RealPath()
    {
        try
        {
            if (Handle.IsClosed)
            {
                return Path.GetFullPath(PartPath);
            }

            string link = $"/proc/self/fd/{Handle.DangerousGetHandle()}";
            return File.ResolveLinkTarget(link, returnFinalTarget: false)?.FullName;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Closes and deletes the part file and its sidecar (content that failed verification).</summary>
    public void Discard()
    {
        Dispose();
        File.Delete(PartPath);
        DeleteSidecar();
    }

    internal void DeleteSidecar()
    {
        if (_journal is not null)
        {
            _journal.Dispose();
            File.Delete(_journal.Path);
        }
    }

    public void Dispose()
    {
        Handle.Dispose();
        _journal?.Dispose();
    }
}

/// <summary>The open sidecar of a part file, rewritten in place at each checkpoint.</summary>
internal sealed class ResumeJournal(SafeFileHandle handle, string path, byte[] identity) : IDisposable
{
    public string Path { get; } = path;

    public void Record(long length, Blake3.Hasher prefix)
    {
        Span<byte> prefixHash = stackalloc byte[ResumeSidecar.HashSize];
        prefix.Finalize(prefixHash); // does not end the running hash
        Record(length, prefixHash);
    }

    public void Record(long length, ReadOnlySpan<byte> prefixHash)
    {
        try
        {
            ResumeSidecar.Write(handle, identity, length, prefixHash);
        }
        catch (IOException)
        {
            // A full disk fails the data write too; a lost checkpoint only shortens a later resume.
        }
    }

    public void Dispose() => handle.Dispose();
}

/// <summary>What the output folder already holds for one offered file.</summary>
public sealed class HeldContent
{
    public static readonly HeldContent Nothing = new(0, null, null);

    private HeldContent(long resumeLength, Blake3.Hasher? prefix, string? completePath)
    {
        ResumeLength = resumeLength;
        Prefix = prefix;
        CompletePath = completePath;
    }

    /// <summary>Verified bytes of a part file to continue from (0: start over).</summary>
    public long ResumeLength { get; }

    /// <summary>The running hash of those bytes; the receive continues it.</summary>
    public Blake3.Hasher? Prefix { get; }

    /// <summary>The file already exists under its final name with the offered size and time.</summary>
    public string? CompletePath { get; }

    internal static HeldContent CompleteAt(string path) => new(0, null, path);

    internal static HeldContent ResumeFrom(long length, Blake3.Hasher prefix) => new(length, prefix, null);
}
