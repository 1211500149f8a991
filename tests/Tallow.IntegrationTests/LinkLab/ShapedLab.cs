// The link lab: relay, peer A and peer B on one bridge (like NatLab's SameLan), except that A's
// access link is shaped by a LinkProfile in BOTH directions, so the direct path A↔B and the relay
// path A↔relay↔B both cross it once:
//
//   peer A ns ── eth0 (TAP, tbf) ══ LinkEmulator (delay, loss) ══ pa (TAP, tbf) ── br0 [sw ns] ── pb ── eth0 peer B ns
//                                                                                           └──── prl ── eth0 relay ns
//   10.0.0.2 (A), 10.0.0.3 (B), 10.0.0.10:4433 (relay); addresses exist only inside the namespaces.
//
// Dispose removes everything even after a failure: owned processes (by PID), the emulator and its
// TAP descriptors, then the namespaces (killing anything left in them). Prefix is unique per lab.
using System.Globalization;
using System.Text.RegularExpressions;
using Tallow.IntegrationTests.NatLab;

namespace Tallow.IntegrationTests.LinkLab;

public sealed partial class ShapedLab : IAsyncDisposable
{
    public const int RelayPort = 4433;
    public const string RelayIp = "10.0.0.10";
    public const string AddressA = "10.0.0.2";
    public const string AddressB = "10.0.0.3";

    private readonly LabNamespaces _lab = new("ll");
    private readonly List<TapDevice> _taps = [];
    private LinkEmulator? _emulator;

    private ShapedLab(LinkProfile profile)
    {
        Profile = profile;
    }

    public LinkProfile Profile { get; }

    /// <summary>Unique per lab; every namespace of this lab starts with it.</summary>
    public string Prefix => _lab.Prefix;

    public IReadOnlyList<string> Namespaces => _lab.Names;

    public string RelayNamespace { get; private set; } = "";

    public string NamespaceA { get; private set; } = "";

    public string NamespaceB { get; private set; } = "";

    public string RelayAddress => $"{RelayIp}:{RelayPort}";

    /// <summary>Frames the emulator delivered / dropped: A→network, network→A.</summary>
    public string LinkCounters => _emulator is null ? "no link" :
        string.Create(CultureInfo.InvariantCulture, $"frames A→net {_emulator.Forwarded.LeftToRight} (dropped {_emulator.Dropped.LeftToRight}), net→A {_emulator.Forwarded.RightToLeft} (dropped {_emulator.Dropped.RightToLeft})");

    internal (long LeftToRight, long RightToLeft) DroppedFrames => _emulator?.Dropped ?? (0, 0);

