// The accept loop every listening port of the relay runs (main, probe, web, metrics): accepted
// sockets go to the port's admit callback; a failed accept (typically EMFILE/ENFILE, or a
// handshake aborted before accept) is logged and retried after a back-off that doubles from
// 10 ms to 1 s instead of spinning; cancellation or a closed listener ends it. Also the
// client-side facts every port needs: the remote end point with IPv4-mapped addresses unmapped,
// and TCP keep-alives that find peers which vanished while their room waits.
using System.Net;
using System.Net.Sockets;

namespace Tallow.Relay;

internal static class AcceptLoop
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(1);

    public static async Task RunAsync(Socket listener, Action<Socket> admit, Action<string>? log, TimeProvider time, CancellationToken token)
    {
        TimeSpan backoff = FirstBackoff;
        while (!token.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(token).ConfigureAwait(false);
                backoff = FirstBackoff;
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                break;
            }
            catch (SocketException e)
            {
                log?.Invoke($"relay: accept failed ({e.SocketErrorCode}); retrying in {backoff.TotalMilliseconds:0} ms");
                try
                {
                    await Task.Delay(backoff, time, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                continue;
            }

            admit(socket);
        }
    }

    /// <summary>The client's end point, an IPv4-mapped IPv6 address as plain IPv4 (per-address limits key on it). Throws SocketException or ObjectDisposedException.</summary>
    public static IPEndPoint RemoteOf(Socket socket)
    {
        var remote = (IPEndPoint)socket.RemoteEndPoint!;
        return remote.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(remote.Address.MapToIPv4(), remote.Port) : remote;
    }

    /// <summary>TCP keep-alive after 60 s of silence, every 15 s: finds clients that vanished while their room waits.</summary>
    public static void KeepAlive(Socket socket)
    {
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 60);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 15);
    }
}
