// What says a file is unchanged since it was chunked, without reading it: size, modification time
// and status-change time in nanoseconds, and inode, from statx(2) of the name itself (a symlink is
// never followed). ChangedNs catches what the other three miss: a rewrite that keeps the size and
// then puts the old modification time back (touch -d, rsync --times) still sets ctime to now, and
// nothing but the kernel can set ctime.
using Microsoft.Win32.SafeHandles;
using Tallow.Protocol.Transfer;

namespace Tallow.Protocol.Sync;

public readonly record struct FileStamp(long Size, long ModifiedNs, ulong Inode, long ChangedNs)
{
    /// <summary>The stamp of the regular file named <paramref name="path"/>; false for a symlink, folder, device, pipe, a missing name or any error.</summary>
    public static bool TryOf(string path, out FileStamp stamp)
    {
        stamp = default;
        if (string.IsNullOrEmpty(path) || path.Contains('\0', StringComparison.Ordinal) || !NativePath.TryStatRegular(path, out NativePath.RegularFileInfo info))
        {
            return false;
        }

        stamp = From(info);
        return true;
    }

    /// <summary>The stamp of an open regular file; false for anything else or on error.</summary>
    internal static bool TryOf(SafeFileHandle handle, out FileStamp stamp)
    {
        stamp = default;
        if (!NativePath.TryStatRegular(handle, out NativePath.RegularFileInfo info))
        {
            return false;
        }

        stamp = From(info);
        return true;
    }

    private static FileStamp From(NativePath.RegularFileInfo info) => new(info.Size, info.ModifiedNs, info.Inode, info.ChangedNs);
}
