// Linux system calls for the relay's zero-copy forwarding (RelaySession.ZeroCopy.cs): pipe2,
// splice, fcntl, epoll and non-blocking recv/send, bound with LibraryImport (NativeAOT, no reflection). Every call reports
// failure as a negative result and an errno, never an exception; callers map EAGAIN to "wait".
using System.Runtime.InteropServices;

namespace Tallow.Relay;

internal static partial class LinuxSplice
{
    private const string Libc = "libc";

    internal const int EINTR = 4;
    internal const int EAGAIN = 11;
    internal const int EEXIST = 17;
    internal const int ENOENT = 2;

    internal const int O_NONBLOCK = 0x800;
    internal const int O_CLOEXEC = 0x80000;
    internal const int F_GETFL = 3;
    internal const int F_SETPIPE_SZ = 1031;
    internal const int F_GETPIPE_SZ = 1032;

    /// <summary>Move pages instead of copying when possible; never block on the pipe.</summary>
    internal const uint SPLICE_F_MOVE = 1;
    internal const uint SPLICE_F_NONBLOCK = 2;

    internal const int EPOLL_CLOEXEC = 0x80000;
    internal const int EPOLL_CTL_ADD = 1;
    internal const int EPOLL_CTL_DEL = 2;
    internal const int EPOLL_CTL_MOD = 3;
    internal const uint EPOLLIN = 0x001;
    internal const uint EPOLLOUT = 0x004;
    internal const uint EPOLLERR = 0x008;
    internal const uint EPOLLHUP = 0x010;
    internal const uint EPOLLRDHUP = 0x2000;
    internal const uint EPOLLONESHOT = 1u << 30;

    [LibraryImport(Libc, SetLastError = true)]
    internal static unsafe partial int pipe2(int* fds, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial nint splice(int fdIn, nint offIn, int fdOut, nint offOut, nuint length, uint flags);

    internal const int MSG_DONTWAIT = 0x40;
    internal const int MSG_NOSIGNAL = 0x4000;

    [LibraryImport(Libc, SetLastError = true)]
    internal static unsafe partial nint recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    internal static unsafe partial nint send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int fcntl(int fd, int command, int argument);

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int epoll_create1(int flags);

    [LibraryImport(Libc, SetLastError = true)]
    internal static unsafe partial int epoll_ctl(int epoll, int operation, int fd, byte* epollEvent);

    [LibraryImport(Libc, SetLastError = true)]
    internal static unsafe partial int epoll_wait(int epoll, byte* events, int maxEvents, int timeoutMs);

    /// <summary>
    /// struct epoll_event is { uint32 events; uint64 data; }: packed (12 bytes) on x86-64, naturally
    /// aligned (16 bytes, data at offset 8) elsewhere.
    /// </summary>
    internal static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private static int EpollDataOffset => EpollEventSize == 12 ? 4 : 8;

    internal static unsafe void WriteEpollEvent(byte* target, uint events, ulong data)
    {
        new Span<byte>(target, EpollEventSize).Clear();
        *(uint*)target = events;
        Unaligned.Write(target + EpollDataOffset, data);
    }

    internal static unsafe ulong ReadEpollData(byte* source) => Unaligned.Read(source + EpollDataOffset);

    internal static unsafe uint ReadEpollEvents(byte* source) => *(uint*)source;

    private static class Unaligned
    {
        internal static unsafe void Write(byte* target, ulong value) => System.Runtime.CompilerServices.Unsafe.WriteUnaligned(target, value);

        internal static unsafe ulong Read(byte* source) => System.Runtime.CompilerServices.Unsafe.ReadUnaligned<ulong>(source);
    }

    internal static int LastError => Marshal.GetLastPInvokeError();
}
