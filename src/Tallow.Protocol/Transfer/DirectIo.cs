// Direct I/O on Linux: statx(2) STATX_DIOALIGN says whether an open file takes O_DIRECT writes and
// at which alignment; fcntl(2) F_SETFL turns O_DIRECT on and off for an already open descriptor.
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Tallow.Protocol.Transfer;

internal static unsafe partial class DirectIo
{
    private const uint StatxDioAlign = 0x2000;
    private const int GetFlags = 3, SetFlags = 4;

    /// <summary>O_DIRECT differs between architectures; 0 where it is not known here.</summary>
    private static int DirectFlag => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x4000,
        Architecture.Arm64 or Architecture.Arm => 0x10000,
        _ => 0,
    };

    /// <summary>
    /// The alignment of file offsets and lengths that direct writes to this file need, or 0 when it
    /// takes none here (other systems, old kernels, file systems without direct I/O, a buffer
    /// alignment above <paramref name="bufferAlignment"/> or an offset alignment above <paramref name="maximum"/>).
    /// </summary>
    public static int OffsetAlignment(SafeFileHandle handle, int bufferAlignment, int maximum)
    {
        if (!OperatingSystem.IsLinux() || DirectFlag == 0)
        {
            return 0;
        }

        byte* statx = stackalloc byte[NativePath.StatxSize];
        if (!NativePath.Statx(handle, StatxDioAlign, statx) || (*(uint*)statx & StatxDioAlign) == 0)
        {
            return 0; // stx_mask (u32 at 0) without STATX_DIOALIGN: the kernel or file system cannot say
        }

        uint memory = *(uint*)(statx + 152), offset = *(uint*)(statx + 156); // stx_dio_mem_align, stx_dio_offset_align
        bool usable = memory != 0 && memory <= bufferAlignment && offset != 0 && offset <= maximum && uint.IsPow2(offset);
        return usable ? (int)offset : 0;
    }

    /// <summary>Turns O_DIRECT on or off for the open file; false when the file system refuses.</summary>
    public static bool TrySet(SafeFileHandle handle, bool direct)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            int fd = (int)handle.DangerousGetHandle();
            int flags = Fcntl(fd, GetFlags, 0);
            if (flags < 0)
            {
                return false;
            }

            int wanted = direct ? flags | DirectFlag : flags & ~DirectFlag;
            return wanted == flags || Fcntl(fd, SetFlags, wanted) == 0;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "fcntl")]
    private static partial int Fcntl(int fd, int command, int argument);
}
