// Local direct-path candidates (DESIGN.md §9.2), all on the shared port P:
//  - relay on loopback: only the loopback address of the family (the peer is on this machine;
//    no other address is offered then);
//  - otherwise one host candidate per unicast address of every up, non-loopback interface
//    (link-local skipped; on Linux also IPv6 temporary, deprecated, tentative and DAD-failed
//    addresses), then the server-reflexive candidate (the relay-observed address) unless the
//    NAT probe showed an endpoint-dependent mapping or it equals a host candidate.
// The result never exceeds CandidateValidator.MaxCandidates, which is what peers accept.
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Tallow.Net.Direct;

public static class CandidateGatherer
{
    // /proc/net/if_inet6 flag bits (linux/if_addr.h, truncated to 8 bits there).
    private const int IfaTemporary = 0x01;
    private const int IfaDadFailed = 0x08;
    private const int IfaDeprecated = 0x20;
    private const int IfaTentative = 0x40;

    /// <summary>Gathers candidates from this machine's interfaces (see the file header for the rules).</summary>
    public static IReadOnlyList<Candidate> Gather(int localPort, AddressFamily family, bool relayOnLoopback, IPEndPoint? observedByRelay, bool symmetricNat) =>
        Gather(localPort, family, relayOnLoopback, observedByRelay, symmetricNat, relayOnLoopback ? [] : InterfaceAddresses(family));

    /// <summary>
    /// As <see cref="Gather(int, AddressFamily, bool, IPEndPoint, bool)"/> with the interface addresses given
    /// (addresses of other families, loopback, link-local and other unusable ones are skipped here).
    /// </summary>
    public static IReadOnlyList<Candidate> Gather(
        int localPort, AddressFamily family, bool relayOnLoopback, IPEndPoint? observedByRelay, bool symmetricNat, IEnumerable<IPAddress> interfaceAddresses)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(localPort, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(localPort, IPEndPoint.MaxPort);
        ArgumentNullException.ThrowIfNull(interfaceAddresses);
        if (family is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentOutOfRangeException(nameof(family), family, "only IPv4 and IPv6 have candidates");
        }

        if (relayOnLoopback)
        {
            IPAddress loopback = family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;
            return [new Candidate(CandidateType.Host, new IPEndPoint(loopback, localPort))];
        }

        IPEndPoint? reflexive = null;
        if (observedByRelay is not null && !symmetricNat)
        {
            IPEndPoint observed = CandidateValidator.Normalize(observedByRelay);
            if (observed.AddressFamily == family && CandidateValidator.IsUsable(observed, relayOnLoopback: false, out _))
            {
                reflexive = observed;
            }
        }

        int maxHosts = CandidateValidator.MaxCandidates - (reflexive is null ? 0 : 1);
        var hosts = new List<Candidate>();
        var seen = new HashSet<IPEndPoint>();
        foreach (IPAddress address in interfaceAddresses)
        {
            if (hosts.Count == maxHosts)
            {
                break;
            }

            if (address is null)
            {
                continue;
            }

            IPEndPoint endPoint = CandidateValidator.Normalize(new IPEndPoint(address, localPort));
            if (endPoint.AddressFamily == family && CandidateValidator.IsUsable(endPoint, relayOnLoopback: false, out _) && seen.Add(endPoint))
            {
                hosts.Add(new Candidate(CandidateType.Host, endPoint));
            }
        }

        if (reflexive is not null && !seen.Contains(reflexive))
        {
            hosts.Add(new Candidate(CandidateType.ServerReflexive, reflexive));
        }

        return hosts;
    }

    /// <summary>
    /// Unicast addresses of <paramref name="family"/> on every up, non-loopback interface, without
    /// link-local ones and (Linux) without temporary, deprecated, tentative or DAD-failed IPv6 ones.
    /// Empty when the interfaces cannot be listed.
    /// </summary>
    public static IReadOnlyList<IPAddress> InterfaceAddresses(AddressFamily family)
    {
        var addresses = new List<IPAddress>();
        try
        {
            HashSet<IPAddress> excluded = family == AddressFamily.InterNetworkV6 ? UnsuitableIPv6Addresses() : [];
            foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback)
                {
                    continue;
                }

                foreach (UnicastIPAddressInformation info in nic.GetIPProperties().UnicastAddresses)
                {
                    IPAddress address = info.Address;
                    if (address.AddressFamily != family || IPAddress.IsLoopback(address) || address.IsIPv6LinkLocal)
                    {
                        continue;
                    }

                    var withoutScope = family == AddressFamily.InterNetworkV6 ? new IPAddress(address.GetAddressBytes()) : address;
                    if (!excluded.Contains(withoutScope) && !addresses.Contains(withoutScope))
                    {
                        addresses.Add(withoutScope);
                    }
                }
            }
        }
        catch (Exception e) when (e is NetworkInformationException or PlatformNotSupportedException or IOException or UnauthorizedAccessException)
        {
            // No interface list: only the server-reflexive candidate (if any) is offered.
        }

        return addresses;
    }

    /// <summary>IPv6 addresses that should not be offered, from /proc/net/if_inet6 (Linux; empty elsewhere).</summary>
    private static HashSet<IPAddress> UnsuitableIPv6Addresses()
    {
        var excluded = new HashSet<IPAddress>();
        const string path = "/proc/net/if_inet6";
        if (!OperatingSystem.IsLinux() || !File.Exists(path))
        {
            return excluded;
        }

        // Each line: 32 hex digits of address, ifindex, prefix length, scope, flags, device name.
        foreach (string line in File.ReadLines(path))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 5 || fields[0].Length != 32
                || !int.TryParse(fields[4], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int flags))
            {
                continue;
            }

            if ((flags & (IfaTemporary | IfaDadFailed | IfaDeprecated | IfaTentative)) == 0)
            {
                continue;
            }

            try
            {
                excluded.Add(new IPAddress(Convert.FromHexString(fields[0])));
            }
            catch (FormatException)
            {
                // Not an address line: ignore.
            }
        }

        return excluded;
    }
}
