// `tallow doctor`'s checks of this computer: the built-in LAN relay (when no relay is configured:
// it is started and greeted like a receiver would), IPv6, mDNS (this computer announces a test
// service and must hear it back through multicast, with the announcer and browser the LAN mode
// uses), the clock (no trusted time reference exists here, so it is skipped and says why), and
// the output folder (writable, by OutputFolderCheck, and its free space).
using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using Tallow.Cli.Commands;
using Tallow.Cli.Hosting;
using Tallow.Cli.Output;
using Tallow.Net;
using Tallow.Net.Discovery;
using Tallow.Protocol;

namespace Tallow.Cli.Doctor;

internal static class LocalChecks
{
    /// <summary>Below this much free space in the output folder, doctor warns.</summary>
    private const long LowDiskBytes = 1L << 30;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>How long the mDNS self-test listens for its own announcement (the browser asks about once a second).</summary>
    private static readonly TimeSpan MdnsListen = TimeSpan.FromSeconds(3);

    /// <summary>
    /// No relay configured: start the embedded relay a sender would start and greet it; then the
    /// mDNS self-test, announcing that relay's port. Returns the relay line and the mDNS line.
    /// </summary>
    public static async Task<IReadOnlyList<DoctorCheck>> EmbeddedRelayAndMdnsAsync(CancellationToken ct)
    {
        EmbeddedRelay relay;
        try
        {
            relay = await EmbeddedRelay.StartAsync(ct).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            return [
                DoctorCheck.Fail("relay", $"none configured, and the built-in LAN relay cannot listen here ({e.Message})",
                    "set relay in the config file (or TALLOW_RELAY) to a relay both sides can reach"),
                DoctorCheck.Skip("mdns", "not checked: the built-in LAN relay did not start"),
            ];
        }

        await using (relay.ConfigureAwait(false))
        {
            var clock = Stopwatch.StartNew();
            DoctorCheck relayCheck;
            try
            {
                await using RelayConnection connection = await RelayConnection.ConnectAsync(relay.Local.Host, relay.Local.Port, null, Timeout, ct).ConfigureAwait(false);
                relayCheck = DoctorCheck.Ok("relay", $"none configured: a sender starts its own relay for this LAN (a test one answered at {relay.Advertised} in {DoctorCheck.Ms(clock.Elapsed)}); "
                    + "for other networks set relay in the config file");
            }
            catch (RelayException e)
            {
                relayCheck = DoctorCheck.Fail("relay", $"none configured, and the built-in LAN relay did not answer: {e.Message}",
                    "check the local firewall, or set relay in the config file (or TALLOW_RELAY)");
            }

            return [relayCheck, await MdnsAsync(relay.Advertised.Port, ct).ConfigureAwait(false)];
        }
    }

    /// <summary>Announces a random test nameplate and browses for it: heard back means multicast works on this computer's interfaces.</summary>
    private static async Task<DoctorCheck> MdnsAsync(int port, CancellationToken ct)
    {
        uint nameplate = (uint)RandomNumberGenerator.GetInt32(100_000, 1_000_000); // out of the range codes use
        await using MdnsAnnouncer? announcer = MdnsAnnouncer.Start(nameplate, port);
        if (announcer is null)
        {
            return DoctorCheck.Fail("mdns", "mDNS cannot run here (no up multicast interface with IPv4, or UDP port 5353 unavailable)",
                "receivers must run the command with --relay exactly as the sender prints it, or set relay in the config file");
        }

        IReadOnlyList<IPEndPoint> found = await MdnsBrowser.FindAsync(nameplate, MdnsListen, ct).ConfigureAwait(false);
        return found.Count > 0
            ? DoctorCheck.Ok("mdns", $"a test announcement was heard back at {found[0]}: receivers on this LAN can find a sender (unless the network isolates its clients, as guest Wi-Fi does)")
            : DoctorCheck.Warn("mdns", $"a test announcement was not heard back within {MdnsListen.TotalSeconds:0} s: multicast seems filtered here",
                "allow UDP port 5353 (mDNS) in the firewall, or have receivers use --relay exactly as the sender prints it");
    }

    public static DoctorCheck IPv6()
    {
        if (!Socket.OSSupportsIPv6)
        {
            return DoctorCheck.Warn("ipv6", "IPv6 is disabled on this computer: only IPv4 is used", "nothing is required; enable IPv6 for more chances of a direct connection");
        }

        IPAddress[] global;
        try
        {
            global = [.. NetworkInterface.GetAllNetworkInterfaces()
                .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
                .SelectMany(n => n.GetIPProperties().UnicastAddresses)
                .Select(u => u.Address)
                .Where(a => a.AddressFamily == AddressFamily.InterNetworkV6 && !a.IsIPv6LinkLocal && !IPAddress.IsLoopback(a))];
        }
        catch (NetworkInformationException e)
        {
            return DoctorCheck.Warn("ipv6", $"the network interfaces cannot be read ({e.Message})", "nothing is required");
        }

        return global.Length > 0
            ? DoctorCheck.Ok("ipv6", $"available ({global.Length} routable IPv6 address{(global.Length == 1 ? string.Empty : "es")} on this computer)")
            : DoctorCheck.Ok("ipv6", "supported, but this network gives no routable IPv6 address: IPv4 is used (fine)");
    }

    public static DoctorCheck Clock() =>
        DoctorCheck.Skip("clock", "no trusted time reference here (Tallow uses a monotonic clock for its timeouts; only TLS certificate checks need the right date, and the tls line shows those)");

    /// <summary>The output folder: writable (or creatable), and how much space is free there.</summary>
    public static DoctorCheck OutputFolder(ClientSettings settings)
    {
        string outDir = settings.Out.Value;
        string full = Path.GetFullPath(outDir);
        string origin = ConfigCommand.Describe(new ConfigCommand.SettingRow(settings.Out.Source, settings.Out.Where));
        try
        {
            OutputFolderCheck.EnsureWritable(outDir);
        }
        catch (TallowException e)
        {
            return DoctorCheck.Fail("out", e.Message, $"choose a writable folder: out in the config file or --out (now {origin})");
        }

        string existing = full;
        while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
        {
            existing = parent;
        }

        long free;
        try
        {
            free = new DriveInfo(existing).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return DoctorCheck.Warn("out", $"{full} is writable, but its free space cannot be read ({e.Message})", "check the free space yourself (df -h)");
        }

        return free < LowDiskBytes
            ? DoctorCheck.Warn("out", $"{full} is writable but only {Units.Bytes(free)} is free", "free some space, or choose another folder with out in the config file or --out")
            : DoctorCheck.Ok("out", $"{full} is writable, {Units.Bytes(free)} free ({origin})");
    }
}
