// Waits until a socket is readable or writable for the relay's zero-copy forwarding
// (RelaySession.ZeroCopy.cs), and runs the forwarding right there. .NET has no "wait until
// writable" (a zero-byte send completes at once), and its own readiness path costs two thread
// hops per wait (its epoll thread, then a pool worker): on a virtual machine those context
// switches were more than half of the relay's CPU per GiB. So a few loops run their own epoll set
// each, and a completed wait continues the awaiting forwarding loop inline on the loop's thread:
// one wake-up per wait, no hand-over. The forwarding only does non-blocking splices between
// waits; whatever may block (closing, logging) hops to the thread pool first.
//
// Each socket has one Registration, shared by the direction that reads from it and the one that
// writes to it (an fd can be in an epoll set once). A wait arms the socket with the union of what
// its waiters want, EPOLLONESHOT (ADD the first time, MOD after); an event completes the waiters it
// satisfies and re-arms for the rest. Errors and hang-ups complete every waiter: the caller retries
// its splice and sees the real outcome. Spurious completions are harmless for the same reason.
using System.Net.Sockets;

namespace Tallow.Relay;

internal sealed class SocketReadiness
{
    private const int MaxEvents = 64;

    private static readonly Lazy<SocketReadiness[]?> s_loops = new(CreateLoops, LazyThreadSafetyMode.ExecutionAndPublication);
    private static int s_nextLoop;

    private readonly int _epoll;

    // Registrations in this loop's set, by the id in their epoll data; removed by Forget.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, Registration> _registered = new();

    private SocketReadiness(int epoll, int index)
    {
        _epoll = epoll;
        var thread = new Thread(Run) { IsBackground = true, Name = $"relay splice {index}" };
        thread.Start();
    }

    /// <summary>Whether zero-copy forwarding can wait for readiness here (Linux with epoll); else the relay copies.</summary>
    public static bool Available => s_loops.Value is not null;

    /// <summary>Whether <paramref name="fd"/> is one of the loops' epoll descriptors.</summary>
    public static bool OwnsEpoll(int fd) => s_loops.Value?.Any(loop => loop._epoll == fd) == true;

    /// <summary>One loop per two cores (at least 1, at most 8): enough threads to splice in parallel, few enough to batch wake-ups.</summary>
    private static SocketReadiness[]? CreateLoops()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            var loops = new SocketReadiness[Math.Clamp(Environment.ProcessorCount / 2, 1, 8)];
            for (int i = 0; i < loops.Length; i++)
            {
                int epoll = LinuxSplice.epoll_create1(LinuxSplice.EPOLL_CLOEXEC);
                if (epoll < 0)
                {
                    return null;
                }

                loops[i] = new SocketReadiness(epoll, i);
            }

            return loops;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Completes when the socket is readable (<paramref name="write"/> false: bytes, EOF or an error)
    /// or writable (true), or throws when <paramref name="token"/> is cancelled. Completion runs the
    /// awaiting code inline on the loop's thread. One reader and one writer per socket at a time.
    /// </summary>
    public static async Task WaitAsync(Registration socket, bool write, CancellationToken token)
    {
        var waiter = new TaskCompletionSource(); // no RunContinuationsAsynchronously: the forwarding continues on the loop
        lock (socket)
        {
            ObjectDisposedException.ThrowIf(socket.Forgotten, socket);
            ref TaskCompletionSource? slot = ref write ? ref socket.Writer : ref socket.Reader;
            if (slot is not null)
            {
                throw new InvalidOperationException("a socket has one reader and one writer at a time");
            }

            slot = waiter;
            try
            {
                (socket.Loop ??= NextLoop()).Arm(socket);
            }
            catch
            {
                slot = null;
                throw;
            }
        }

        using (token.UnsafeRegister(static (state, token) =>
        {
            (Registration socket, TaskCompletionSource waiter) = ((Registration, TaskCompletionSource))state!;
            lock (socket)
            {
                if (socket.Reader == waiter)
                {
                    socket.Reader = null;
                }

                if (socket.Writer == waiter)
                {
                    socket.Writer = null;
                }
            }

            waiter.TrySetCanceled(token);
        }, (socket, waiter)))
        {
            await waiter.Task.ConfigureAwait(false);
        }
    }

    /// <summary>Takes the socket out of its loop before it is closed; any later wait throws ObjectDisposedException.</summary>
    public static void Forget(Registration socket)
    {
        TaskCompletionSource? reader;
        TaskCompletionSource? writer;
        lock (socket)
        {
            socket.Forgotten = true;
            (reader, writer) = (socket.Reader, socket.Writer);
            socket.Reader = socket.Writer = null;
            socket.Loop?.Remove(socket);
        }

        // Waiters wake up to a failing splice (or their closed token), never hang.
        reader?.TrySetResult();
        writer?.TrySetResult();
    }

    private static SocketReadiness NextLoop()
    {
        SocketReadiness[] loops = s_loops.Value ?? throw new PlatformNotSupportedException("epoll is not available");
        return loops[(uint)Interlocked.Increment(ref s_nextLoop) % (uint)loops.Length];
    }

