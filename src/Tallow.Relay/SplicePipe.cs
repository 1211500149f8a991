// One direction's kernel pipe for zero-copy forwarding (RelaySession.ZeroCopy.cs): socket → pipe →
// socket with splice(2), so the bytes never enter user space and the relay holds no buffer for
// them. The pipe is the direction's only buffer: a full pipe stops reading from the source until
// the destination takes its bytes, which is the relay's back-pressure. It starts at the kernel's
// default (64 KiB) and grows once to 1 MiB when a read fills half of it (a bulk transfer): about
// 16 times fewer splice calls per byte (1 GiB: ~2,150 calls instead of ~33,000). Grown pipes share
// a process-wide budget (GrownBudget), so thousands of bulk pairs cannot pin more than that in
// the kernel beyond 64 KiB each; past the budget a pipe simply stays small. A direction holds a pipe only
// while bytes move: waiting for its peer to send, it gives the (empty) pipe back to a small pool
// (Rent/Release), so idle pairs hold no pipe and no descriptors beyond their sockets. When no pipe
// can be made (out of descriptors), Rent hands out a user-space buffer (CopyBuffers: 64 KiB within
// the relay-wide budget, else 16 KiB) with the same interface (recv/send instead of splice), so a
// direction never stalls for want of a pipe.
using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Tallow.Relay;

internal sealed class SplicePipe : IDisposable
{
    /// <summary>A splice reached the end of the source stream.</summary>
    public const long EndOfStream = 0;

    /// <summary>A splice could not move anything now (EAGAIN): wait for readiness and retry.</summary>
    public const long WouldBlock = -1;

    /// <summary>Capacity of a grown pipe (the default pipe-max-size, so no privilege is needed).</summary>
    public const int BulkCapacity = 1 << 20;

    /// <summary>Bytes of grown pipes the whole relay may hold at once (64 bulk directions at 1 MiB).</summary>
    public const long GrownBudget = 64L << 20;

    /// <summary>Empty pipes kept for reuse; more are closed (each costs two descriptors).</summary>
    public const int MaxPooled = 64;

    private static readonly ConcurrentStack<SplicePipe> s_pool = new();
    private static int s_pooled;
    private static long s_grownBytes;

    /// <summary>Size asked for the user-space buffer used when no pipe can be made.</summary>
    public const int FallbackCapacity = 64 * 1024;

    private readonly int _read;
    private readonly int _write;
    private readonly byte[]? _bytes; // the fallback buffer (no pipe)
    private int _offset; // of the fallback buffer's first unsent byte
    private int _disposed;
    private long _grownBy;

    private SplicePipe(int read, int write, int capacity)
    {
        _read = read;
        _write = write;
        Capacity = capacity;
    }

    private SplicePipe(byte[] bytes)
    {
        _read = _write = -1;
        _bytes = bytes;
        Capacity = bytes.Length;
    }

    /// <summary>False for the user-space fallback buffer.</summary>
    public bool IsKernelPipe => _bytes is null;

    /// <summary>The pipe's capacity in bytes (F_GETPIPE_SZ); smaller when the user's pipe budget is spent.</summary>
    public int Capacity { get; private set; }

    /// <summary>Bytes of grown pipes held by the relay now (GrownBudget bounds it).</summary>
    public static long GrownBytes => Interlocked.Read(ref s_grownBytes);

    /// <summary>Bytes read from the source and not yet written to the destination.</summary>
    public long Buffered { get; private set; }

    /// <summary>An empty pipe from the pool or a new one; the user-space fallback when none can be made (out of descriptors).</summary>
    public static SplicePipe Rent()
    {
        if (s_pool.TryPop(out SplicePipe? pipe))
        {
            Interlocked.Decrement(ref s_pooled);
            return pipe;
        }

        return TryCreate() ?? Fallback();
    }

    /// <summary>A user-space buffer with the pipe's interface (what Rent gives when no pipe can be made).</summary>
    public static SplicePipe Fallback() => new(CopyBuffers.Rent(FallbackCapacity));

