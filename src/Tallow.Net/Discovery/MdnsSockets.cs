// UDP sockets for mDNS (RFC 6762 §3, §5.2, §11, §15): a responder binds *:5353 with SO_REUSEADDR
// and SO_REUSEPORT so it shares the port with Avahi / other responders, joins 224.0.0.251 on each
// interface and sends with IP TTL 255; a querier uses an ephemeral port (legacy unicast, §6.7)
// so it never needs 5353. Unicast endpoints (tests) bind the member address instead.
// Invariants: Open* return null rather than throw when the socket cannot be set up; sends that
// pick an interface change a socket option, so callers serialise them.
using System.Net;
using System.Net.Sockets;

namespace Tallow.Net.Discovery;

internal static class MdnsSockets
{
    private const int SolSocket = 1;    // SOL_SOCKET on Linux
    private const int SoReusePort = 15; // SO_REUSEPORT on Linux

    /// <summary>The responder socket, or null when it cannot be opened; <paramref name="joined"/> lists the interfaces in the group.</summary>
    public static Socket? OpenResponder(MdnsEndpoint endpoint, IReadOnlyList<LocalInterface> interfaces, out IReadOnlyList<LocalInterface> joined)
    {
        joined = [];
        IPEndPoint listen = endpoint.Members[0];
        Socket? socket = null;
        try
        {
            if (!endpoint.IsMulticast)
            {
                socket = new Socket(listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                socket.Bind(listen);
                return socket;
            }

            socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (OperatingSystem.IsLinux())
            {
                socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
            }

            socket.Bind(new IPEndPoint(IPAddress.Any, listen.Port));
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 255);
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, true);
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.PacketInformation, true);
            var ok = new List<LocalInterface>();
            foreach (LocalInterface nic in interfaces)
            {
                try
                {
                    socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(listen.Address, nic.Index));
                    ok.Add(nic);
                }
                catch (SocketException)
                {
                    // this interface cannot join: skip it
                }
            }

            if (ok.Count == 0)
            {
                socket.Dispose();
                return null;
            }

            joined = ok;
            return socket;
        }
        catch (Exception e) when (e is SocketException or PlatformNotSupportedException or NotSupportedException)
        {
            socket?.Dispose();
            return null;
        }
    }

    /// <summary>An ephemeral-port querier socket, or null when none can be opened.</summary>
    public static Socket? OpenQuerier(MdnsEndpoint endpoint)
    {
        AddressFamily family = endpoint.IsMulticast ? AddressFamily.InterNetwork : endpoint.Members[0].AddressFamily;
        Socket? socket = null;
        try
        {
            socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
            if (endpoint.IsMulticast)
            {
                socket.Bind(new IPEndPoint(IPAddress.Any, 0));
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 255);
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, true);
            }
            else
            {
                socket.Bind(new IPEndPoint(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0));
            }

            return socket;
        }
        catch (Exception e) when (e is SocketException or PlatformNotSupportedException or NotSupportedException)
        {
            socket?.Dispose();
            return null;
        }
    }

    /// <summary>
    /// Sends to the group: multicast out of <paramref name="nic"/>, or by unicast to every member except
    /// <paramref name="self"/>. Socket errors are swallowed (mDNS is best effort).
    /// </summary>
    public static async Task SendToGroupAsync(Socket socket, MdnsEndpoint endpoint, LocalInterface? nic, IPEndPoint? self, byte[] payload, CancellationToken ct)
    {
        foreach (IPEndPoint member in endpoint.Members)
        {
            if (!endpoint.IsMulticast && member.Equals(self))
            {
                continue;
            }

            try
            {
                if (endpoint.IsMulticast && nic is not null)
                {
                    socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, nic.IPv4.GetAddressBytes());
                }

                await socket.SendToAsync(payload, SocketFlags.None, member, ct).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                // best effort: an interface went away, a member is not listening, ...
            }
        }
    }

    /// <summary>Sends one datagram by unicast; socket errors are swallowed.</summary>
    public static async Task SendToAsync(Socket socket, IPEndPoint target, byte[] payload, CancellationToken ct)
    {
        try
        {
            await socket.SendToAsync(payload, SocketFlags.None, target, ct).ConfigureAwait(false);
        }
        catch (SocketException)
        {
        }
    }
}
