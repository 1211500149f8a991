// TLS on the relay's main port (DESIGN.md §5.8). Before the relay protocol the first byte is
// peeked: a TLS handshake record (0x16) starts a server-authenticated TLS 1.2/1.3 session;
// anything else (a plaintext Tallow client sends a Hello frame) is answered in plaintext with
// Error{TlsRequired} and closed. The handshake runs under the hello timeout. TLS hides the
// nameplate and the Auth exchange from the network; end-to-end security never depends on it.
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Tallow.Wire;

namespace Tallow.Relay;

internal sealed partial class RelaySession
{
    private const byte TlsHandshakeRecord = 0x16;

    private static readonly Refusal TlsRequired = new(RelayErrorCode.TlsRequired,
        "this relay speaks TLS only: connect with --relay tls://HOST:PORT", RelayRejectionReason.TlsRequired);

    /// <summary>Starts TLS when the relay serves it; false when the connection ended (it is closed then).</summary>
    private async Task<bool> StartTlsAsync()
    {
 // A WebSocket client's TLS was done by the web port.
        if (_context.Tls is null || _socket is null)
        {
            return true;
        }

        Stream? secure = await AcceptTlsAsync(_context, _socket, (NetworkStream)_stream, Remote, _controlCts.Token).ConfigureAwait(false);
        if (secure is null)
        {
            if (Volatile.Read(ref _abort) is Refusal abort)
            {
                _context.Refused(Remote.Address, abort.Reason, $"relay: refused {Remote} ({RelayMetrics.Label(abort.Reason)}) during the TLS handshake");
            }

            return false;
        }

        Volatile.Write(ref _stream, secure);
        return true;
    }

    /// <summary>
    /// Server side of TLS on an accepted socket. Returns the authenticated stream, or null after
    /// refusing a plaintext client or on a failed handshake (the socket is closed then). Never throws.
    /// </summary>
    internal static async Task<Stream?> AcceptTlsAsync(RelayContext context, Socket socket, NetworkStream network, IPEndPoint remote, CancellationToken token)
    {
        SslStream? ssl = null;
        try
        {
            byte[] first = new byte[1];
            if (await socket.ReceiveAsync(first, SocketFlags.Peek, token).ConfigureAwait(false) == 0)
            {
                await network.DisposeAsync().ConfigureAwait(false);
                return null;
            }

            if (first[0] != TlsHandshakeRecord)
            {
                context.Refused(remote.Address, TlsRequired.Reason, $"relay: refused {remote} ({RelayMetrics.Label(TlsRequired.Reason)}): plaintext client on the TLS port");
                await SendErrorAndCloseAsync(network, socket, TlsRequired, context.Shutdown).ConfigureAwait(false);
                return null;
            }

            ssl = new SslStream(network, leaveInnerStreamOpen: false);
            var options = new SslServerAuthenticationOptions
            {
                ServerCertificateContext = context.Tls,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificateRequired = false,
            };
            await ssl.AuthenticateAsServerAsync(options, token).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            if (e is not OperationCanceledException)
            {
                context.Metrics.Rejected(RelayRejectionReason.TlsFailed);
                context.Write($"relay: TLS handshake with {remote} failed ({e.GetType().Name}: {e.Message})");
            }

            if (ssl is not null)
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
            }

            await network.DisposeAsync().ConfigureAwait(false);
            return null;
        }
    }
}
