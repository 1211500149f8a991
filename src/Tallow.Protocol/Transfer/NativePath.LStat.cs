// lstat(2) through statx(2): type, permission bits, size and modification time of a name, never
// following a symlink in its last component, and whether a failure means "no such name" or "could
// not look". The sync tree watcher (Sync/EntryState.cs) compares these fields between a walk and
// a single look at one path, so both go through this one call and always agree.
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Tallow.Protocol.Transfer;

internal static partial class NativePath
{
    /// <summary>What <see cref="LStat"/> found.</summary>
    public enum StatResult
    {
        Found,

        /// <summary>The name (or a folder on its way) does not exist.</summary>
        Missing,

        /// <summary>The name could not be looked at (permission, I/O error, name too long): its state is unknown.</summary>
        Failed,
    }

    /// <summary>statx(2) of <paramref name="path"/> without following a final symlink; mtime in nanoseconds since the Unix epoch.</summary>
    public static StatResult LStat(string path, out ushort mode, out long size, out long mtimeNanoseconds) =>
        LStat(null, path, out mode, out size, out mtimeNanoseconds);

    /// <summary>As above for a name in an open folder (no walk of the folder's path: a scan looks at many names of one folder).</summary>
    public static unsafe StatResult LStat(SafeFileHandle? folder, string path, out ushort mode, out long size, out long mtimeNanoseconds)
    {
        const int AtFdCwd = -100;
        const int AtSymlinkNoFollow = 0x100;
        const uint Mask = 0x1 | 0x2 | 0x40 | 0x200; // STATX_TYPE | STATX_MODE | STATX_MTIME | STATX_SIZE
        const int ENotDir = 20;
        byte* buffer = stackalloc byte[StatxSize];
        bool added = false;
        int result;
        try
        {
            folder?.DangerousAddRef(ref added);
            result = statxChecked(folder is null ? AtFdCwd : (int)folder.DangerousGetHandle(), path, AtSymlinkNoFollow, Mask, buffer);
        }
        finally
        {
            if (added)
            {
                folder!.DangerousRelease();
            }
        }

        if (result != 0)
        {
            mode = 0;
            size = 0;
            mtimeNanoseconds = 0;
            return Marshal.GetLastPInvokeError() is ENoEnt or ENotDir ? StatResult.Missing : StatResult.Failed;
        }

        mode = *(ushort*)(buffer + 28);                 // stx_mode: u16 at 28
        size = (long)*(ulong*)(buffer + 40);            // stx_size: u64 at 40
        mtimeNanoseconds = (*(long*)(buffer + 112) * 1_000_000_000) + *(uint*)(buffer + 120); // stx_mtime: i64 s at 112, u32 ns at 120
        return StatResult.Found;
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int statxChecked(int dirfd, string path, int flags, uint mask, byte* buffer);
}
