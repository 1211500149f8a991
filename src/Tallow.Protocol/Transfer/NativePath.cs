// realpath(3): the canonical location of a path with every symlink resolved; statx(2) of an open
// file, e.g. how many names it has (a part file with a second hard link is never written to), and
// which file (device, inode) a name or an open handle is; linkat(2) of an open file through
// /proc/self/fd, which gives a new name to exactly the file that is open, whatever its old name
// now points to.
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Tallow.Protocol.Transfer;

internal static partial class NativePath
{
    public static string? RealPath(string path)
    {
        nint resolved = realpath(path, 0);
        if (resolved == 0)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            free(resolved);
        }
    }

    /// <summary>Where an open file really is now (via /proc/self/fd: follows renames of it and its folders), or null if unknown.</summary>
    public static string? RealPathOf(SafeFileHandle handle)
    {
        try
        {
            return File.ResolveLinkTarget($"/proc/self/fd/{handle.DangerousGetHandle()}", returnFinalTarget: false)?.FullName;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The open file's number of hard links, or -1 when unknown.</summary>
    public static unsafe int LinkCount(SafeFileHandle handle)
    {
        const uint StatxNlink = 0x4;
        byte* buffer = stackalloc byte[StatxSize];
        return Statx(handle, StatxNlink, buffer) ? (int)*(uint*)(buffer + 16) : -1; // stx_nlink: u32 at 16
    }

    /// <summary>True when the path is (or, through symlinks, leads to) a regular file: not a folder, pipe, socket or device.</summary>
    public static unsafe bool IsRegularFile(string path)
    {
        const int AtFdCwd = -100;
        const uint StatxType = 0x1;
        byte* buffer = stackalloc byte[StatxSize];
        return statx(AtFdCwd, path, 0, StatxType, buffer) == 0 && (*(ushort*)(buffer + 28) & 0xF000) == 0x8000; // stx_mode: u16 at 28; S_IFREG
    }

    /// <summary>Size of the buffer for <see cref="Statx"/> (struct statx is 256 bytes).</summary>
    public const int StatxSize = 256;

    /// <summary>statx(2) of an open file into <paramref name="buffer"/> (<see cref="StatxSize"/> bytes); false on failure.</summary>
    public static unsafe bool Statx(SafeFileHandle handle, uint mask, byte* buffer)
    {
        const int AtEmptyPath = 0x1000;
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return statx((int)handle.DangerousGetHandle(), string.Empty, AtEmptyPath, mask, buffer) == 0;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Device and inode of a file: equal for two names or handles exactly when they are the same file.</summary>
    public readonly record struct FileId(ulong Device, ulong Inode);

    private const uint StatxIno = 0x100;

    /// <summary>Which file <paramref name="handle"/> is open on, or null when unknown.</summary>
    public static unsafe FileId? IdOf(SafeFileHandle handle)
    {
        byte* buffer = stackalloc byte[StatxSize];
        return Statx(handle, StatxIno, buffer) ? ReadId(buffer) : null;
    }

    /// <summary>Which file the name <paramref name="path"/> is, without following a symlink in its last component; null when there is none.</summary>
    public static unsafe FileId? IdOf(string path)
    {
        const int AtFdCwd = -100;
        const int AtSymlinkNoFollow = 0x100;
        byte* buffer = stackalloc byte[StatxSize];
        return statx(AtFdCwd, path, AtSymlinkNoFollow, StatxIno, buffer) == 0 ? ReadId(buffer) : null;
    }

    /// <summary>True when <paramref name="path"/> is, right now, a name of the file open in <paramref name="handle"/> (never through a symlink).</summary>
    public static bool Names(string path, SafeFileHandle handle) => IdOf(handle) is { } open && IdOf(path) == open;

    // stx_ino: u64 at 32; stx_dev_major, stx_dev_minor: u32 at 136 and 140.
    private static unsafe FileId ReadId(byte* buffer) => new(((ulong)*(uint*)(buffer + 136) << 32) | *(uint*)(buffer + 140), *(ulong*)(buffer + 32));

    public const int ENoEnt = 2;

    /// <summary>What <see cref="Link"/> did.</summary>
    public enum LinkResult
    {
        Linked,
        Exists,
        Unsupported,
        Failed,
    }

    /// <summary>
    /// Gives the open file the new name <paramref name="newPath"/> (linkat of the descriptor itself,
    /// else with AT_SYMLINK_FOLLOW on /proc/self/fd); never replaces an existing name, symlink or folder (<see cref="LinkResult.Exists"/>).
    /// <see cref="LinkResult.Unsupported"/>: the file system has no hard links (FAT, some network and FUSE file systems).
    /// With <paramref name="directory"/>, <paramref name="newPath"/> is a name in that open folder.
    /// </summary>
    public static LinkResult Link(SafeFileHandle handle, string newPath, out int errno, SafeFileHandle? directory = null)
    {
        const int AtFdCwd = -100;
        const int AtSymlinkFollow = 0x400, AtEmptyPath = 0x1000;
        const int EExist = 17, EPerm = 1, EMlink = 31, ENoSys = 38, EOpNotSupp = 95;
        bool added = false, folderAdded = false;
        try
        {
            handle.DangerousAddRef(ref added);
            directory?.DangerousAddRef(ref folderAdded);
            int folder = directory is null ? AtFdCwd : (int)directory.DangerousGetHandle();
            int fd = (int)handle.DangerousGetHandle();
            // linkat(fd, "", AT_EMPTY_PATH) names the open file without a path walk through /proc;
            // the kernel allows it with CAP_DAC_READ_SEARCH (or, since Linux 6.10, to the opener)
            // and otherwise says ENOENT, which is also what a file with no name left says: then
            // /proc/self/fd decides, and once it succeeds where the empty path did not, is used from then on.
            errno = -1;
            if (!EmptyPathRefused)
            {
                errno = linkat(fd, "", folder, newPath, AtEmptyPath) == 0 ? 0 : Marshal.GetLastPInvokeError();
            }

            if (errno is -1 or ENoEnt)
            {
                bool retry = errno == ENoEnt;
                errno = linkat(AtFdCwd, $"/proc/self/fd/{fd}", folder, newPath, AtSymlinkFollow) == 0 ? 0 : Marshal.GetLastPInvokeError();
                EmptyPathRefused |= retry && errno != ENoEnt;
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }

            if (folderAdded)
            {
                directory!.DangerousRelease();
            }
        }

        return errno switch
        {
            0 => LinkResult.Linked,
            EExist => LinkResult.Exists,
            EPerm or EMlink or ENoSys or EOpNotSupp => LinkResult.Unsupported,
            _ => LinkResult.Failed,
        };
    }

    /// <summary>The kernel refused linkat(fd, "", AT_EMPTY_PATH) and /proc/self/fd did the job: it is used from then on.</summary>
    internal static bool EmptyPathRefused { get; set; }

    [LibraryImport("libc", EntryPoint = "linkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int linkat(int olddirfd, string oldpath, int newdirfd, string newpath, int flags);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint realpath(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void free(nint pointer);
}
