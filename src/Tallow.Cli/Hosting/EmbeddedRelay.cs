// Zero configuration (DESIGN.md §10): with no relay configured, the sender runs a relay
// inside its own process on a free port of every interface and tells the receiver how to
// reach it (this host's LAN address, or loopback when there is no network). It listens on IPv6
// and IPv4 (one dual-mode socket) wherever the OS has IPv6, since mDNS announces both A and AAAA
// records: a receiver that dials the IPv6 address must reach the relay, not a closed port. The relay also
// has a probe port, so the sender and receiver can check their NAT mapping against it.
// It is reachable by the whole LAN, so it serves this one session and nothing else: one room in
// its lifetime (the sender's) plus the rooms that resume that session under a secret nameplate
// (PermitResumedRooms), a handful of connections, and a quick block for wrong claims.
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Tallow.Net.Session;
using Tallow.Relay;

namespace Tallow.Cli.Hosting;

internal sealed class EmbeddedRelay : IAsyncDisposable
{
    private readonly RelayServer _server;

    private EmbeddedRelay(RelayServer server, RelayAddress local, RelayAddress advertised)
    {
        _server = server;
        Local = local;
        Advertised = advertised;
    }

    /// <summary>How this process reaches its own relay.</summary>
    public RelayAddress Local { get; }

    /// <summary>How the receiver should reach it.</summary>
    public RelayAddress Advertised { get; }

    /// <summary>Lets the sender's resumed session (and only it) open its room here, its peer claim it early (RelayServer.PermitNameplates).</summary>
    public void PermitResumedRooms(params ReadOnlySpan<uint> nameplates) => _server.PermitNameplates(nameplates);

    public static Task<EmbeddedRelay> StartAsync(CancellationToken ct) =>
        StartAsync(EveryFamily, FindReachableAddress() ?? IPAddress.Loopback, ct);

    /// <summary>Every address of every family the announcer may publish: IPv6 any (dual mode: IPv4 too), or IPv4 any without IPv6.</summary>
    internal static IPAddress EveryFamily => Socket.OSSupportsIPv6 ? IPAddress.IPv6Any : IPAddress.Any;

    /// <summary>The relay on a free port of <paramref name="bind"/>, reached and advertised at <paramref name="reachable"/> (loopback in tests).</summary>
    internal static async Task<EmbeddedRelay> StartAsync(IPAddress bind, IPAddress reachable, CancellationToken ct)
    {
        var server = new RelayServer(Options(new IPEndPoint(bind, 0)));
        await server.StartAsync(ct).ConfigureAwait(false);
        int port = server.LocalEndPoint.Port;

        // The sender reaches its own relay by the LAN address too, so the relay observes (and the
        // P2P upgrade offers) the address the receiver can dial, not loopback.
        var advertised = new RelayAddress(reachable.ToString(), port);
        return new EmbeddedRelay(server, advertised, advertised);
    }

    /// <summary>
    /// One session's relay: the sender's room only (SingleRoom); connections for the two peers, their
    /// NAT probes and a direct retry's probes, with some slack; 5 failed claims block an address.
    /// </summary>
    internal static RelayOptions Options(IPEndPoint bind) => new()
    {
        Bind = bind,
        ProbeBind = new IPEndPoint(bind.Address, 0),
        SingleRoom = true,
        MaxRooms = 1,
        MaxConnections = 16,
        MaxConnectionsPerAddress = 8,
        MaxUnpairedRoomsPerAddress = 1,
        MaxFailedClaimsPerAddress = 5,
    };

    /// <summary>The first up, non-loopback IPv4 unicast address, preferring interfaces with a gateway.</summary>
    internal static IPAddress? FindReachableAddress()
    {
        IPAddress? fallback = null;
        try
        {
            foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback)
                {
                    continue;
                }

                IPInterfaceProperties props = nic.GetIPProperties();
                foreach (UnicastIPAddressInformation unicast in props.UnicastAddresses)
                {
                    IPAddress address = unicast.Address;
                    if (address.AddressFamily != AddressFamily.InterNetwork || IPAddress.IsLoopback(address) || address.GetAddressBytes()[0] == 169)
                    {
                        continue;
                    }

                    if (props.GatewayAddresses.Count > 0)
                    {
                        return address;
                    }

                    fallback ??= address;
                }
            }
        }
        catch (NetworkInformationException)
        {
        }

        return fallback;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
