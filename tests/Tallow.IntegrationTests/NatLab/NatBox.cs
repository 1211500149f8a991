// The NAT behaviours the lab can put in front of a peer (iptables inside the NAT namespace).
namespace Tallow.IntegrationTests.NatLab;

public enum NatKind
{
    /// <summary>No NAT: the peer sits directly on the public side.</summary>
    Public,

    /// <summary>`MASQUERADE`: endpoint-independent, port-preserving mapping; address+port dependent
    /// filtering (conntrack). Unsolicited inbound SYNs reach the NAT box's own stack, which answers RST.</summary>
    PortPreserving,

    /// <summary>Port-preserving, and unsolicited inbound SYNs are silently dropped (INPUT and FORWARD).</summary>
    PortPreservingDrop,

    /// <summary>Port-preserving, and unsolicited inbound SYNs are explicitly rejected with a TCP RST.</summary>
    PortPreservingReject,

    /// <summary>`MASQUERADE --random-fully`: a new random port for every destination (symmetric NAT).</summary>
    Symmetric,
}

public static class NatBox
{
    /// <summary>Makes namespace <paramref name="ns"/> a NAT router whose public interface is <paramref name="wan"/>.</summary>
    public static void Apply(string ns, NatKind kind, string wan = "wan")
    {
        Netns.Exec(ns, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        switch (kind)
        {
            case NatKind.PortPreserving:
                Netns.Iptables(ns, "-t", "nat", "-A", "POSTROUTING", "-o", wan, "-j", "MASQUERADE");
                break;
            case NatKind.PortPreservingDrop:
                Netns.Iptables(ns, "-t", "nat", "-A", "POSTROUTING", "-o", wan, "-j", "MASQUERADE");
                Netns.Iptables(ns, "-A", "INPUT", "-i", wan, "-p", "tcp", "--syn", "-j", "DROP");
                Netns.Iptables(ns, "-A", "FORWARD", "-i", wan, "-m", "conntrack", "--ctstate", "NEW,INVALID", "-j", "DROP");
                break;
            case NatKind.PortPreservingReject:
                Netns.Iptables(ns, "-t", "nat", "-A", "POSTROUTING", "-o", wan, "-j", "MASQUERADE");
                Netns.Iptables(ns, "-A", "INPUT", "-i", wan, "-p", "tcp", "--syn", "-j", "REJECT", "--reject-with", "tcp-reset");
                Netns.Iptables(ns, "-A", "FORWARD", "-i", wan, "-p", "tcp", "-m", "conntrack", "--ctstate", "NEW,INVALID", "-j", "REJECT", "--reject-with", "tcp-reset");
                break;
            case NatKind.Symmetric:
                Netns.Iptables(ns, "-t", "nat", "-A", "POSTROUTING", "-o", wan, "-j", "MASQUERADE", "--random-fully");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a NAT");
        }
    }
}
