// The round trip of a new direct connection, as this side measured it over the proof exchange and
// as the kernel saw it (TCP_INFO), reported with the upgrade (p2p_upgrade) so a mismeasured
// connection shows.
//
// Why the kernel can be wrong: in a TCP simultaneous open (crossing SYNs, DESIGN.md §9.3) the side
// whose SYN left first answers the peer's SYN by sending its SYN again as a SYN-ACK, and Linux
// times the peer's SYN-ACK (which acknowledges the first SYN) against that second send. The first
// RTT sample is then the one-way delay minus how much later the peer dialed: anything from half
// the round trip down to microseconds. BBR sizes its window from the minimum RTT and keeps it for
// 10 s, so such a connection crawls for 10 s (link lab, 1 Gbit/s at 80 ms: 12.8 MB/s against 35).
// HolePuncher avoids crossing SYNs (the responder dials later); this is how a test or a user sees
// whether it worked.
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Tallow.Net.Direct;

/// <summary>A direct connection's round trip.</summary>
/// <param name="RoundTrip">Our hello out to the peer's proof in: one round trip plus the peer's work.</param>
/// <param name="KernelMinRtt">The kernel's minimum RTT (TCP_INFO), null when it cannot be read (not Linux).</param>
/// <param name="CongestionControl">The connection's congestion control (TCP_CONGESTION), null when unknown.</param>
public sealed record HandshakeRtt(TimeSpan RoundTrip, TimeSpan? KernelMinRtt, string? CongestionControl)
{
    private const int IpProtoTcp = 6;
    private const int TcpInfo = 11;
    private const int TcpCongestion = 13;
    private const int MinRttOffset = 148; // struct tcp_info: tcpi_min_rtt (µs), since Linux 4.6
    private static readonly TimeSpan MinimumGap = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// The kernel's minimum cannot be this path's: under a quarter of the measured round trip and
    /// more than 5 ms under it (loopback and LAN round trips are mostly the peer's work).
    /// </summary>
    public bool KernelMismeasured => KernelMinRtt is TimeSpan min && IsBogus(min, RoundTrip);

    public static bool IsBogus(TimeSpan kernelMinRtt, TimeSpan roundTrip) =>
        kernelMinRtt > TimeSpan.Zero && kernelMinRtt * 4 < roundTrip && roundTrip - kernelMinRtt > MinimumGap;

    /// <summary>Reads the kernel's view of <paramref name="socket"/>. Never throws.</summary>
    public static HandshakeRtt Read(Socket socket, TimeSpan roundTrip) =>
        OperatingSystem.IsLinux() ? new(roundTrip, ReadMinRtt(socket), ReadCongestionControl(socket)) : new(roundTrip, null, null);

    /// <summary>tcpi_min_rtt, or null when TCP_INFO is unavailable or too short.</summary>
    public static TimeSpan? ReadMinRtt(Socket socket)
    {
        Span<byte> info = stackalloc byte[256];
        try
        {
            int length = socket.GetRawSocketOption(IpProtoTcp, TcpInfo, info);
            return length < MinRttOffset + 4 ? null : TimeSpan.FromMicroseconds(MemoryMarshal.Read<uint>(info[MinRttOffset..]));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or PlatformNotSupportedException)
        {
            return null;
        }
    }

    /// <summary>The socket's TCP_CONGESTION name, or null.</summary>
    public static string? ReadCongestionControl(Socket socket)
    {
        Span<byte> name = stackalloc byte[16]; // TCP_CA_NAME_MAX
        try
        {
            int length = socket.GetRawSocketOption(IpProtoTcp, TcpCongestion, name);
            int end = name[..length].IndexOf((byte)0);
            return Encoding.ASCII.GetString(name[..(end < 0 ? length : end)]);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or PlatformNotSupportedException)
        {
            return null;
        }
    }
}
