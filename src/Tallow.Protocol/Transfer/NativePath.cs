// realpath(3): the canonical location of a path with every symlink resolved; statx(2) of an open
// file, e.g. how many names it has (a part file with a second hard link is never written to).
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

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint realpath(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void free(nint pointer);
}