    public static ShapedLab Create(LinkProfile profile)
    {
        var lab = new ShapedLab(profile);
        try
        {
            lab.Build();
            return lab;
        }
        catch
        {
            lab.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>The lab disposes this (before deleting the namespaces).</summary>
    public T Own<T>(T disposable) where T : IAsyncDisposable => _lab.Own(disposable);

    /// <summary>Drops everything between A's and B's addresses, in A's namespace; the relay stays reachable.</summary>
    public void CutDirectPath()
    {
        Netns.Iptables(NamespaceA, "-I", "OUTPUT", "-d", AddressB, "-j", "DROP");
        Netns.Iptables(NamespaceA, "-I", "INPUT", "-s", AddressB, "-j", "DROP");
    }

    /// <summary>
    /// Round trip from <paramref name="ns"/> to <paramref name="ip"/>: the smallest of five TCP connects to a closed
    /// port (SYN → RST takes exactly one round trip; a lost SYN only makes one sample ≥ 1 s slower). Includes a subshell fork (~1 ms).
    /// Bounded by Netns' 15 s limit.
    /// </summary>
    public static TimeSpan MeasureRtt(string ns, string ip)
    {
        const string Script = "for i in 1 2 3 4 5; do s=$EPOCHREALTIME; (exec 3<>/dev/tcp/$0/9) 2>/dev/null; echo \"$s $EPOCHREALTIME\"; done";
        string output = Netns.Exec(ns, "bash", "-c", Script, ip);
        double best = double.MaxValue;
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = line.Split(' ');
            best = Math.Min(best, double.Parse(parts[1], CultureInfo.InvariantCulture) - double.Parse(parts[0], CultureInfo.InvariantCulture));
        }

        return best == double.MaxValue ? throw new InvalidOperationException($"no RTT sample from {ns} to {ip}: '{output}'") : TimeSpan.FromSeconds(best);
    }

    /// <summary>Bytes the root qdisc (tbf) of a device has sent, from `tc -s qdisc show`.</summary>
    public static long QdiscSentBytes(string ns, string device)
    {
        string text = Netns.Run("tc", "-n", ns, "-s", "qdisc", "show", "dev", device);
        Match m = SentBytes().Match(text);
        return m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : throw new InvalidOperationException($"no 'Sent N bytes' in: {text}");
    }

    public static string QdiscShow(string ns, string device) => Netns.Run("tc", "-n", ns, "qdisc", "show", "dev", device).Trim();

    /// <summary>Processes first, then the emulator and its TAP devices, then the namespaces.</summary>
    public ValueTask DisposeAsync() => _lab.DisposeAsync(() =>
    {
        _emulator?.Dispose();
        foreach (TapDevice tap in _taps)
        {
            tap.Dispose();
        }
    });

    private void Build()
    {
        string sw = AddNamespace("sw");
        Netns.Run("ip", "-n", sw, "link", "add", "br0", "type", "bridge");
        Netns.Run("ip", "-n", sw, "link", "set", "br0", "up");

        RelayNamespace = AddNamespace("rl");
        Veth(RelayNamespace, RelayIp + "/24", sw, "prl");
        NamespaceB = AddNamespace("b");
        Veth(NamespaceB, AddressB + "/24", sw, "pb");

        // A's shaped access link: two TAP devices joined by the emulator, tbf on both (egress of each side).
        NamespaceA = AddNamespace("a");
        TapDevice tapA = AddTap(NamespaceA, "eth0");
        TapDevice tapSwitch = AddTap(sw, "pa");
        Netns.Run("ip", "-n", NamespaceA, "addr", "add", AddressA + "/24", "dev", "eth0");
        Netns.Run("ip", "-n", NamespaceA, "link", "set", "eth0", "up");
        Netns.Run("ip", "-n", sw, "link", "set", "pa", "master", "br0");
        Netns.Run("ip", "-n", sw, "link", "set", "pa", "up");
        Netns.Run(["tc", "-n", NamespaceA, "qdisc", "add", "dev", "eth0", "root", .. Profile.TbfArguments]);
        Netns.Run(["tc", "-n", sw, "qdisc", "add", "dev", "pa", "root", .. Profile.TbfArguments]);
        _emulator = new LinkEmulator(tapA, tapSwitch, Profile.OneWayDelay, Profile.LossPerDirection);
    }

    private TapDevice AddTap(string ns, string name)
    {
        TapDevice tap = TapDevice.Create(ns, name);
        _taps.Add(tap);
        return tap;
    }

    private string AddNamespace(string role) => _lab.Add(role);

    /// <summary>eth0 in <paramref name="ns"/> (with the address), its peer <paramref name="port"/> on the switch's bridge.</summary>
    private static void Veth(string ns, string cidr, string sw, string port)
    {
        Netns.Run("ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", port, "netns", sw);
        Netns.Run("ip", "-n", ns, "addr", "add", cidr, "dev", "eth0");
        Netns.Run("ip", "-n", ns, "link", "set", "eth0", "up");
        Netns.Run("ip", "-n", sw, "link", "set", port, "master", "br0");
        Netns.Run("ip", "-n", sw, "link", "set", port, "up");
    }

    [GeneratedRegex(@"Sent (\d+) bytes")]
    private static partial Regex SentBytes();
}
