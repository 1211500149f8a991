// An unnamed file in a folder: open(2) with O_TMPFILE (Linux ≥ 3.11; tmpfs, ext4, xfs, btrfs).
// Verified small files (FileBatch) are written into one and then given their final name with
// linkat (NativePath.Link): no part name is made, checked or removed, and a receive killed in
// between leaves nothing behind. Null where the file system or kernel does not offer it.
// Its content and time are set with one pwrite(2) loop and one futimens(2): no lseek or fstat
// per file, which RandomAccess and File.SetLastWriteTimeUtc add (strace of a 20,000-file receive).
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Tallow.Protocol.Transfer;

internal static partial class NativePath
{
    private const int TmpFileFlag = 0x400000; // __O_TMPFILE; O_TMPFILE is it together with O_DIRECTORY

    /// <summary>An unnamed, owner-only (0600) read-write file in <paramref name="directory"/> (not through a symlink); null when not supported.</summary>
    public static SafeFileHandle? OpenUnnamed(string directory)
    {
        int fd = open(directory, OReadWrite | TmpFileFlag | DirectoryFlag | NoFollowFlag | OCloExec, 0x180);
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>
    /// As above, in an open folder: no path is walked, so no symlink can lead elsewhere. The file is
    /// made with <paramref name="mode"/> (less the umask, as every file this process creates).
    /// </summary>
    public static SafeFileHandle? OpenUnnamed(SafeFileHandle directory, int mode = 0x180) =>
        OpenAtNoFollow(directory, ".", OReadWrite | TmpFileFlag | DirectoryFlag, mode, out _);

    /// <summary>Writes all of <paramref name="content"/> at offset 0; false with the errno when a write fails.</summary>
    public static unsafe bool WriteAll(SafeFileHandle file, ReadOnlySpan<byte> content, out int errno)
    {
        errno = 0;
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            int fd = (int)file.DangerousGetHandle();
            fixed (byte* start = content)
            {
                for (long done = 0; done < content.Length;)
                {
                    nint wrote = pwrite(fd, start + done, (nuint)(content.Length - done), done);
                    if (wrote <= 0)
                    {
                        errno = wrote < 0 ? Marshal.GetLastPInvokeError() : 28; // ENOSPC: no progress
                        if (errno == 4)
                        {
                            continue; // EINTR
                        }

                        return false;
                    }

                    done += wrote;
                }
            }

            return true;
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>futimens(2): the modification time (seconds), the access time left as it is; false when it failed.</summary>
    public static unsafe bool SetModified(SafeFileHandle file, long unixSeconds)
    {
        const long UtimeOmit = (1L << 30) - 2;
        long* times = stackalloc long[4] { 0, UtimeOmit, unixSeconds, 0 }; // timespec[2]: access, modification
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            return futimens((int)file.DangerousGetHandle(), times) == 0;
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static unsafe partial nint pwrite(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "futimens", SetLastError = true)]
    private static unsafe partial int futimens(int fd, long* times);
}
