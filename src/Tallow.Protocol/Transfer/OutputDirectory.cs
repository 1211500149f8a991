// Writes received files inside one output directory and nowhere else (DESIGN.md §8).
// - Every component is validated by PathSanitizer before use.
// - Existing components must be real directories: a symlink is never followed.
// - Content goes to "<name>.tallow-part", created with O_EXCL (never through a link); after the
//   hash matches, the part file's real location is re-checked via /proc/self/fd and it is
//   renamed without replacing anything, unless overwriting was asked for; otherwise the
//   final name becomes "name (1).ext".
using Microsoft.Win32.SafeHandles;

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

    /// <summary>Opens a fresh part file for the entry; the caller writes, then calls <see cref="Commit"/>.</summary>
    public PartFile CreatePart(IReadOnlyList<string> components)
    {
        string directory = EnsureDirectory(components.Take(components.Count - 1).ToArray());
        string finalName = components[^1];
        string partPath = Path.Combine(directory, finalName + PartSuffix);
        if (IsSymlink(partPath) || File.Exists(partPath))
        {
            if (Directory.Exists(partPath) && !IsSymlink(partPath))
            {
                throw new TallowException(FailureKind.FileSystem, $"'{PathSanitizer.Printable(partPath)}' is a folder: remove it and try again.");
            }

            File.Delete(partPath); // removes a link itself, never its target
        }

        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(partPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.None);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TallowException(FailureKind.FileSystem, $"cannot create '{PathSanitizer.Printable(partPath)}': {ex.Message}", ex);
        }

        var part = new PartFile(handle, partPath, directory, finalName);
        if (!IsInsideRoot(part))
        {
            part.Dispose();
            File.Delete(partPath);
            throw new TallowException(FailureKind.FileSystem, "refusing to write outside the output folder (a folder was replaced by a link while receiving).");
        }

        return part;
    }

    /// <summary>Gives the verified part file its final name and returns the path used.</summary>
    public string Commit(PartFile part, long modifiedUnixSeconds, uint mode, Action<string> notice)
    {
        if (!IsInsideRoot(part))
        {
            part.Dispose();
            File.Delete(part.PartPath);
            throw new TallowException(FailureKind.FileSystem, "refusing to write outside the output folder (a folder was replaced by a link while receiving).");
        }

        part.Dispose();
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

    private static void ApplyMetadata(string path, long modifiedUnixSeconds, uint mode)
    {
        try
        {
            var permissions = (UnixFileMode)(mode & 0x1FF) | UnixFileMode.UserRead | UnixFileMode.UserWrite;
            File.SetUnixFileMode(path, permissions);
            File.SetLastWriteTimeUtc(path, DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(modifiedUnixSeconds, 0, 253_402_300_799)).UtcDateTime);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // Metadata is best effort; the content is what was verified.
        }
    }

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

/// <summary>An open, exclusively created part file.</summary>
public sealed class PartFile : IDisposable
{
    internal PartFile(SafeFileHandle handle, string partPath, string directory, string finalName)
    {
        Handle = handle;
        PartPath = partPath;
        Directory = directory;
        FinalName = finalName;
    }

    public SafeFileHandle Handle { get; }

    public string PartPath { get; }

    public string Directory { get; }

    public string FinalName { get; }

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

    public void Dispose() => Handle.Dispose();
}
