// Files whose content is complete and verified before it is written (FileBatch, many small
// files): each is made unnamed (O_TMPFILE) in its folder and linked under its final name, so the
// only name it ever has is the final one. A batch (SaveVerified) first makes, opens
// (O_DIRECTORY | O_NOFOLLOW) and checks each of its folders once, one at a time: its real
// location must be in the output folder. Then several threads make, write, date and name the
// files at once, every step a system call on the file's own descriptor and its open folder
// (openat O_TMPFILE, pwrite, futimens, linkat of the descriptor, close): no path is walked, so a
// folder swapped for a link meanwhile cannot lead a file elsewhere, and a folder moved out of the
// output folder is caught at the next batch. A receive of 100,000 small files went from 13
// system calls per file, one file at a time, to 5, several files at a time.
// Where that is not possible (--overwrite may replace a name; a file system without O_TMPFILE),
// each file takes the one-by-one way: CreateVerified, then Commit.
using Microsoft.Win32.SafeHandles;
using Tallow.Protocol.Transfer.Resume;
using Tallow.Wire;

namespace Tallow.Protocol.Transfer;

/// <summary>
/// A verified file of a batch: where it goes (offered path components), its content and its
/// offer entry (metadata; its resume identity is made only where the one-by-one way needs it, to
/// recognise a stale part file).
/// </summary>
public readonly record struct VerifiedFile(string[] Components, ReadOnlyMemory<byte> Content, OfferEntry Entry);

/// <summary>What became of one file of a batch: the path it was saved under, or why it was not; and its notices.</summary>
public readonly record struct SavedFile(string? Path, TallowException? Failure, List<string>? Notices);

public sealed partial class OutputDirectory : IDisposable
{
    /// <summary>Threads that save a batch's files at once (file creation is system calls: it scales with cores).</summary>
    private static readonly int SaveWorkers = Math.Clamp(Environment.ProcessorCount, 1, 4);

    private SafeFileHandle? _folder;
    private string? _folderPath;

    /// <summary>
    /// Saves a batch of verified files, each as <see cref="CreateVerified"/>, a write and
    /// <see cref="Commit"/> would, and returns what became of each, in order. A folder that is
    /// not a plain folder in the output folder fails the whole batch (thrown).
    /// </summary>
    public SavedFile[] SaveVerified(IReadOnlyList<VerifiedFile> files)
    {
        var results = new SavedFile[files.Count];
        var directories = new string[files.Count];
        var folders = new SafeFileHandle?[files.Count];
        for (int start = 0; start < files.Count;)
        {
            start = SaveWindow(files, start, directories, folders, results);
        }

        return results;
    }

    /// <summary>At most this many folders are open at once for a batch (then its next files are a new window).</summary>
    private const int MaxOpenFolders = 64;

    /// <summary>
    /// The files from <paramref name="start"/> on whose folders fit in <see cref="MaxOpenFolders"/>:
    /// their folders made, opened and checked one at a time, then the files saved in parallel.
    /// Returns where the next window starts.
    /// </summary>
    private int SaveWindow(IReadOnlyList<VerifiedFile> files, int start, string[] directories, SafeFileHandle?[] folders, SavedFile[] results)
    {
        var opened = new List<SafeFileHandle>();
        int end = start;
        try
        {
            for (; end < files.Count; end++)
            {
                string[] components = files[end].Components;
                directories[end] = end > start && InSameFolder(components, files[end - 1].Components)
                    ? directories[end - 1] // made and checked for the file before; its open folder is checked below
                    : EnsureDirectory(new ArraySegment<string>(components, 0, components.Length - 1));
                if (_overwrite || (end > start && directories[end] == directories[end - 1]))
                {
                    folders[end] = _overwrite ? null : folders[end - 1];
                    continue;
                }

                if (opened.Count == MaxOpenFolders)
                {
                    break;
                }

                folders[end] = OpenCheckedFolder(directories[end]);
                if (folders[end] is { } folder)
                {
                    opened.Add(folder);
                }
            }

            int count = end - start;
            if (count >= 16 && SaveWorkers > 1)
            {
                Parallel.For(start, end, new ParallelOptions { MaxDegreeOfParallelism = SaveWorkers }, i =>
                    results[i] = folders[i] is { } folder ? SaveInFolder(files[i], directories[i], folder) : default);
            }
            else
            {
                for (int i = start; i < end; i++)
                {
                    results[i] = folders[i] is { } folder ? SaveInFolder(files[i], directories[i], folder) : default;
                }
            }

            for (int i = start; i < end; i++)
            {
                if (results[i] == default)
                {
                    results[i] = SaveOneByOne(files[i]); // no open folder (or O_TMPFILE refused there): it uses this object's state, so one at a time
                }
            }
        }
        finally
        {
            opened.ForEach(folder => folder.Dispose());
        }

        return end;
    }

