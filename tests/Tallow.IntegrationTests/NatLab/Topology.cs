// Builds a lab network out of namespaces and veth pairs, and removes all of it on dispose
// (processes first, by PID, then the namespaces) even when the test failed.
//
//   NAT topologies (addresses exist only inside the namespaces):
//
//     relay ns ──eth0 203.0.113.10/24── rrl [ router ns, ip_forward ] ra ──198.51.100.0/28── wan [NAT A] lan ──10.0.1.0/24── eth0 peer A
//                                                                      rb ──198.51.100.16/28── wan [NAT B] lan ──10.0.2.0/24── eth0 peer B
//
//   The router is a hop between the two NAT boxes, so a SYN sent with TTL 2 by a peer passes its
//   own NAT (opening the mapping) and expires at the router. A "public" peer sits directly on
//   its router link (198.51.100.2 or .18). Same-LAN: relay, A and B on one bridge (10.0.0.0/24).

namespace Tallow.IntegrationTests.NatLab;

public sealed record LabPeer(string Namespace, string Address, NatKind Nat);

public sealed class Topology : IAsyncDisposable
{
    public const int RelayPort = 4433;
    public const string RouterToA = "198.51.100.1";
    public const string WanA = "198.51.100.2";
    public const string RouterToB = "198.51.100.17";
    public const string WanB = "198.51.100.18";
    public const string RelayPublicIp = "203.0.113.10";

    private readonly LabNamespaces _lab = new("tl");

    private Topology(string name)
    {
        Name = name;
    }

    public string Name { get; }

    /// <summary>Unique per lab; every namespace of this lab starts with it.</summary>
    public string Prefix => _lab.Prefix;

    public IReadOnlyList<string> Namespaces => _lab.Names;

    public string RelayNamespace { get; private set; } = "";

    public string RelayIp { get; private set; } = "";

    public string RelayAddress => $"{RelayIp}:{RelayPort}";

    public string? RouterNamespace { get; private set; }

    public LabPeer A { get; private set; } = null!;

    public LabPeer B { get; private set; } = null!;

    /// <summary>Relay, A and B on one bridge, no NAT.</summary>
    public static Topology SameLan()
    {
        var t = new Topology("same LAN");
        return t.Build(() =>
        {
            string sw = t.AddNamespace("sw");
            Netns.Run("ip", "-n", sw, "link", "add", "br0", "type", "bridge");
            Netns.Run("ip", "-n", sw, "link", "set", "br0", "up");
            string Attach(string role, string cidr)
            {
                string ns = t.AddNamespace(role);
                t.Link(ns, "eth0", cidr, sw, "p" + role, null);
                Netns.Run("ip", "-n", sw, "link", "set", "p" + role, "master", "br0");
                return ns;
            }

            t.RelayNamespace = Attach("rl", "10.0.0.10/24");
            t.RelayIp = "10.0.0.10";
            t.A = new LabPeer(Attach("a", "10.0.0.2/24"), "10.0.0.2", NatKind.Public);
            t.B = new LabPeer(Attach("b", "10.0.0.3/24"), "10.0.0.3", NatKind.Public);
        });
    }

    /// <summary>Relay on the public side; A and B each behind the given NAT (or public).</summary>
    /// <param name="blockDirect">The router drops all traffic between A's and B's public addresses (the relay stays reachable).</param>
    /// <param name="quietRouter">The router expires packets without sending ICMP Time Exceeded (by default it sends them, as Linux does;
    /// on Linux an ICMP Time Exceeded aborts a connect() in SYN_SENT with EHOSTUNREACH — see probes/natlab_probe.py).</param>
    public static Topology Nat(string name, NatKind a, NatKind b, bool blockDirect = false, bool quietRouter = false)
    {
        var t = new Topology(name);
        return t.Build(() =>
        {
            string rt = t.AddNamespace("rt");
            t.RouterNamespace = rt;
            Netns.Exec(rt, "sysctl", "-qw", "net.ipv4.ip_forward=1");
            t.RelayNamespace = t.AddNamespace("rl");
            t.RelayIp = RelayPublicIp;
            t.Link(t.RelayNamespace, "eth0", RelayPublicIp + "/24", rt, "rrl", "203.0.113.1/24");
            t.Route(t.RelayNamespace, "203.0.113.1");
            t.A = t.Side("a", a, WanA, RouterToA, "10.0.1");
            t.B = t.Side("b", b, WanB, RouterToB, "10.0.2");
            if (quietRouter)
            {
                Netns.Iptables(rt, "-A", "OUTPUT", "-p", "icmp", "--icmp-type", "time-exceeded", "-j", "DROP");
            }

            if (blockDirect)
            {
                Netns.Iptables(rt, "-A", "FORWARD", "-s", WanA, "-d", WanB, "-j", "DROP");
                Netns.Iptables(rt, "-A", "FORWARD", "-s", WanB, "-d", WanA, "-j", "DROP");
            }
        });
    }

    /// <summary>The lab disposes this (before deleting the namespaces).</summary>
    public T Own<T>(T disposable) where T : IAsyncDisposable => _lab.Own(disposable);

    public ValueTask DisposeAsync() => _lab.DisposeAsync();

    private LabPeer Side(string role, NatKind kind, string wan, string gateway, string lan)
    {
        if (kind == NatKind.Public)
        {
            string peer = AddNamespace(role);
            Link(peer, "eth0", wan + "/28", RouterNamespace!, "r" + role, gateway + "/28");
            Route(peer, gateway);
            return new LabPeer(peer, wan, kind);
        }

        string box = AddNamespace("n" + role);
        Link(box, "wan", wan + "/28", RouterNamespace!, "r" + role, gateway + "/28");
        Route(box, gateway);
        string ns = AddNamespace(role);
        Link(ns, "eth0", lan + ".2/24", box, "lan", lan + ".1/24");
        Route(ns, lan + ".1");
        NatBox.Apply(box, kind);
        return new LabPeer(ns, lan + ".2", kind);
    }

    private Topology Build(Action build)
    {
        try
        {
            build();
            return this;
        }
        catch
        {
            DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    private string AddNamespace(string role) => _lab.Add(role);

    /// <summary>A veth pair created directly inside the two namespaces (never in the root namespace).</summary>
    private void Link(string ns1, string if1, string? cidr1, string ns2, string if2, string? cidr2)
    {
        Netns.Run("ip", "-n", ns1, "link", "add", if1, "type", "veth", "peer", "name", if2, "netns", ns2);
        foreach ((string ns, string ifname, string? cidr) in new[] { (ns1, if1, cidr1), (ns2, if2, cidr2) })
        {
            if (cidr is not null)
            {
                Netns.Run("ip", "-n", ns, "addr", "add", cidr, "dev", ifname);
            }

            Netns.Run("ip", "-n", ns, "link", "set", ifname, "up");
        }
    }

    private void Route(string ns, string via) => Netns.Run("ip", "-n", ns, "route", "add", "default", "via", via);
}