    /// <summary>A user-space buffer already holding <paramref name="bytes"/>, to be drained like a filled pipe.</summary>
    public static SplicePipe Holding(ReadOnlySpan<byte> bytes)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes.Length, CopyBuffers.Floor); // the control phase's read-ahead (2 KiB)
        var buffer = new SplicePipe(CopyBuffers.Rent(FallbackCapacity));
        bytes.CopyTo(buffer._bytes);
        buffer.Buffered = bytes.Length;
        return buffer;
    }

    /// <summary>Gives an empty pipe back to the pool (or closes it); a pipe still holding bytes is closed.</summary>
    public void Release()
    {
        if (_bytes is null && Buffered == 0 && Volatile.Read(ref _disposed) == 0 && Interlocked.Increment(ref s_pooled) <= MaxPooled)
        {
            s_pool.Push(this);
            return;
        }

        if (_bytes is null && Buffered == 0 && Volatile.Read(ref _disposed) == 0)
        {
            Interlocked.Decrement(ref s_pooled);
        }

        Dispose();
    }

    /// <summary>A non-blocking pipe, or null when this system cannot splice (not Linux, no libc, out of descriptors).</summary>
    public static unsafe SplicePipe? TryCreate()
    {
        if (!OperatingSystem.IsLinux() || !SocketReadiness.Available)
        {
            return null;
        }

        int* fds = stackalloc int[2];
        if (LinuxSplice.pipe2(fds, LinuxSplice.O_NONBLOCK | LinuxSplice.O_CLOEXEC) < 0)
        {
            return null;
        }

        int capacity = LinuxSplice.fcntl(fds[1], LinuxSplice.F_GETPIPE_SZ, 0);
        return new SplicePipe(fds[0], fds[1], capacity > 0 ? capacity : 4096);
    }

    /// <summary>Whether the socket's descriptor is non-blocking (.NET makes it so for async I/O); splice must never block a thread.</summary>
    public static bool IsNonBlocking(Socket socket)
    {
        SafeSocketHandle handle = socket.SafeHandle;
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            int flags = LinuxSplice.fcntl((int)handle.DangerousGetHandle(), LinuxSplice.F_GETFL, 0);
            return flags >= 0 && (flags & LinuxSplice.O_NONBLOCK) != 0;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Moves what the source socket has (up to the pipe's free space) into the pipe: bytes moved, EndOfStream or WouldBlock.</summary>
    public long Fill(SafeSocketHandle source)
    {
        long moved = Transfer(source, toSocket: false, (nuint)(Capacity - Buffered));
        if (moved > 0)
        {
            Buffered += moved;
            // "Full" is approximate: a pipe holds 16 slots and a socket's data need not fill whole pages,
            // so a read that took half the capacity already means the source has more than we take.
            if (_bytes is null && Buffered >= Capacity / 2 && _grownBy == 0 && Capacity < BulkCapacity)
            {
                Grow();
            }
        }

        return moved;
    }

    /// <summary>Grows the pipe to BulkCapacity when the budget allows; a refusal (budget, EPERM, EBUSY) leaves it as it is.</summary>
    private void Grow()
    {
        long extra = BulkCapacity - Capacity;
        if (Interlocked.Add(ref s_grownBytes, extra) > GrownBudget)
        {
            Interlocked.Add(ref s_grownBytes, -extra);
            _grownBy = -1; // do not try again
            return;
        }

        int capacity = LinuxSplice.fcntl(_write, LinuxSplice.F_SETPIPE_SZ, BulkCapacity);
        if (capacity < Capacity)
        {
            Interlocked.Add(ref s_grownBytes, -extra);
            _grownBy = -1;
            return;
        }

        _grownBy = extra;
        Capacity = capacity;
    }

    /// <summary>Moves buffered bytes to the destination socket: bytes moved, or WouldBlock.</summary>
    public long Drain(SafeSocketHandle destination)
    {
        long moved = Transfer(destination, toSocket: true, (nuint)Buffered);
        if (moved > 0)
        {
            Buffered -= moved;
            _offset = Buffered == 0 ? 0 : _offset + (int)moved;
        }

        return moved;
    }

    /// <summary>
    /// One splice between the socket and our pipe end (or recv/send with the fallback buffer). The
    /// socket's descriptor is referenced for the call, so it cannot be closed (and its number reused)
    /// meanwhile; a closed socket throws ObjectDisposedException, any other failure than EAGAIN an
    /// IOException.
    /// </summary>
    private unsafe long Transfer(SafeSocketHandle socket, bool toSocket, nuint length)
    {
        bool added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            int fd = (int)socket.DangerousGetHandle();
            while (true)
            {
                nint moved;
                if (_bytes is null)
                {
                    moved = toSocket
                        ? LinuxSplice.splice(_read, 0, fd, 0, length, LinuxSplice.SPLICE_F_MOVE | LinuxSplice.SPLICE_F_NONBLOCK)
                        : LinuxSplice.splice(fd, 0, _write, 0, length, LinuxSplice.SPLICE_F_MOVE | LinuxSplice.SPLICE_F_NONBLOCK);
                }
                else
                {
                    fixed (byte* bytes = _bytes)
                    {
                        moved = toSocket
                            ? LinuxSplice.send(fd, bytes + _offset, length, LinuxSplice.MSG_DONTWAIT | LinuxSplice.MSG_NOSIGNAL)
                            : LinuxSplice.recv(fd, bytes + Buffered, length, LinuxSplice.MSG_DONTWAIT);
                    }
                }

                if (moved >= 0)
                {
                    return moved;
                }

                int errno = LinuxSplice.LastError;
                if (errno == LinuxSplice.EAGAIN)
                {
                    return WouldBlock;
                }

                if (errno != LinuxSplice.EINTR)
                {
                    // ECONNRESET, EPIPE and the like: the connection failed; the room closes.
                    throw new IOException($"{(_bytes is null ? "splice" : toSocket ? "send" : "recv")} failed (errno {errno})");
                }
            }
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            if (_grownBy > 0)
            {
                Interlocked.Add(ref s_grownBytes, -_grownBy);
            }

            if (_bytes is not null)
            {
                CopyBuffers.Return(_bytes);
                return;
            }

            _ = LinuxSplice.close(_read);
            _ = LinuxSplice.close(_write);
        }
    }
}
