// NAT mapping probe (DESIGN.md §5.7, §9.1–9.2). From the shared port P, connect to the relay's
// probe port (same relay address, another destination port), send Hello and read the Welcome:
// if the probe port observed the same address and port as the main port did, the NAT keeps one
// mapping for P whatever the destination (endpoint-independent: peers can reach the
// server-reflexive candidate); a different port or address means an endpoint-dependent
// ("symmetric") mapping. Anything that prevents a clean answer yields Unknown, never a guess.
using System.Net;
using System.Net.Sockets;
using Tallow.Wire;

namespace Tallow.Net.Direct;

public static class NatProbe
{
    // After the Welcome, wait this long for the relay to close first (it then holds TIME_WAIT, not P).
    private static readonly TimeSpan CloseWait = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Probes from local port <paramref name="localPort"/> (bound with SO_REUSEADDR/SO_REUSEPORT on
    /// the wildcard address of the relay's family) to <paramref name="relayEndPoint"/>'s address at
    /// <paramref name="probePort"/>, and compares the address seen there with
    /// <paramref name="observedByRelay"/> (what the main port saw from P). Returns Unknown when
    /// <paramref name="probePort"/> or <paramref name="localPort"/> is 0, on timeout, connection errors or a malformed answer.
    /// Throws only OperationCanceledException when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public static async Task<NatMapping> DetectAsync(
        int localPort, IPEndPoint relayEndPoint, int probePort, IPEndPoint observedByRelay, TimeSpan timeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (relayEndPoint is null || observedByRelay is null
            || probePort <= 0 || probePort > IPEndPoint.MaxPort
            || localPort <= 0 || localPort > IPEndPoint.MaxPort
            || timeout <= TimeSpan.Zero)
        {
            return NatMapping.Unknown;
        }

        IPEndPoint relay = CandidateValidator.Normalize(relayEndPoint);
        if (relay.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            return NatMapping.Unknown;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        Socket? socket = null;
        try
        {
            socket = ReusableSocket.Bind(new IPEndPoint(ReusableSocket.Any(relay.AddressFamily), localPort));
            await socket.ConnectAsync(new IPEndPoint(relay.Address, probePort), deadline.Token).ConfigureAwait(false);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            using var reader = new FrameReader(stream, Frame.HeaderSize + Frame.MaxUnpairedLength);

            byte[] hello = new byte[HelloMessage.Size];
            new HelloMessage(RelayProtocol.Version).Write(hello);
            await stream.WriteAsync(Frame.Encode(FrameType.Hello, hello), deadline.Token).ConfigureAwait(false);

            FrameReadResult result = await reader.ReadAsync(Frame.MaxUnpairedLength, deadline.Token).ConfigureAwait(false);
            if (!result.IsFrame || result.Type != FrameType.Welcome
                || !WelcomeMessage.TryParse(reader.CurrentPayload.Span, out WelcomeMessage welcome)
                || welcome.Version != RelayProtocol.Version)
            {
                return NatMapping.Unknown;
            }

            await WaitForCloseAsync(reader, deadline.Token).ConfigureAwait(false);
            return Compare(welcome.ObservedAddress, observedByRelay);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            return NatMapping.Unknown;
        }
        finally
        {
            socket?.Dispose();
        }
    }

    /// <summary>Same address and port: endpoint-independent; otherwise endpoint-dependent.</summary>
    internal static NatMapping Compare(IPEndPoint observedByProbe, IPEndPoint observedByRelay) =>
        CandidateValidator.Normalize(observedByProbe).Equals(CandidateValidator.Normalize(observedByRelay))
            ? NatMapping.EndpointIndependent
            : NatMapping.EndpointDependent;

    /// <summary>The relay closes right after the Welcome; letting it close first keeps TIME_WAIT off P. Best effort.</summary>
    private static async Task WaitForCloseAsync(FrameReader reader, CancellationToken token)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(token);
        wait.CancelAfter(CloseWait);
        try
        {
            await reader.ReadAsync(Frame.MaxUnpairedLength, wait.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            // The answer is already in hand; how the connection ends does not change it.
        }
    }
}
