// rename(2) as it is: moves a name (a file, a folder, or a symlink itself, never what it points
// to) within one file system; EXDEV tells the caller to copy across file systems instead.
using System.Runtime.InteropServices;

namespace Tallow.Protocol.Transfer;

internal static partial class NativePath
{
    public const int EXDev = 18;

    /// <summary>0 when <paramref name="from"/> now has the name <paramref name="to"/>; otherwise the errno.</summary>
    public static int Rename(string from, string to) => rename(from, to) == 0 ? 0 : Marshal.GetLastPInvokeError();

    [LibraryImport("libc", EntryPoint = "rename", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int rename(string oldpath, string newpath);
}
