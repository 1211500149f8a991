// A TAP device created inside a network namespace and read/written by the test process through
// libc (poll/read/write). It is opened on a short-lived thread that first setns()es into the
// namespace, so the device never exists in the root namespace; it is non-persistent and
// disappears when the descriptor is closed (Dispose). Used by LinkEmulator, because this
// machine's kernel has no sch_netem (CONFIG_NET_SCH_NETEM is not set): delay and loss are
// applied in user space between two TAP devices, the rate by tc tbf on the devices.
using System.Runtime.InteropServices;

namespace Tallow.IntegrationTests.LinkLab;

internal sealed partial class TapDevice : IDisposable
{
    private const int ORdonly = 0;
    private const int ORdwr = 2;
    private const int ONonblock = 0x800;
    private const int OCloexec = 0x80000;
    private const uint TunSetIff = 0x400454ca;
    private const short IffTap = 0x0002;
    private const short IffNoPi = 0x1000;
    private const int CloneNewNet = 0x40000000;
    private const short PollIn = 1;
    private const short PollErrHupNval = 8 | 16 | 32;

    private int _fd;

    private TapDevice(int fd, string netns, string name)
    {
        _fd = fd;
        Namespace = netns;
        Name = name;
    }

    public string Namespace { get; }

    public string Name { get; }

    /// <summary>Creates TAP device <paramref name="name"/> (no packet-info header) inside namespace <paramref name="netns"/>.</summary>
    public static TapDevice Create(string netns, string name)
    {
        int fd = -1;
        string? error = null;
        var thread = new Thread(() =>
        {
            // This thread alone moves into the namespace, then ends; the process stays where it was.
            int nsFd = Open($"/run/netns/{netns}", ORdonly | OCloexec);
            if (nsFd < 0)
            {
                error = $"open /run/netns/{netns}: errno {Marshal.GetLastPInvokeError()}";
                return;
            }

            try
            {
                if (SetNs(nsFd, CloneNewNet) != 0)
                {
                    error = $"setns {netns}: errno {Marshal.GetLastPInvokeError()}";
                    return;
                }

                fd = Open("/dev/net/tun", ORdwr | ONonblock | OCloexec);
                if (fd < 0)
                {
                    error = $"open /dev/net/tun: errno {Marshal.GetLastPInvokeError()}";
                    return;
                }

                if (!SetIff(fd, name))
                {
                    error = $"TUNSETIFF {name} in {netns}: errno {Marshal.GetLastPInvokeError()}";
                    Close(fd);
                    fd = -1;
                }
            }
            finally
            {
                Close(nsFd);
            }
        }) { IsBackground = true, Name = "tap-open" };
        thread.Start();
        if (!thread.Join(TimeSpan.FromSeconds(10)))
        {
            throw new TimeoutException($"opening TAP {name} in {netns} hung");
        }

        return fd >= 0 ? new TapDevice(fd, netns, name) : throw new InvalidOperationException(error ?? "TAP open failed");
    }

    /// <summary>Reads one frame into <paramref name="buffer"/>: its length, 0 when none came within the timeout, -1 when closed.</summary>
    public unsafe int Read(Span<byte> buffer, int timeoutMs)
    {
        int fd = Volatile.Read(ref _fd);
        if (fd < 0)
        {
            return -1;
        }

        var pfd = new PollFd { Fd = fd, Events = PollIn };
        int ready = Poll(&pfd, 1, timeoutMs);
        if (ready <= 0)
        {
            return 0;
        }

        if ((pfd.Revents & PollErrHupNval) != 0)
        {
            return -1; // the device is gone (its namespace was deleted): stop instead of spinning
        }

        fixed (byte* p = buffer)
        {
            nint n = ReadFd(fd, p, buffer.Length);
            return n > 0 ? (int)n : 0;
        }
    }

    /// <summary>Writes one frame (a frame the device cannot take now is dropped, as a full wire would).</summary>
    public unsafe void Write(ReadOnlySpan<byte> frame)
    {
        int fd = Volatile.Read(ref _fd);
        if (fd < 0)
        {
            return;
        }

        fixed (byte* p = frame)
        {
            _ = WriteFd(fd, p, frame.Length);
        }
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            Close(fd);
        }
    }

    private static unsafe bool SetIff(int fd, string name)
    {
        byte* ifreq = stackalloc byte[40];
        new Span<byte>(ifreq, 40).Clear();
        int written = System.Text.Encoding.ASCII.GetBytes(name, new Span<byte>(ifreq, 15));
        ifreq[written] = 0;
        *(short*)(ifreq + 16) = IffTap | IffNoPi;
        return Ioctl(fd, TunSetIff, ifreq) == 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static unsafe partial int Ioctl(int fd, nuint request, void* arg);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static unsafe partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint ReadFd(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint WriteFd(int fd, byte* buffer, nint count);
}
