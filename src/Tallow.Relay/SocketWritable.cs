// Waits until a socket can take more bytes, without a thread per connection and without polling
// in a loop: .NET has no API for "wait until writable" (a zero-byte send completes at once), so one
// background thread runs its own epoll set. A wait arms the socket with EPOLLOUT|EPOLLONESHOT
// (ADD the first time, MOD after) and completes when the kernel reports it writable, hung up or in
// error; the caller then retries its splice and sees the real outcome. Used by the zero-copy
// relay path (RelaySession.ZeroCopy.cs) only.
using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Tallow.Relay;

internal sealed class SocketWritable
{
    private const int MaxEvents = 64;

    private static readonly Lazy<SocketWritable?> s_shared = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly int _epoll;
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource> _waiters = new();
    private long _nextId;

    private SocketWritable(int epoll)
    {
        _epoll = epoll;
        var thread = new Thread(Run) { IsBackground = true, Name = "relay writable" };
        thread.Start();
    }

    /// <summary>The process-wide waiter, or null when epoll is not available (the relay copies then).</summary>
    public static SocketWritable? Shared => s_shared.Value;

    private static SocketWritable? Create()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            int epoll = LinuxSplice.epoll_create1(LinuxSplice.EPOLL_CLOEXEC);
            return epoll < 0 ? null : new SocketWritable(epoll);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Completes when <paramref name="socket"/> is writable (or failed: the next write tells).
    /// <paramref name="armed"/> tracks whether this socket is already in the epoll set (one writer per socket).
    /// </summary>
    public async Task WaitAsync(SafeSocketHandle socket, Registration armed, CancellationToken token)
    {
        ulong id = (ulong)Interlocked.Increment(ref _nextId);
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiters[id] = waiter;
        try
        {
            Arm(socket, armed, id);
        }
        catch
        {
            _waiters.TryRemove(id, out _);
            throw;
        }

        using (token.UnsafeRegister(static (state, token) =>
        {
            (SocketWritable self, ulong id) = ((SocketWritable, ulong))state!;
            if (self._waiters.TryRemove(id, out TaskCompletionSource? waiter))
            {
                waiter.TrySetCanceled(token);
            }
        }, (this, id)))
        {
            await waiter.Task.ConfigureAwait(false);
        }
    }

    /// <summary>Takes the socket out of the epoll set when the forwarding ends (the socket may be closed already).</summary>
    public void Forget(SafeSocketHandle socket, Registration armed)
    {
        if (!armed.InSet)
        {
            return;
        }

        bool added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            unsafe
            {
                byte* unused = stackalloc byte[16];
                _ = LinuxSplice.epoll_ctl(_epoll, LinuxSplice.EPOLL_CTL_DEL, (int)socket.DangerousGetHandle(), unused);
            }
        }
        catch (ObjectDisposedException)
        {
            // Closed: the kernel dropped it from the set with its last descriptor.
        }
        finally
        {
            armed.InSet = false;
            if (added)
            {
                socket.DangerousRelease();
            }
        }
    }

    private unsafe void Arm(SafeSocketHandle socket, Registration armed, ulong id)
    {
        bool added = false;
        try
        {
            socket.DangerousAddRef(ref added); // throws ObjectDisposedException once the socket is closed
            int fd = (int)socket.DangerousGetHandle();
            byte* ev = stackalloc byte[16];
            LinuxSplice.WriteEpollEvent(ev, LinuxSplice.EPOLLOUT | LinuxSplice.EPOLLONESHOT, id);
            int operation = armed.InSet ? LinuxSplice.EPOLL_CTL_MOD : LinuxSplice.EPOLL_CTL_ADD;
            int rc = LinuxSplice.epoll_ctl(_epoll, operation, fd, ev);
            if (rc < 0)
            {
                int errno = LinuxSplice.LastError;
                int retry = errno == LinuxSplice.EEXIST ? LinuxSplice.EPOLL_CTL_MOD : errno == LinuxSplice.ENOENT ? LinuxSplice.EPOLL_CTL_ADD : 0;
                if (retry == 0 || LinuxSplice.epoll_ctl(_epoll, retry, fd, ev) < 0)
                {
                    throw new IOException($"epoll_ctl failed (errno {LinuxSplice.LastError})");
                }
            }

            armed.InSet = true;
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
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
                if (LinuxSplice.LastError == LinuxSplice.EINTR)
                {
                    continue;
                }

                // Should not happen with a valid epoll descriptor; wake everyone so they fail or retry rather than hang.
                foreach (ulong id in _waiters.Keys)
                {
                    if (_waiters.TryRemove(id, out TaskCompletionSource? failed))
                    {
                        failed.TrySetResult();
                    }
                }

                Thread.Sleep(100);
                continue;
            }

            for (int i = 0; i < count; i++)
            {
                ulong id = LinuxSplice.ReadEpollData(events + (i * LinuxSplice.EpollEventSize));
                if (_waiters.TryRemove(id, out TaskCompletionSource? waiter))
                {
                    waiter.TrySetResult();
                }
            }
        }
    }

    /// <summary>Whether one socket is in the epoll set; owned by the one direction that writes to it.</summary>
    public sealed class Registration
    {
        public bool InSet { get; set; }
    }
}
