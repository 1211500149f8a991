// Files whose content is complete and verified before it is written (FileBatch, many small
// files): each is made unnamed (O_TMPFILE) in its folder and linked under its final name. The
// folder is opened once (O_DIRECTORY | O_NOFOLLOW) and its real location checked once to be in the
// output folder; every file of it is then made and named relative to that open folder, so no path
// is walked again and a folder swapped for a link meanwhile cannot lead a file elsewhere. Commit
// still checks where the open folder is (a folder moved out of the output folder is refused),
// once per group of commits (a FileBatch: RecheckFolder) rather than once per file, and the file
// is named by linkat of its descriptor. That takes a many-small-files receive from 13 system
// calls per file to 5 (no readlink of /proc/self/fd and no path walk through it, no lstat of the
// folder, no lseek/fstat, and no fchmod: the file is made with its final permission bits).
using Microsoft.Win32.SafeHandles;

namespace Tallow.Protocol.Transfer;

public sealed partial class OutputDirectory : IDisposable
{
    private SafeFileHandle? _folder;
    private string? _folderPath;
    private SafeFileHandle? _folderChecked;

    /// <summary>
    /// The next commit into the open folder checks again where that folder is; the commits after
    /// it, until this is called again, trust that check (a FileBatch's files: one readlink, not one per file).
    /// </summary>
    public void RecheckFolder() => _folderChecked = null;

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
            // Made with its final permissions where the umask leaves the owner's rw (it always
            // does in practice), so commit needs no fchmod: one system call less per small file.
            UnixFileMode permissions = Permissions(mode);
            bool modeSet = (Umask.Value & (UnixFileMode.UserRead | UnixFileMode.UserWrite)) == 0;
            if (OpenFolder(directory) is { } folder && NativePath.OpenUnnamed(folder, modeSet ? (int)permissions : 0x180) is { } handle)
            {
                string name = components[^1];
                return new PartFile(handle, SlotPaths(directory, name, 0).Part, directory, name, null, unnamed: true, folder: folder) { ModeSet = modeSet };
            }

            CloseFolder(); // e.g. the folder was removed meanwhile: the path-based way below says why
            if (NativePath.OpenUnnamed(directory) is { } unnamed)
            {
                string name = components[^1];
                return Guard(new PartFile(unnamed, SlotPaths(directory, name, 0).Part, directory, name, null, unnamed: true));
            }
        }

        return CreatePart(components, identity, notice: notice, journal: false);
    }

    /// <summary>The open folder at <paramref name="directory"/>, checked to be in the output folder; null if it cannot be opened.</summary>
    private SafeFileHandle? OpenFolder(string directory)
    {
        if (_folder is not null && directory == _folderPath)
        {
            return _folder;
        }

        CloseFolder();
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

        (_folder, _folderPath) = (folder, directory);
        return folder;
    }

    private void CloseFolder()
    {
        _folder?.Dispose();
        (_folder, _folderPath, _folderChecked) = (null, null, null);
    }

    /// <summary>Closes the folder kept open for verified files.</summary>
    public void Dispose() => CloseFolder();
}