    /// <summary>Whether two offered paths have the same folder components (offered paths share their strings, so this is mostly reference checks).</summary>
    private static bool InSameFolder(string[] a, string[] b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (int i = 0; i < a.Length - 1; i++)
        {
            if (!string.Equals(a[i], b[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One file made unnamed in its open, checked folder and named there; default when it cannot be made there.</summary>
    private SavedFile SaveInFolder(VerifiedFile file, string directory, SafeFileHandle folder)
    {
        (UnixFileMode permissions, bool modeSet) = CreationMode(file.Entry.Mode);
        if (NativePath.OpenUnnamed(folder, modeSet ? (int)permissions : 0x180) is not { } handle)
        {
            return default;
        }

        string name = file.Components[^1];
        var part = new PartFile(handle, null, directory, name, null, unnamed: true, folder: folder) { ModeSet = modeSet };
        List<string>? notices = null;
        try
        {
            Write(part, file.Content.Span);
            return new SavedFile(Name(part, file.Entry.ModifiedUnixSeconds, file.Entry.Mode, notice => (notices ??= []).Add(notice)), null, notices);
        }
        catch (Exception ex) when (ex is TallowException or IOException or UnauthorizedAccessException)
        {
            part.Dispose();
            return Failed(ex, name, notices);
        }
    }

    private SavedFile SaveOneByOne(VerifiedFile file)
    {
        List<string>? notices = null;
        Action<string> notice = text => (notices ??= []).Add(text);
        try
        {
            PartFile part = CreateVerified(file.Components, ResumeSidecar.IdentityOf(file.Entry), file.Entry.Mode, notice);
            Write(part, file.Content.Span);
            return new SavedFile(Commit(part, file.Entry.ModifiedUnixSeconds, file.Entry.Mode, notice), null, notices);
        }
        catch (Exception ex) when (ex is TallowException or IOException or UnauthorizedAccessException)
        {
            return Failed(ex, file.Components[^1], notices);
        }
    }

    /// <summary>A file that could not be saved: the error as the receive reports it (a file system failure).</summary>
    private static SavedFile Failed(Exception ex, string name, List<string>? notices) =>
        new(null, ex as TallowException ?? new TallowException(FailureKind.FileSystem, $"cannot save '{PathSanitizer.Printable(name)}': {ex.Message}", ex), notices);

    private static void Write(PartFile part, ReadOnlySpan<byte> content)
    {
        if (!NativePath.WriteAll(part.Handle, content, out int errno))
        {
            part.Discard();
            throw ContentSinks.WriteFailed(part, new IOException(System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)));
        }
    }

    /// <summary>
    /// A new file's permission bits, and whether it can be made with them: where the umask leaves
    /// the owner's rw (it always does in practice), so commit needs no fchmod.
    /// </summary>
    private static (UnixFileMode Permissions, bool ModeSet) CreationMode(uint mode) =>
        (Permissions(mode), (Umask.Value & (UnixFileMode.UserRead | UnixFileMode.UserWrite)) == 0);

    /// <summary>
    /// A file for verified content: unnamed in the entry's open folder; where that is not
    /// available, or an existing name may be replaced (--overwrite renames a part name), a part
    /// file as <see cref="CreatePart"/> makes it, without a sidecar.
    /// </summary>
    public PartFile CreateVerified(IReadOnlyList<string> components, byte[] identity, uint mode, Action<string> notice)
    {
        if (!_overwrite)
        {
            string directory = EnsureDirectory(components.Take(components.Count - 1).ToArray());
            (UnixFileMode permissions, bool modeSet) = CreationMode(mode);
            if (OpenFolder(directory) is { } folder && NativePath.OpenUnnamed(folder, modeSet ? (int)permissions : 0x180) is { } handle)
            {
                string name = components[^1];
                return new PartFile(handle, null, directory, name, null, unnamed: true, folder: folder) { ModeSet = modeSet };
            }

            CloseFolder(); // e.g. the folder was removed meanwhile: the path-based way below says why
            if (NativePath.OpenUnnamed(directory) is { } unnamed)
            {
                string name = components[^1];
                return Guard(new PartFile(unnamed, null, directory, name, null, unnamed: true));
            }
        }

        return CreatePart(components, identity, notice: notice, journal: false);
    }

    /// <summary>The open folder at <paramref name="directory"/>, kept for the next file; null if it cannot be opened.</summary>
    private SafeFileHandle? OpenFolder(string directory)
    {
        if (_folder is not null && directory == _folderPath)
        {
            return _folder;
        }

        CloseFolder();
        if (OpenCheckedFolder(directory) is not { } folder)
        {
            return null;
        }

        (_folder, _folderPath) = (folder, directory);
        return folder;
    }

    /// <summary>The folder at <paramref name="directory"/> opened and checked to be in the output folder; null if it cannot be opened.</summary>
    private SafeFileHandle? OpenCheckedFolder(string directory)
    {
        SafeFileHandle? folder = NativePath.OpenDirectoryNoFollow(directory, out _);
        if (folder is null)
        {
            return null;
        }

        string? real = NativePath.RealPathOf(folder);
        if (!IsInsideRoot(real is null ? null : real + "/"))
        {
            folder.Dispose();
            throw new TallowException(FailureKind.FileSystem, "refusing to write outside the output folder (a folder was replaced by a link while receiving).");
        }

        return folder;
    }

    private void CloseFolder()
    {
        _folder?.Dispose();
        (_folder, _folderPath) = (null, null);
    }

    /// <summary>Closes the folder kept open for verified files.</summary>
    public void Dispose() => CloseFolder();
}
