// One local TCP port P carries the relay connection, the NAT probe, the listener and every
// direct dial (DESIGN.md §9.1), so the NAT mapping the relay observed is the one peers punch
// to. Linux allows that only when every socket on P sets SO_REUSEADDR and SO_REUSEPORT.
using System.Net;
using System.Net.Sockets;

namespace Tallow.Net.Direct;

public static class ReusableSocket
{
    private const int SolSocket = 1;   // SOL_SOCKET on Linux
    private const int SoReusePort = 15; // SO_REUSEPORT on Linux

    /// <summary>A TCP socket with SO_REUSEADDR and SO_REUSEPORT bound to <paramref name="local"/> (port 0 picks one).</summary>
    public static Socket Bind(IPEndPoint local)
    {
        ArgumentNullException.ThrowIfNull(local);
        var socket = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (OperatingSystem.IsLinux())
            {
                socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
            }

            socket.Bind(local);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The wildcard address of a family, for binding P on every interface.</summary>
    public static IPAddress Any(AddressFamily family) =>
        family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
}
