// Client side of TLS to a relay (DESIGN.md §5.8): TLS 1.2/1.3 with SNI = the relay host, and
// the server certificate verified either by the system trust store (default chain and name
// validation) or, when a fingerprint is pinned, by the SHA-256 of the leaf certificate alone
// (constant-time compare; chain and name errors are then ignored). There is no mode that
// accepts any certificate. TLS only hides metadata; end-to-end security never depends on it.
// Failures are RelayException(Tls) with what to do; fingerprints are public and may be shown.
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Tallow.Wire;

namespace Tallow.Net;

public sealed record RelayTls
{
    private readonly byte[]? _pinnedFingerprint;

    /// <param name="targetHost">Host name (SNI and name validation) or IP literal of the relay.</param>
    /// <param name="pinnedFingerprint">SHA-256 of the relay's leaf certificate, or null to use the system trust store.</param>
    public RelayTls(string targetHost, ReadOnlySpan<byte> pinnedFingerprint = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(targetHost);
        if (!pinnedFingerprint.IsEmpty && pinnedFingerprint.Length != CertificateFingerprint.Size)
        {
            throw new ArgumentException($"a fingerprint is {CertificateFingerprint.Size} bytes", nameof(pinnedFingerprint));
        }

        TargetHost = targetHost.Trim('[', ']');
        _pinnedFingerprint = pinnedFingerprint.IsEmpty ? null : pinnedFingerprint.ToArray();
    }

    public string TargetHost { get; }

    /// <summary>The pinned fingerprint (AB:CD:… form), or null when the system trust store decides.</summary>
    public string? PinnedFingerprint => _pinnedFingerprint is null ? null : CertificateFingerprint.Format(_pinnedFingerprint);

    /// <summary>Runs the TLS handshake over <paramref name="inner"/> (owned from now on; disposed on failure).</summary>
    internal async Task<Stream> AuthenticateAsync(Stream inner, string relay, TimeSpan timeout, CancellationToken token, CancellationToken callerToken)
    {
        byte[]? presented = null;
        SslPolicyErrors policyErrors = SslPolicyErrors.None;
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = TargetHost,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                policyErrors = errors;
                if (certificate is null)
                {
                    return false;
                }

                presented = CertificateFingerprint.Compute(certificate.GetRawCertData());
                return _pinnedFingerprint is not null
                    ? CertificateFingerprint.Matches(_pinnedFingerprint, presented)
                    : errors == SslPolicyErrors.None;
            },
        };

        try
        {
            await ssl.AuthenticateAsClientAsync(options, token).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            if (e is OperationCanceledException && callerToken.IsCancellationRequested)
            {
                throw;
            }

            throw Failure(relay, presented, policyErrors, timeout, e);
        }
    }

    private RelayException Failure(string relay, byte[]? presented, SslPolicyErrors errors, TimeSpan timeout, Exception e)
    {
        if (presented is not null && _pinnedFingerprint is not null && !CertificateFingerprint.Matches(_pinnedFingerprint, presented))
        {
            return new RelayException(RelayFailureKind.Tls,
                $"the TLS certificate of the relay at {relay} does not match --relay-fingerprint: expected {CertificateFingerprint.Format(_pinnedFingerprint)}, "
                + $"presented {CertificateFingerprint.Format(presented)}. The relay's certificate changed, or someone is intercepting the connection: "
                + "check the fingerprint the relay prints at start", null, e);
        }

        if (presented is not null && _pinnedFingerprint is null && errors != SslPolicyErrors.None)
        {
            return new RelayException(RelayFailureKind.Tls,
                $"the TLS certificate of the relay at {relay} is not trusted ({Describe(errors)}): if the relay uses a self-signed certificate, "
                + $"pass --relay-fingerprint with the SHA-256 fingerprint it prints at start (this one presented {CertificateFingerprint.Format(presented)}; "
                + "compare before pinning it), or give the relay a certificate from a trusted authority", null, e);
        }

        if (e is OperationCanceledException)
        {
            return new RelayException(RelayFailureKind.Tls,
                $"the relay at {relay} did not complete a TLS handshake within {timeout.TotalSeconds:0.#} s: is it a TLS relay? "
                + "For a plaintext relay use --relay host:port without tls://", null, e);
        }

        return new RelayException(RelayFailureKind.Tls,
            $"the relay at {relay} did not complete a TLS handshake ({e.Message}): it is probably a plaintext relay; "
            + "use --relay host:port without tls://, or check the address", null, e);
    }

    private static string Describe(SslPolicyErrors errors)
    {
        var reasons = new List<string>(3);
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            reasons.Add("unknown or self-signed issuer, or expired");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            reasons.Add("issued for another name");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            reasons.Add("no certificate");
        }

        return string.Join(", ", reasons);
    }

    public override string ToString() => PinnedFingerprint is { } pin ? $"TLS to {TargetHost} pinned to {pin}" : $"TLS to {TargetHost}";
}
