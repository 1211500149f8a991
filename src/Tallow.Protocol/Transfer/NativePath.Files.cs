// The system calls sync needs beyond NativePath.cs: statx(2) of a name without following a symlink
// (size, times in nanoseconds, inode: what tells whether a file changed since it was chunked);
// open(2) with O_NOFOLLOW | O_NONBLOCK of a file that must be a regular file (a symlink in the last
// component fails with ELOOP, a FIFO put in a file's place cannot block the open, and the type is
// checked on the open handle, not on the name); fsync(2) of a folder after a rename in it.
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Tallow.Protocol.Transfer;

internal static partial class NativePath
{
    /// <summary>What statx reports of a regular file: size, modification and status-change times (ns since 1970), inode.</summary>
    internal readonly record struct RegularFileInfo(long Size, long ModifiedNs, ulong Inode, long ChangedNs);

    // STATX_TYPE | STATX_MODE | STATX_MTIME | STATX_CTIME | STATX_INO | STATX_SIZE
    private const uint StatxStampMask = 0x1 | 0x2 | 0x40 | 0x80 | 0x100 | 0x200;

    /// <summary>statx of the name itself (a symlink is not followed: it is not a regular file); false for anything but a regular file.</summary>
    public static unsafe bool TryStatRegular(string path, out RegularFileInfo info)
    {
        const int AtFdCwd = -100;
        const int AtSymlinkNoFollow = 0x100;
        byte* buffer = stackalloc byte[StatxSize];
        info = default;
        return statx(AtFdCwd, path, AtSymlinkNoFollow, StatxStampMask, buffer) == 0 && TryReadRegular(buffer, out info);
    }

    /// <summary>statx of an open file; false for anything but a regular file.</summary>
    public static unsafe bool TryStatRegular(SafeFileHandle handle, out RegularFileInfo info)
    {
        byte* buffer = stackalloc byte[StatxSize];
        info = default;
        return Statx(handle, StatxStampMask, buffer) && TryReadRegular(buffer, out info);
    }

    // struct statx: stx_mask u32 at 0, stx_mode u16 at 28, stx_ino u64 at 32, stx_size u64 at 40,
    // stx_ctime at 96 and stx_mtime at 112 (each: tv_sec i64, tv_nsec u32).
    private static unsafe bool TryReadRegular(byte* buffer, out RegularFileInfo info)
    {
        const uint Needed = 0x1 | 0x40 | 0x80 | 0x100 | 0x200;
        info = default;
        if ((*(uint*)buffer & Needed) != Needed || (*(ushort*)(buffer + 28) & 0xF000) != 0x8000)
        {
            return false;
        }

        info = new RegularFileInfo((long)*(ulong*)(buffer + 40), Nanoseconds(buffer + 112), *(ulong*)(buffer + 32), Nanoseconds(buffer + 96));
        return true;
    }

    private static unsafe long Nanoseconds(byte* timestamp) => unchecked((*(long*)timestamp * 1_000_000_000L) + *(uint*)(timestamp + 8));

    private const int ORdOnly = 0, ONonBlock = 0x800, OCloExec = 0x80000;

    /// <summary>O_NOFOLLOW and O_DIRECTORY differ between architectures (asm-generic and x86 against arm).</summary>
    private static int NoFollowFlag => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

    private static int DirectoryFlag => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x4000 : 0x10000;

    /// <summary>
    /// Opens <paramref name="path"/> for reading only if its last component is a regular file, not a
    /// symlink (O_NOFOLLOW), without blocking on a FIFO (O_NONBLOCK); null otherwise or on any error.
    /// </summary>
    public static SafeFileHandle? OpenRegularNoFollow(string path)
    {
        int fd = open(path, ORdOnly | ONonBlock | NoFollowFlag | OCloExec, 0);
        if (fd < 0)
        {
            return null;
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (!TryStatRegular(handle, out _))
        {
            handle.Dispose();
            return null;
        }

        return handle;
    }

    /// <summary>
    /// open(2) for reading, without blocking on a FIFO put in a file's place (O_NONBLOCK; reading
    /// it then fails). File.OpenHandle adds an flock and an fstat on open and an flock on close:
    /// three more system calls per file of a many-small-files send.
    /// </summary>
    public static SafeFileHandle OpenForReading(string path)
    {
        const int EAccess = 13, EPerm = 1;
        int fd = open(path, ORdOnly | ONonBlock | OCloExec, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            string message = Marshal.GetPInvokeErrorMessage(errno);
            throw errno is EAccess or EPerm ? new UnauthorizedAccessException(message) : new IOException(message);
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>
    /// Reads from <paramref name="offset"/> until <paramref name="destination"/> is full or the
    /// file ends and returns how many bytes were read, with pread(2): RandomAccess.Read first asks
    /// every new handle whether it can seek (an lseek per file of a many-small-files send). A
    /// failed read throws IOException.
    /// </summary>
    public static unsafe int ReadUpTo(SafeFileHandle file, Span<byte> destination, long offset = 0)
    {
        const int EIntr = 4;
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            int fd = (int)file.DangerousGetHandle();
            int filled = 0;
            fixed (byte* start = destination)
            {
                while (filled < destination.Length)
                {
                    nint n = pread(fd, start + filled, (nuint)(destination.Length - filled), offset + filled);
                    if (n < 0 && Marshal.GetLastPInvokeError() is int errno)
                    {
                        if (errno == EIntr)
                        {
                            continue;
                        }

                        throw new IOException(Marshal.GetPInvokeErrorMessage(errno));
                    }

                    if (n == 0)
                    {
                        break;
                    }

                    filled += (int)n;
                }
            }

            return filled;
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>fsync(2) of a folder, so a rename in it survives a crash; false when the folder cannot be opened or synced.</summary>
    public static bool SyncDirectory(string path)
    {
        int fd = open(path, ORdOnly | DirectoryFlag | OCloExec, 0);
        if (fd < 0)
        {
            return false;
        }

        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        return fsync(fd) == 0;
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static unsafe partial nint pread(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int fsync(int fd);
}
