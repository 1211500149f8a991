// Validation of remote direct-path candidates (DESIGN.md §9.2). A peer (or anyone who tampers
// with its records before the handshake binds them) must not make us dial addresses that can
// never be a peer: unspecified, multicast, broadcast, link-local, port 0, and loopback unless
// the relay itself is on loopback (then the peer is on this machine). IPv4-mapped IPv6
// addresses are judged, compared and returned as the IPv4 address they carry.
using System.Net;
using System.Net.Sockets;

namespace Tallow.Net.Direct;

public static class CandidateValidator
{
    /// <summary>Most remote candidates kept (and offered); the rest are ignored.</summary>
    public const int MaxCandidates = 16;

    /// <summary>
    /// True when <paramref name="endPoint"/> may be dialled; otherwise <paramref name="reason"/>
    /// says why not (empty when usable). Never throws on any address value.
    /// </summary>
    public static bool IsUsable(IPEndPoint endPoint, bool relayOnLoopback, out string reason)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        reason = Reject(Normalize(endPoint.Address), endPoint.Port, relayOnLoopback) ?? string.Empty;
        return reason.Length == 0;
    }

    /// <summary>
    /// The usable remote candidates, in order, without duplicates (same address and port), without
    /// any of <paramref name="ownEndPoints"/>, without unknown candidate types, at most
    /// <see cref="MaxCandidates"/>. IPv4-mapped endpoints come back as IPv4.
    /// </summary>
    public static IReadOnlyList<Candidate> Filter(IEnumerable<Candidate> remote, bool relayOnLoopback, IReadOnlyCollection<IPEndPoint> ownEndPoints)
    {
        ArgumentNullException.ThrowIfNull(remote);
        ArgumentNullException.ThrowIfNull(ownEndPoints);
        var own = new HashSet<IPEndPoint>();
        foreach (IPEndPoint endPoint in ownEndPoints)
        {
            if (endPoint is not null)
            {
                own.Add(Normalize(endPoint));
            }
        }

        var seen = new HashSet<IPEndPoint>();
        var result = new List<Candidate>();
        foreach (Candidate candidate in remote)
        {
            if (result.Count == MaxCandidates)
            {
                break;
            }

            if (candidate.EndPoint is null || !Enum.IsDefined(candidate.Type) || !IsUsable(candidate.EndPoint, relayOnLoopback, out _))
            {
                continue;
            }

            IPEndPoint endPoint = Normalize(candidate.EndPoint);
            if (own.Contains(endPoint) || !seen.Add(endPoint))
            {
                continue;
            }

            result.Add(new Candidate(candidate.Type, endPoint));
        }

        return result;
    }

    /// <summary>The endpoint with an IPv4-mapped IPv6 address replaced by the IPv4 address (and no IPv6 scope).</summary>
    public static IPEndPoint Normalize(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        IPAddress address = Normalize(endPoint.Address);
        return ReferenceEquals(address, endPoint.Address) ? endPoint : new IPEndPoint(address, endPoint.Port);
    }

    private static IPAddress Normalize(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        // A scope id makes equal addresses compare unequal and means nothing off-link.
        return address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0
            ? new IPAddress(address.GetAddressBytes())
            : address;
    }

    private static string? Reject(IPAddress address, int port, bool relayOnLoopback)
    {
        if (port <= 0 || port > IPEndPoint.MaxPort)
        {
            return "port 0";
        }

        Span<byte> b = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(b, out _);
            return b[0] switch
            {
                0 => "unspecified address",                          // 0.0.0.0/8: "this network"
                127 => relayOnLoopback ? null : "loopback address (the relay is not on this machine)",
                169 when b[1] == 254 => "link-local address",
                >= 224 and <= 239 => "multicast address",
                255 when b[1] == 255 && b[2] == 255 && b[3] == 255 => "broadcast address",
                _ => null,
            };
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return "not an IP address";
        }

        if (address.Equals(IPAddress.IPv6Any))
        {
            return "unspecified address";
        }

        if (address.Equals(IPAddress.IPv6Loopback))
        {
            return relayOnLoopback ? null : "loopback address (the relay is not on this machine)";
        }

        address.TryWriteBytes(b, out _);
        if (b[0] == 0xFF)
        {
            return "multicast address";
        }

        if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80)
        {
            return "link-local address";
        }

        return null;
    }
}