    // Called under the registration's lock.
    private unsafe void Arm(Registration socket)
    {
        uint events = (socket.Reader is null ? 0 : LinuxSplice.EPOLLIN | LinuxSplice.EPOLLRDHUP)
            | (socket.Writer is null ? 0 : LinuxSplice.EPOLLOUT) | LinuxSplice.EPOLLONESHOT;
        bool added = false;
        try
        {
            socket.Handle.DangerousAddRef(ref added); // throws ObjectDisposedException once the socket is closed
            int fd = (int)socket.Handle.DangerousGetHandle();
            byte* ev = stackalloc byte[16];
            LinuxSplice.WriteEpollEvent(ev, events, socket.Id);
            if (!socket.InSet)
            {
                _registered[socket.Id] = socket;
            }

            int operation = socket.InSet ? LinuxSplice.EPOLL_CTL_MOD : LinuxSplice.EPOLL_CTL_ADD;
            if (LinuxSplice.epoll_ctl(_epoll, operation, fd, ev) < 0)
            {
                int errno = LinuxSplice.LastError;
                int retry = errno == LinuxSplice.EEXIST ? LinuxSplice.EPOLL_CTL_MOD : errno == LinuxSplice.ENOENT ? LinuxSplice.EPOLL_CTL_ADD : 0;
                if (retry == 0 || LinuxSplice.epoll_ctl(_epoll, retry, fd, ev) < 0)
                {
                    throw new IOException($"epoll_ctl failed (errno {LinuxSplice.LastError})");
                }
            }

            socket.InSet = true;
        }
        finally
        {
            if (added)
            {
                socket.Handle.DangerousRelease();
            }
        }
    }

    // Called under the registration's lock.
    private unsafe void Remove(Registration socket)
    {
        _registered.TryRemove(socket.Id, out _);
        if (!socket.InSet)
        {
            return;
        }

        socket.InSet = false;
        bool added = false;
        try
        {
            socket.Handle.DangerousAddRef(ref added);
            byte* unused = stackalloc byte[16];
            _ = LinuxSplice.epoll_ctl(_epoll, LinuxSplice.EPOLL_CTL_DEL, (int)socket.Handle.DangerousGetHandle(), unused);
        }
        catch (ObjectDisposedException)
        {
            // Closed: the kernel dropped it from the set with its last descriptor.
        }
        finally
        {
            if (added)
            {
                socket.Handle.DangerousRelease();
            }
        }
    }

    private unsafe void Run()
    {
        byte* events = stackalloc byte[MaxEvents * 16];
        while (true)
        {
            int count = LinuxSplice.epoll_wait(_epoll, events, MaxEvents, -1);
            if (count < 0)
            {
                if (LinuxSplice.LastError != LinuxSplice.EINTR)
                {
                    // Should not happen with a valid epoll descriptor; wake everyone so they fail or retry rather than hang.
                    foreach (Registration socket in _registered.Values)
                    {
                        Complete(socket, uint.MaxValue);
                    }

                    Thread.Sleep(100);
                }

                continue;
            }

            for (int i = 0; i < count; i++)
            {
                byte* ev = events + (i * LinuxSplice.EpollEventSize);
                if (_registered.TryGetValue(LinuxSplice.ReadEpollData(ev), out Registration? socket))
                {
                    Complete(socket, LinuxSplice.ReadEpollEvents(ev));
                }
            }
        }
    }

    /// <summary>Wakes the waiters an event satisfies (inline: their forwarding runs now) and re-arms for the others.</summary>
    private void Complete(Registration socket, uint events)
    {
        const uint Failed = LinuxSplice.EPOLLERR | LinuxSplice.EPOLLHUP;
        TaskCompletionSource? reader = null;
        TaskCompletionSource? writer = null;
        lock (socket)
        {
            if ((events & (LinuxSplice.EPOLLIN | LinuxSplice.EPOLLRDHUP | Failed)) != 0)
            {
                (reader, socket.Reader) = (socket.Reader, null);
            }

            if ((events & (LinuxSplice.EPOLLOUT | Failed)) != 0)
            {
                (writer, socket.Writer) = (socket.Writer, null);
            }

            if (!socket.Forgotten && (socket.Reader is not null || socket.Writer is not null))
            {
                try
                {
                    Arm(socket);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                    (reader, socket.Reader) = (reader ?? socket.Reader, null);
                    (writer, socket.Writer) = (writer ?? socket.Writer, null);
                }
            }
        }

        reader?.TrySetResult();
        writer?.TrySetResult();
    }

    /// <summary>One socket's place in a loop: its waiters (one reader, one writer) and whether it is in the epoll set.</summary>
    public sealed class Registration(SafeSocketHandle handle)
    {
        private static long s_nextId;

        internal TaskCompletionSource? Reader;
        internal TaskCompletionSource? Writer;

        internal SafeSocketHandle Handle { get; } = handle;

        internal ulong Id { get; } = (ulong)Interlocked.Increment(ref s_nextId);

        internal SocketReadiness? Loop { get; set; }

        internal bool InSet { get; set; }

        internal bool Forgotten { get; set; }
    }
}
