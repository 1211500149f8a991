// Relay server configuration (DESIGN.md §5.5). Every limit is enforced by RelayServer and
// refused connections receive Error{code, message} before the relay closes them.
using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Tallow.Relay;

public sealed record RelayOptions
{
    /// <summary>Where the relay listens. Port 0 picks an ephemeral port (see RelayServer.LocalEndPoint).</summary>
    public IPEndPoint Bind { get; init; } = new(IPAddress.Loopback, 4433);

    /// <summary>
    /// When set, the relay also listens here for NAT probes (DESIGN.md §5.7): a probe connection is
    /// answered with one Welcome carrying the client's observed address and then closed. Port 0
    /// picks an ephemeral port (see RelayServer.ProbeEndPoint). Null: no probe port.
    /// </summary>
    public IPEndPoint? ProbeBind { get; init; }

    /// <summary>
    /// When set, the main port serves TLS 1.2/1.3 with this certificate (it must hold its private
    /// key), see DESIGN.md §5.8 and RelayCertificate; plaintext clients get Error{TlsRequired}.
    /// The probe and metrics ports stay plaintext. The caller keeps ownership of the certificate.
    /// </summary>
    public X509Certificate2? TlsCertificate { get; init; }

    /// <summary>When set, clients must prove knowledge of it with Auth{HMAC-SHA256(SHA-256(password), nonce)}.</summary>
    public string? Password { get; init; }

    /// <summary>When set, Prometheus text metrics are served over HTTP on this endpoint.</summary>
    public IPEndPoint? MetricsBind { get; init; }

    /// <summary>Connections held at once (unpaired and paired); further ones get Error{TooManyConnections}.</summary>
    public int MaxConnections { get; init; } = 1000;

    /// <summary>Rooms (waiting or paired) at once; further Allocates get Error{TooManyRooms}.</summary>
    public int MaxRooms { get; init; } = 10_000;

    /// <summary>
    /// Sustained new connections per second per client address (IPv6: per /64) — a token bucket.
    /// Zero or negative disables the limit.
    /// </summary>
    public double ConnectionsPerSecondPerIp { get; init; } = 20;

    /// <summary>Bucket size of the per-address rate limit: connections allowed in a burst.</summary>
    public int ConnectionBurstPerIp { get; init; } = 100;

    /// <summary>Time from accept to a completed Hello/Auth/Allocate-or-Claim.</summary>
    public TimeSpan HelloTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a created room waits for its partner before it is closed with Error{Timeout}.</summary>
    public TimeSpan UnpairedTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>A paired session with no byte in either direction for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Clock for every timeout and the rate limiter (tests may substitute it).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Bind);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConnections, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRooms, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ConnectionBurstPerIp, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HelloTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(UnpairedTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(IdleTimeout, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        if (TlsCertificate is { HasPrivateKey: false })
        {
            throw new ArgumentException("the TLS certificate has no private key", nameof(TlsCertificate));
        }
    }
}
