// An unnamed file in a folder: open(2) with O_TMPFILE (Linux ≥ 3.11; tmpfs, ext4, xfs, btrfs).
// Verified small files (FileBatch) are written into one and then given their final name with
// linkat (NativePath.Link): no part name is made, checked or removed, and a receive killed in
// between leaves nothing behind. Null where the file system or kernel does not offer it.
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
}
