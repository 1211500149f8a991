// One connection on the relay's probe port (DESIGN.md §5.7). The probe port only answers:
// it reads a single Hello frame (≤ Frame.MaxUnpairedLength, within ProbeTimeout), replies
// Welcome{version, observed address, nonce, auth_required = false, probe port} and closes.
// Anything else (Allocate, Claim, Auth, a wrong magic, an oversized frame, silence) gets
// Error{code} and the connection is closed; no room, auth or splice state is reachable here.
// Clients compare the observed address with the one the main port saw to detect a NAT whose
// mapping depends on the destination (symmetric NAT).
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Tallow.Wire;

namespace Tallow.Relay;

internal static class RelayProbe
{
    /// <summary>Longest wait for the Hello (shortened further by a smaller RelayOptions.HelloTimeout).</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Serves one probe connection to its end. Never throws.</summary>
    public static async Task RunAsync(RelayContext context, Socket socket, IPEndPoint remote)
    {
        var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            TimeSpan limit = context.Options.HelloTimeout < ProbeTimeout ? context.Options.HelloTimeout : ProbeTimeout;
            Refusal? refusal;
            byte[]? welcome = null;
            using (var timeout = new CancellationTokenSource(limit, context.Time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, context.Shutdown))
            {
                try
                {
                    (refusal, welcome) = await ReadHelloAsync(context, stream, remote, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested && !context.Shutdown.IsCancellationRequested)
                {
                    refusal = new Refusal(RelayErrorCode.Timeout,
                        $"probe timeout: this probe port only answers a Hello sent within {limit.TotalSeconds:0.###} s",
                        RelayRejectionReason.HelloTimeout);
                }
            }

            if (refusal is not null)
            {
                context.Refused(remote.Address, refusal.Reason, $"relay: refused probe from {remote} ({RelayMetrics.Label(refusal.Reason)}): {refusal.Message}");
                await RelaySession.SendErrorAndCloseAsync(stream, socket, refusal, context.Shutdown).ConfigureAwait(false);
            }
            else if (welcome is not null)
            {
                context.Metrics.ProbeAnswered();
                await RelaySession.SendAndCloseAsync(stream, socket, welcome, context.Shutdown).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client left, or the relay is shutting down: closing is all that is left.
        }
        catch (Exception e)
        {
            // A bug must cost this connection, never the relay.
            context.Write($"relay: internal error on probe from {remote}: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads the first frame. Returns a refusal, or the Welcome frame to send, or neither when the
    /// client closed before sending a whole frame.
    /// </summary>
    private static async Task<(Refusal? Refusal, byte[]? Welcome)> ReadHelloAsync(
        RelayContext context, NetworkStream stream, IPEndPoint remote, CancellationToken token)
    {
        // A whole unpaired frame (header + at most MaxUnpairedLength) always fits.
        byte[] buffer = new byte[Frame.HeaderSize + Frame.MaxUnpairedLength];
        int filled = 0;
        while (true)
        {
            FrameStatus status = Frame.TryReadHeader(buffer.AsSpan(0, filled), Frame.MaxUnpairedLength, out FrameType type, out int payloadLength);
            if (status == FrameStatus.TooLarge)
            {
                return (new Refusal(RelayErrorCode.FrameTooLarge,
                    $"frames on the probe port are limited to {Frame.MaxUnpairedLength} bytes", RelayRejectionReason.FrameTooLarge), null);
            }

            if (status == FrameStatus.Invalid)
            {
                return (new Refusal(RelayErrorCode.BadRequest, "malformed frame", RelayRejectionReason.BadRequest), null);
            }

            if (status == FrameStatus.Ok && filled >= Frame.HeaderSize + payloadLength)
            {
                return Answer(context, type, buffer.AsSpan(Frame.HeaderSize, payloadLength), remote);
            }

            int read = await stream.ReadAsync(buffer.AsMemory(filled), token).ConfigureAwait(false);
            if (read == 0)
            {
                return (null, null);
            }

            filled += read;
        }
    }

    private static (Refusal? Refusal, byte[]? Welcome) Answer(RelayContext context, FrameType type, ReadOnlySpan<byte> payload, IPEndPoint remote)
    {
        if (type != FrameType.Hello || !HelloMessage.TryParse(payload, out HelloMessage hello))
        {
            return (new Refusal(RelayErrorCode.BadRequest,
                "this is the relay's probe port: it only answers Hello; connect to the relay's main port for rooms",
                RelayRejectionReason.BadRequest), null);
        }

        if (hello.Version != RelayProtocol.Version)
        {
            return (new Refusal(RelayErrorCode.VersionMismatch,
                $"this relay speaks protocol version {RelayProtocol.Version}, the client {hello.Version}: update the older side",
                RelayRejectionReason.VersionMismatch), null);
        }

        var welcome = new WelcomeMessage(RelayProtocol.Version, remote, RandomNumberGenerator.GetBytes(RelayProtocol.NonceSize), false, context.ProbePort);
        byte[] frame = new byte[Frame.HeaderSize + WelcomeMessage.MaxSize];
        int length = welcome.Write(frame.AsSpan(Frame.HeaderSize));
        Frame.WriteHeader(frame, FrameType.Welcome, length);
        return (null, frame[..(Frame.HeaderSize + length)]);
    }
}
