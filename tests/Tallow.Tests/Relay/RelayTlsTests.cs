// TLS to the relay (DESIGN.md §5.8): a relay with a self-signed certificate pairs and splices
// for clients that pin its fingerprint; a wrong pin, no pin (untrusted certificate), and TLS on
// one side only all fail with RelayFailureKind.Tls and a message that says what to do.
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Tallow.Net;
using Tallow.Relay;
using Tallow.Wire;

namespace Tallow.Tests.Relay;

public sealed class RelayTlsTests : IDisposable
{
    private readonly X509Certificate2 _certificate = RelayCertificate.CreateSelfSigned(IPAddress.Loopback, TimeProvider.System);

    private byte[] Pin => CertificateFingerprint.Compute(_certificate.RawData);

    public void Dispose() => _certificate.Dispose();

    private Task<RelayServer> StartTlsAsync() => RelayTestKit.StartAsync(new RelayOptions { TlsCertificate = _certificate });

    private static Task<RelayConnection> ConnectAsync(RelayServer server, RelayTls? tls, CancellationToken token) =>
        RelayConnection.ConnectAsync("127.0.0.1", server.LocalEndPoint.Port, null, tls, RelayTestKit.ConnectTimeout, token);

    [Fact]
    public async Task Pinned_clients_pair_and_splice_through_a_TLS_relay()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await StartTlsAsync();
        Assert.Equal(CertificateFingerprint.Format(Pin), server.TlsFingerprint);
        var tls = new RelayTls("127.0.0.1", Pin);
        await using RelayConnection creator = await ConnectAsync(server, tls, token);
        Assert.IsType<System.Net.Security.SslStream>(creator.Stream);
        Assert.Equal(IPAddress.Loopback, creator.LocalEndPoint.Address);
        uint nameplate = await creator.AllocateAsync(0, token);
        await using RelayConnection joiner = await ConnectAsync(server, tls, token);
        await joiner.ClaimAsync(nameplate, token);
        await creator.WaitForPeerAsync(token);
        await joiner.WaitForPeerAsync(token);

        byte[] payload = new byte[300_000];
        Random.Shared.NextBytes(payload);
        Task send = creator.Stream.WriteAsync(payload, token).AsTask();
        byte[] received = new byte[payload.Length];
        await RelayTestKit.ReadExactlyAsync(joiner, received, token);
        await send;
        Assert.Equal(payload, received);

        await joiner.Stream.WriteAsync("pong"u8.ToArray(), token);
        byte[] back = new byte[4];
        await RelayTestKit.ReadExactlyAsync(creator, back, token);
        Assert.Equal("pong"u8.ToArray(), back);
    }

    [Fact]
    public async Task A_wrong_pin_is_refused_showing_both_fingerprints()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await StartTlsAsync();
        byte[] wrong = new byte[CertificateFingerprint.Size];
        wrong[0] = 1;
        RelayException error = await Assert.ThrowsAsync<RelayException>(() => ConnectAsync(server, new RelayTls("127.0.0.1", wrong), token));
        Assert.Equal(RelayFailureKind.Tls, error.Kind);
        Assert.Contains("does not match --relay-fingerprint", error.Message, StringComparison.Ordinal);
        Assert.Contains(CertificateFingerprint.Format(wrong), error.Message, StringComparison.Ordinal);
        Assert.Contains(server.TlsFingerprint!, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_pin_an_untrusted_certificate_is_refused()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await StartTlsAsync();
        RelayException error = await Assert.ThrowsAsync<RelayException>(() => ConnectAsync(server, new RelayTls("localhost"), token));
        Assert.Equal(RelayFailureKind.Tls, error.Kind);
        Assert.Contains("not trusted", error.Message, StringComparison.Ordinal);
        Assert.Contains("--relay-fingerprint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plaintext_client_gets_TlsRequired_from_a_TLS_relay()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await StartTlsAsync();
        RelayException error = await Assert.ThrowsAsync<RelayException>(() => ConnectAsync(server, null, token));
        Assert.Equal(RelayFailureKind.Tls, error.Kind);
        Assert.Equal(RelayErrorCode.TlsRequired, error.Code);
        Assert.Contains("tls://", error.Message, StringComparison.Ordinal);
        await RelayTestKit.EventuallyAsync(() => server.Metrics.Rejections(RelayRejectionReason.TlsRequired) == 1, token, "tls_required counted");
    }

    [Fact]
    public async Task A_TLS_client_to_a_plaintext_relay_fails_clearly()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync();
        RelayException error = await Assert.ThrowsAsync<RelayException>(() => ConnectAsync(server, new RelayTls("127.0.0.1", Pin), token));
        Assert.Equal(RelayFailureKind.Tls, error.Kind);
        Assert.Contains("plaintext relay", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refusals_at_accept_reach_TLS_clients_inside_TLS()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { TlsCertificate = _certificate, MaxConnections = 1 });
        var tls = new RelayTls("127.0.0.1", Pin);
        await using RelayConnection first = await ConnectAsync(server, tls, token);
        RelayException error = await Assert.ThrowsAsync<RelayException>(() => ConnectAsync(server, tls, token));
        Assert.Equal(RelayFailureKind.Refused, error.Kind);
        Assert.Equal(RelayErrorCode.TooManyConnections, error.Code);
    }

    [Fact]
    public void Fingerprints_parse_with_or_without_colons_in_any_case()
    {
        string printed = CertificateFingerprint.Format(Pin);
        Assert.Equal(95, printed.Length);
        Assert.True(CertificateFingerprint.TryParse(printed, out byte[] a));
        Assert.True(CertificateFingerprint.TryParse(printed.Replace(":", string.Empty, StringComparison.Ordinal).ToLowerInvariant(), out byte[] b));
        Assert.True(CertificateFingerprint.TryParse("SHA256:" + printed, out byte[] c));
        Assert.Equal(Pin, a);
        Assert.Equal(Pin, b);
        Assert.Equal(Pin, c);
        Assert.False(CertificateFingerprint.TryParse(printed[..^3], out _));
        Assert.False(CertificateFingerprint.TryParse(printed.Replace('A', 'G'), out _) && printed.Contains('A', StringComparison.Ordinal));
        Assert.False(CertificateFingerprint.TryParse("", out _));
    }
}
