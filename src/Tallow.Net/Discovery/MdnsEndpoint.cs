// Where mDNS traffic goes (RFC 6762 §3, §5). Multicast: the group 224.0.0.251:5353 on every up,
// multicast-capable IPv4 interface. Unicast: a stand-in for the group made of explicit members
// (tests use loopback so they need no multicast): an announcer listens on Members[0]; a message
// "multicast to the group" is sent by unicast to every other member; a browser queries every member.
// Invariants: Members is non-empty; unicast members are unicast addresses with ports 1..65535.
using System.Net;

namespace Tallow.Net.Discovery;

public sealed record MdnsEndpoint
{
    public const int MdnsPort = 5353;

    public static readonly IPAddress GroupAddress = IPAddress.Parse("224.0.0.251");

    private MdnsEndpoint(bool isMulticast, IReadOnlyList<IPEndPoint> members)
    {
        IsMulticast = isMulticast;
        Members = members;
    }

    /// <summary>The real thing: 224.0.0.251:5353 on each up multicast-capable IPv4 interface.</summary>
    public static MdnsEndpoint Multicast { get; } = new(true, [new IPEndPoint(GroupAddress, MdnsPort)]);

    public bool IsMulticast { get; }

    /// <summary>The group (multicast) or its unicast members (an announcer listens on the first).</summary>
    public IReadOnlyList<IPEndPoint> Members { get; }

    /// <summary>A unicast stand-in for the group; <paramref name="members"/>[0] is where an announcer listens.</summary>
    public static MdnsEndpoint Unicast(params IPEndPoint[] members)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Length == 0)
        {
            throw new ArgumentException("at least one member is needed", nameof(members));
        }

        foreach (IPEndPoint member in members)
        {
            ArgumentNullException.ThrowIfNull(member);
            if (member.Port is < 1 or > 65535 || member.Address.Equals(IPAddress.Any) || member.Address.Equals(IPAddress.IPv6Any)
                || LocalInterfaces.IsMulticast(member.Address))
            {
                throw new ArgumentException($"{member} is not a unicast endpoint", nameof(members));
            }
        }

        return new MdnsEndpoint(false, [.. members]);
    }

    /// <summary>Unicast members on 127.0.0.1; an announcer listens on <paramref name="ports"/>[0].</summary>
    public static MdnsEndpoint Loopback(params int[] ports)
    {
        ArgumentNullException.ThrowIfNull(ports);
        return Unicast([.. ports.Select(p => new IPEndPoint(IPAddress.Loopback, p))]);
    }

    public bool Equals(MdnsEndpoint? other) =>
        other is not null && IsMulticast == other.IsMulticast && Members.SequenceEqual(other.Members);

    public override int GetHashCode() => HashCode.Combine(IsMulticast, Members.Count, Members[0]);

    public override string ToString() =>
        IsMulticast ? $"mDNS multicast {Members[0]}" : $"mDNS unicast {string.Join(", ", Members)}";
}
