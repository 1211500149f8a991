// This host's interfaces for mDNS (RFC 6762 §6 answers use the addresses of the interface a query
// arrived on; §11 / §6.7: answer legacy unicast queries only from on-link sources) and the address
// rules both sides apply (no unspecified, multicast or broadcast addresses; IPv6 link-local needs a
// scope that DNS cannot carry, so it is neither announced nor accepted).
// Invariants: enumeration never throws (an error yields an empty list); ordering is stable.
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Tallow.Net.Discovery;

internal sealed record InterfaceAddress(IPAddress Address, int PrefixLength);

/// <summary>An up, multicast-capable, non-loopback interface with at least one IPv4 address.</summary>
internal sealed record LocalInterface(int Index, string Name, IPAddress IPv4, IReadOnlyList<InterfaceAddress> Addresses);

internal static class LocalInterfaces
{
    /// <summary>Interfaces mDNS runs on: up, multicast-capable, not loopback, with an IPv4 address.</summary>
    public static IReadOnlyList<LocalInterface> MulticastCapable()
    {
        var result = new List<LocalInterface>();
        try
        {
            foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus != OperationalStatus.Up || !nic.SupportsMulticast
                    || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback || !nic.Supports(NetworkInterfaceComponent.IPv4))
                {
                    continue;
                }

                IPInterfaceProperties props = nic.GetIPProperties();
                List<InterfaceAddress> addresses = [.. props.UnicastAddresses
                    .Select(u => new InterfaceAddress(Canonical(u.Address), u.PrefixLength))
                    .Where(a => IsAdvertisable(a.Address))];
                IPAddress? v4 = addresses.Select(a => a.Address).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);
                if (v4 is not null)
                {
                    result.Add(new LocalInterface(props.GetIPv4Properties().Index, nic.Name, v4, addresses));
                }
            }
        }
        catch (Exception e) when (e is NetworkInformationException or PlatformNotSupportedException or InvalidOperationException)
        {
            return [];
        }

        return result;
    }

    /// <summary>Every address of every up interface, loopback included (for the same-subnet ordering).</summary>
    public static IReadOnlyList<InterfaceAddress> AllAddresses()
    {
        try
        {
            return [.. NetworkInterface.GetAllNetworkInterfaces()
                .Where(n => n.OperationalStatus == OperationalStatus.Up || n.NetworkInterfaceType == NetworkInterfaceType.Loopback)
                .SelectMany(n => n.GetIPProperties().UnicastAddresses)
                .Select(u => new InterfaceAddress(Canonical(u.Address), u.PrefixLength))];
        }
        catch (Exception e) when (e is NetworkInformationException or PlatformNotSupportedException or InvalidOperationException)
        {
            return [];
        }
    }

    public static IPAddress Canonical(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    public static bool IsMulticast(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6
            ? address.IsIPv6Multicast
            : address.GetAddressBytes()[0] is >= 224 and <= 239;

    /// <summary>Unspecified, multicast, broadcast (IPv4 all-ones or class E) or IPv6 link-local: never an endpoint.</summary>
    public static bool IsUnusable(IPAddress address)
    {
        address = Canonical(address);
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || IsMulticast(address))
        {
            return true;
        }

        return address.AddressFamily == AddressFamily.InterNetwork
            ? address.GetAddressBytes()[0] >= 240
            : address.IsIPv6LinkLocal || address.IsIPv6SiteLocal;
    }

    /// <summary>Whether this host announces <paramref name="address"/> (usable and not loopback).</summary>
    public static bool IsAdvertisable(IPAddress address) => !IsUnusable(address) && !IPAddress.IsLoopback(address);

    public static bool InSubnet(IPAddress candidate, InterfaceAddress local)
    {
        candidate = Canonical(candidate);
        if (candidate.AddressFamily != local.Address.AddressFamily)
        {
            return false;
        }

        byte[] a = candidate.GetAddressBytes();
        byte[] b = local.Address.GetAddressBytes();
        int bits = Math.Clamp(local.PrefixLength, 0, a.Length * 8);
        for (int i = 0; i < a.Length && bits > 0; i++, bits -= 8)
        {
            int mask = bits >= 8 ? 0xFF : (0xFF << (8 - bits)) & 0xFF;
            if ((a[i] & mask) != (b[i] & mask))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsOnLink(IPAddress candidate, IEnumerable<InterfaceAddress> local) => local.Any(l => InSubnet(candidate, l));

    /// <summary>Same-subnet endpoints first, then IPv4 before IPv6; otherwise the input order.</summary>
    public static IReadOnlyList<IPEndPoint> OrderBySubnet(IEnumerable<IPEndPoint> endpoints, IReadOnlyList<InterfaceAddress> local) =>
        [.. endpoints
            .Select((ep, i) => (ep, i))
            .OrderBy(t => IsOnLink(t.ep.Address, local) ? 0 : 1)
            .ThenBy(t => t.ep.AddressFamily == AddressFamily.InterNetwork ? 0 : 1)
            .ThenBy(t => t.i)
            .Select(t => t.ep)];
}
