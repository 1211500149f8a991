// Names opened relative to an open folder, never through a symlink: open(2) of a folder with
// O_DIRECTORY | O_NOFOLLOW, openat(2) of a name in it with O_NOFOLLOW, mkdir(2) that says whether
// it made the folder, and fchown(2) of an open file. `tallow ssh invite` writes authorized_keys
// this way (Ssh/AuthorizedKeys.cs): as root for another user (--user), a symlink that user put in
// place of ~/.ssh or authorized_keys must not lead the write to another file.
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Tallow.Protocol.Transfer;

internal static partial class NativePath
{
    public const int ELoop = 40, ENotDirectory = 20, EExist = 17;

    public const int OReadWrite = 2, OCreate = 0x40, OExclusive = 0x80, OAppend = 0x400;

    /// <summary>Opens the folder <paramref name="path"/> (not a symlink to one); null with the errno otherwise.</summary>
    public static SafeFileHandle? OpenDirectoryNoFollow(string path, out int errno)
    {
        int fd = open(path, ORdOnly | DirectoryFlag | NoFollowFlag | OCloExec, 0);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>
    /// openat(2) of <paramref name="name"/> in the open folder with O_NOFOLLOW | O_NONBLOCK |
    /// O_CLOEXEC added to <paramref name="flags"/>; null with the errno when it fails (ELOOP: a symlink).
    /// </summary>
    public static SafeFileHandle? OpenAtNoFollow(SafeFileHandle directory, string name, int flags, int mode, out int errno)
    {
        bool added = false;
        try
        {
            directory.DangerousAddRef(ref added);
            int fd = openat((int)directory.DangerousGetHandle(), name, flags | NoFollowFlag | ONonBlock | OCloExec, mode);
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
            return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
        }
        finally
        {
            if (added)
            {
                directory.DangerousRelease();
            }
        }
    }

    /// <summary>mkdir(2): 0 when it made the folder, else the errno (EEXIST: something has that name already).</summary>
    public static int MakeDirectory(string path, int mode) => mkdir(path, mode) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>fchown(2) of an open file or folder; false when it failed.</summary>
    public static bool ChangeOwner(SafeFileHandle handle, uint uid, uint gid)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return fchown((int)handle.DangerousGetHandle(), uid, gid) == 0;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>fsync(2) of an open file; false when it failed.</summary>
    public static bool Sync(SafeFileHandle handle)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return fsync((int)handle.DangerousGetHandle()) == 0;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "openat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int openat(int dirfd, string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "mkdir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int mkdir(string path, int mode);

    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    private static partial int fchown(int fd, uint uid, uint gid);
}
