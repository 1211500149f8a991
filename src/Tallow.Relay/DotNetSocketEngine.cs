// Takes a spliced socket out of .NET's own socket engine (Linux). .NET registers every socket that
// waited once in its engine's epoll set, edge-triggered for reading and writing, for good; each
// readiness change then wakes the engine's thread, which hands the event to a thread-pool worker,
// even when no operation waits. During zero-copy forwarding that is every packet in and every ACK
// out: two context switches each, which were three quarters of the relay's CPU per GiB on a virtual
// machine (bench/README.md, "Relay: one wake-up per wait"). SocketReadiness waits for these
// sockets instead, so the relay removes them from the engine's set (EPOLL_CTL_DEL), once their
// session has nothing left for .NET to do on them: after the control phase, every byte goes
// through SplicePipe, and the end is a half-close and a close (no waiting).
//
// .NET has no API for this. Its engines' epoll descriptors are found once, as the process's
// eventpoll descriptors that are not SocketReadiness's own; a socket not in a set gets ENOENT,
// which is harmless, and so is finding no engine at all (the relay then forwards as before, with
// the extra wake-ups).
using System.Net.Sockets;

namespace Tallow.Relay;

internal static class DotNetSocketEngine
{
    private static readonly Lazy<int[]> s_engines = new(FindEngines, LazyThreadSafetyMode.ExecutionAndPublication);
    private static long s_detached;

    /// <summary>Sockets removed from an engine's set so far (tests and diagnostics).</summary>
    public static long Detached => Interlocked.Read(ref s_detached);

    /// <summary>Removes the socket from .NET's epoll sets; no .NET asynchronous operation may be used on it afterwards.</summary>
    public static unsafe void Detach(SafeSocketHandle socket)
    {
        int[] engines = s_engines.Value;
        bool added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            int fd = (int)socket.DangerousGetHandle();
            byte* unused = stackalloc byte[16];
            foreach (int engine in engines)
            {
                if (LinuxSplice.epoll_ctl(engine, LinuxSplice.EPOLL_CTL_DEL, fd, unused) == 0)
                {
                    Interlocked.Increment(ref s_detached);
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

    private static int[] FindEngines()
    {
        var engines = new List<int>();
        try
        {
            foreach (string link in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
            {
                if (int.TryParse(Path.GetFileName(link), out int fd) && !SocketReadiness.OwnsEpoll(fd) && IsEventPoll(link))
                {
                    engines.Add(fd);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No /proc: nothing is detached.
        }

        return [.. engines];
    }

    private static bool IsEventPoll(string link)
    {
        try
        {
            return new FileInfo(link).LinkTarget == "anon_inode:[eventpoll]";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // closed meanwhile
        }
    }
}
