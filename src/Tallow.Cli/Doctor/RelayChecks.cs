// `tallow doctor`'s checks of the configured relay, with the same client code a transfer uses
// (RelayConnection, RelayTls, Socks5Client, NatProbe): a real TCP connect (timed), the relay's
// Hello/Welcome (timed; inside TLS for tls://, so the certificate or the pinned fingerprint is
// checked too), the password (a room is opened and at once closed: the relay answers a wrong
// password only then), and the NAT mapping type from the relay's probe port, probed from the same
// local port as the main connection, as the P2P upgrade does. Never sends or shows the password.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tallow.Cli.Commands;
using Tallow.Net;
using Tallow.Net.Direct;
using Tallow.Net.Proxy;
using Tallow.Net.Session;
using Tallow.Wire;

namespace Tallow.Cli.Doctor;

internal static class RelayChecks
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>The relay, TLS, password and NAT lines for the configured <paramref name="relay"/>.</summary>
    public static async Task<IReadOnlyList<DoctorCheck>> RunAsync(RelayAddress relay, ClientSettings settings, CancellationToken ct)
    {
        string? pin = relay.Tls ? settings.RelayFingerprint.Value : null;
        ProxyAddress? proxy = settings.Proxy.Value;
        bool natApplies = proxy is null && !settings.NoP2P.Value;
        var checks = new List<DoctorCheck>();

        (Stream? stream, IPEndPoint? relayEndPoint, TimeSpan connectTime, DoctorCheck? failure) = await ConnectAsync(relay, proxy, natApplies, ct).ConfigureAwait(false);
        if (stream is null)
        {
            checks.Add(failure!);
            AddNotReached(checks, relay);
            return checks;
        }

        RelayConnection connection;
        var clock = Stopwatch.StartNew();
        try
        {
            connection = await RelayConnection.HandshakeAsync(stream, relay.ToString(), settings.RelayPass.Value, Timeout, ct, Tls(relay, pin)).ConfigureAwait(false);
        }
        catch (RelayException e)
        {
            return [.. checks, .. HandshakeFailed(e, relay, connectTime, proxy is not null)];
        }

        await using (connection.ConfigureAwait(false))
        {
            TimeSpan helloTime = clock.Elapsed;
            string via = proxy is null ? string.Empty : $" through the proxy {proxy}";
            string hello = relay.Tls ? "TLS and hello" : "hello";
            checks.Add(DoctorCheck.Ok("relay", $"{relay} answered{via}: TCP connect {DoctorCheck.Ms(connectTime)}, {hello} {DoctorCheck.Ms(helloTime)}"));
            checks.Add(TlsOk(relay, pin));
            checks.Add(natApplies
                ? await NatAsync(connection, relayEndPoint!, ct).ConfigureAwait(false)
                : DoctorCheck.Skip("nat", proxy is not null ? "behind a proxy there are no direct connections" : "no-p2p is set: there are no direct connections"));
            checks.Add(await PasswordAsync(connection, settings, ct).ConfigureAwait(false));
        }

        return checks;
    }

    /// <summary>TCP to the relay (or through the proxy), timed; from a reusable local port when the NAT probe follows.</summary>
    private static async Task<(Stream? Stream, IPEndPoint? EndPoint, TimeSpan Elapsed, DoctorCheck? Failure)> ConnectAsync(
        RelayAddress relay, ProxyAddress? proxy, bool reusablePort, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        if (proxy is not null)
        {
            try
            {
                Stream proxied = await Socks5Client.ConnectAsync(proxy, relay.Host, relay.Port, Timeout, ct).ConfigureAwait(false);
                return (proxied, null, clock.Elapsed, null);
            }
            catch (Socks5Exception e)
            {
                return (null, null, clock.Elapsed, DoctorCheck.Fail("relay", ProxyErrors.ToTallow(e, proxy).Message, "check that the proxy runs and can reach the relay"));
            }
        }

        IPAddress address;
        try
        {
            address = IPAddress.TryParse(relay.Host, out IPAddress? literal) ? literal : await ResolveAsync(relay.Host, ct).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            return (null, null, clock.Elapsed, DoctorCheck.Fail("relay", $"the relay's name '{relay.Host}' does not resolve", "check the spelling of relay (config file, TALLOW_RELAY or --relay) and your DNS"));
        }

        var endPoint = new IPEndPoint(address, relay.Port);
        Socket socket = reusablePort
            ? ReusableSocket.Bind(new IPEndPoint(ReusableSocket.Any(address.AddressFamily), 0))
            : new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Timeout);
        clock.Restart();
        try
        {
            await socket.ConnectAsync(endPoint, deadline.Token).ConfigureAwait(false);
            socket.NoDelay = true;
            return (new NetworkStream(socket, ownsSocket: true), endPoint, clock.Elapsed, null);
        }
        catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            socket.Dispose();
            string why = e is SocketException s ? s.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused: nothing listens there",
                SocketError.NetworkUnreachable or SocketError.HostUnreachable => "network unreachable",
                _ => s.Message,
            } : $"no answer within {Timeout.TotalSeconds:0} s";
            return (null, null, clock.Elapsed, DoctorCheck.Fail("relay", $"cannot reach the relay at {relay} ({why})",
                "check the address and port in relay (config file, TALLOW_RELAY or --relay), that the relay runs ('tallow relay serve'), and that no firewall blocks the port"));
        }
    }

    private static async Task<IPAddress> ResolveAsync(string host, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Timeout);
        IPAddress[] addresses = await Dns.GetHostAddressesAsync(host, deadline.Token).ConfigureAwait(false);
        return addresses.Length > 0 ? addresses[0] : throw new SocketException((int)SocketError.HostNotFound);
    }

    private static RelayTls? Tls(RelayAddress relay, string? pin) =>
        !relay.Tls ? null
        : pin is not null && CertificateFingerprint.TryParse(pin, out byte[] fingerprint) ? new RelayTls(relay.Host, fingerprint)
        : new RelayTls(relay.Host);

    private static DoctorCheck TlsOk(RelayAddress relay, string? pin) =>
        !relay.Tls ? DoctorCheck.Skip("tls", "plain TCP relay (no tls://): TLS would hide metadata from the network; the transfer is end-to-end encrypted either way")
        : pin is not null ? DoctorCheck.Ok("tls", $"the certificate matches the pinned fingerprint {pin[..11]}…")
        : DoctorCheck.Ok("tls", $"the certificate is trusted by this system for {relay.Host}");

    /// <summary>The lines when the Hello/Welcome (or TLS) did not complete: TCP worked, the rest says why.</summary>
    private static IEnumerable<DoctorCheck> HandshakeFailed(RelayException e, RelayAddress relay, TimeSpan connectTime, bool proxied)
    {
        string tcp = $"TCP connect {DoctorCheck.Ms(connectTime)}";
        string message = RelayErrors.ToTallow(e).Message;
        switch (e.Kind)
        {
            case RelayFailureKind.Tls:
                yield return DoctorCheck.Ok("relay", $"{relay} accepts connections ({tcp}); the relay protocol runs inside TLS, which failed below");
                yield return DoctorCheck.Fail("tls", message, "compare relay-fingerprint with the one the relay prints at start-up (or drop tls:// if the relay has no TLS)");
                yield return DoctorCheck.Skip("nat", "not checked: TLS to the relay failed");
                yield return DoctorCheck.Skip("password", "not checked: TLS to the relay failed");
                break;
            case RelayFailureKind.AuthRequired:
                yield return DoctorCheck.Ok("relay", $"{relay} answered ({tcp}) and asks for a password");
                yield return TlsOk(relay, null);
                yield return DoctorCheck.Skip("nat", "not checked: the relay needs a password first");
                yield return DoctorCheck.Fail("password", "the relay requires a password and none is set",
                    "set TALLOW_RELAY_PASS (or relay-pass in the config file, readable by you only)");
                break;
            default:
                yield return DoctorCheck.Fail("relay", message + (proxied ? " (through the proxy)" : string.Empty),
                    "check that the address is a Tallow relay of this version ('tallow version' on both)");
                foreach (DoctorCheck skipped in NotReached(relay))
                {
                    yield return skipped;
                }

                break;
        }
    }

    private static void AddNotReached(List<DoctorCheck> checks, RelayAddress relay) => checks.AddRange(NotReached(relay));

    private static IEnumerable<DoctorCheck> NotReached(RelayAddress relay)
    {
        yield return relay.Tls ? DoctorCheck.Skip("tls", "not checked: the relay was not reached") : DoctorCheck.Skip("tls", "plain TCP relay (no tls://)");
        yield return DoctorCheck.Skip("nat", "not checked: the relay was not reached");
        yield return DoctorCheck.Skip("password", "not checked: the relay was not reached");
    }

    private static async Task<DoctorCheck> NatAsync(RelayConnection connection, IPEndPoint relayEndPoint, CancellationToken ct)
    {
        if (connection.ProbePort == 0)
        {
            return DoctorCheck.Warn("nat", "the relay has no probe port, so the NAT type is unknown", "nothing to do here: direct connections are still tried (the relay's operator can enable --probe-port)");
        }

        NatMapping mapping = await NatProbe.DetectAsync(connection.LocalEndPoint.Port, relayEndPoint, connection.ProbePort, connection.ObservedAddress, Timeout, ct).ConfigureAwait(false);
        bool noNat = CandidateValidator.Normalize(connection.ObservedAddress).Equals(CandidateValidator.Normalize(connection.LocalEndPoint));
        return mapping switch
        {
            NatMapping.EndpointIndependent when noNat => DoctorCheck.Ok("nat", $"no NAT between here and the relay (it sees this computer's own address {connection.ObservedAddress}): direct connections can work"),
            NatMapping.EndpointIndependent => DoctorCheck.Ok("nat", $"endpoint-independent mapping (the relay sees {connection.ObservedAddress}): direct connections through the NAT can work"),
            NatMapping.EndpointDependent => DoctorCheck.Warn("nat", "endpoint-dependent (symmetric) NAT: direct connections will usually fail and transfers stay on the relay",
                "nothing is required (the relay carries the data); for faster transfers use a network without symmetric NAT, or a relay close to both sides"),
            _ => DoctorCheck.Warn("nat", $"the relay's probe port {connection.ProbePort} did not answer, so the NAT type is unknown",
                $"check that a firewall lets this computer reach TCP port {connection.ProbePort} of the relay; direct connections are still tried"),
        };
    }

    /// <summary>With a password: open a room (the relay judges the password only then) and close it at once.</summary>
    private static async Task<DoctorCheck> PasswordAsync(RelayConnection connection, ClientSettings settings, CancellationToken ct)
    {
        if (settings.RelayPass.Value is null)
        {
            return DoctorCheck.Ok("password", "none set, and the relay does not ask for one");
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Timeout);
        try
        {
            await connection.AllocateAsync(0, deadline.Token).ConfigureAwait(false);
            return DoctorCheck.Ok("password", $"accepted (from {ConfigCommand.Describe(new ConfigCommand.SettingRow(settings.RelayPass.Source, settings.RelayPass.Where))}; a test room was opened and closed)");
        }
        catch (RelayException e) when (e.Kind == RelayFailureKind.AuthFailed)
        {
            return DoctorCheck.Fail("password", "the relay rejected the password",
                $"check the password in {ConfigCommand.Describe(new ConfigCommand.SettingRow(settings.RelayPass.Source, settings.RelayPass.Where))} with the relay's operator");
        }
        catch (RelayException e)
        {
            return DoctorCheck.Warn("password", "not confirmed: " + RelayErrors.ToTallow(e).Message, "run doctor again in a moment");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return DoctorCheck.Warn("password", $"not confirmed: the relay did not answer within {Timeout.TotalSeconds:0} s", "run doctor again in a moment");
        }
    }
}
