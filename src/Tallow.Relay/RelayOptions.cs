// Relay server configuration (DESIGN.md §5.5). Every limit is enforced by RelayServer and
// refused connections receive Error{code, message} before the relay closes them. Per-address
// limits count an IPv4 address or an IPv6 /64 (AddressKey); their defaults are reasoned below.
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Tallow.Wire;

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

    /// <summary>
    /// When set, clients must prove knowledge of it by a CPace exchange on it (Welcome carries the
    /// relay's share, Auth the client's share and key confirmation; RelayPasswordVerifier).
    /// </summary>
    public string? Password { get; init; }

    /// <summary>When set, Prometheus text metrics are served over HTTP on this endpoint.</summary>
    public IPEndPoint? MetricsBind { get; init; }

    /// <summary>
    /// When set, the relay also serves the web page and its WebSocket endpoint (GET /ws) here
    /// (Web/WebEndpoint.cs); with TlsCertificate it speaks HTTPS with the same certificate. A
    /// WebSocket client is a relay client like a TCP one: the same limits, rooms and metrics.
    /// </summary>
    public IPEndPoint? WebBind { get; init; }

    /// <summary>
    /// With WebBind: serve the page from this directory instead of the files embedded in the binary
    /// (self-hosting, development). Null: the embedded web/dist files.
    /// </summary>
    public string? WebRoot { get; init; }

    /// <summary>Connections held at once (unpaired and paired); further ones get Error{TooManyConnections}.</summary>
    public int MaxConnections { get; init; } = 1000;

    /// <summary>Rooms (waiting or paired) at once; further Allocates get Error{TooManyRooms}.</summary>
    public int MaxRooms { get; init; } = 10_000;

    /// <summary>
    /// The relay serves one room in its whole lifetime (the relay `send` runs in its own process): once a
    /// room was created, every later Allocate gets Error{TooManyRooms}, even after that room closed, so a
    /// neighbour cannot use it for sessions of its own.
    /// </summary>
    public bool SingleRoom { get; init; }

    /// <summary>
    /// Sustained new connections per second per client address (IPv6: per /64) — a token bucket.
    /// Zero or negative disables the limit.
    /// </summary>
    public double ConnectionsPerSecondPerIp { get; init; } = 20;

    /// <summary>Bucket size of the per-address rate limit: connections allowed in a burst.</summary>
    public int ConnectionBurstPerIp { get; init; } = 100;

    /// <summary>
    /// Connections (main and probe port) held at once by one client address (IPv6: one /64); further
    /// ones get Error{TooManyConnections}. Zero or negative disables the limit.
    /// </summary>
    public int MaxConnectionsPerAddress { get; init; } = DefaultMaxConnectionsPerAddress;

    /// <summary>
    /// Rooms waiting for their peer that one client address (IPv6: one /64) created and holds at once;
    /// further Allocates get Error{TooManyRooms}. Paired rooms do not count. Zero or negative disables it.
    /// </summary>
    public int MaxUnpairedRoomsPerAddress { get; init; } = DefaultMaxUnpairedRoomsPerAddress;

    /// <summary>
    /// Failed attempts by one client address (IPv6: one /64) within FailedClaimWindow — a Claim of a
    /// nameplate nobody waits on or that is full, an Auth with the wrong password — after which its
    /// Claims and Auths get Error{RateLimited} for FailedClaimBlock. Zero or negative disables it.
    /// </summary>
    public int MaxFailedClaimsPerAddress { get; init; } = DefaultMaxFailedClaimsPerAddress;

    /// <summary>The window MaxFailedClaimsPerAddress is counted in, from the first failure of the window.</summary>
    public TimeSpan FailedClaimWindow { get; init; } = DefaultFailedClaimWindow;

    /// <summary>How long an address that made MaxFailedClaimsPerAddress failures has its Claims and Auths refused.</summary>
    public TimeSpan FailedClaimBlock { get; init; } = DefaultFailedClaimBlock;

    // Why these per-address defaults. One address may be one attacker or a whole office or carrier-
    // grade NAT (CGNAT) in front of many users, so each limit must stop the first without starving the
    // second; an operator whose users share very few addresses raises them (relay serve flags).
    //  - 100 connections: a tenth of the default MaxConnections, so one address can hold at most a
    //    tenth of the relay and it takes ten addresses (or /64s) to fill it, where one did before.
    //    Behind one address that is still 50 transfers at once with both ends there, or 100 with one
    //    end; a transfer holds its connection only while it waits (≤ UnpairedTimeout) and runs.
    //  - 50 waiting rooms: a waiting room is the cheapest thing to hold (one silent connection for up
    //    to UnpairedTimeout), so it gets half of the address's connection budget: 50 senders behind one
    //    NAT can wait for their receivers at the same moment, the other half stays for joiners.
    //  - 20 failed claims per minute, then 2 minutes blocked: a person who mistypes a code fails once or
    //    twice, a receiver started before its sender once; 20 within a minute from one address is a
    //    script. A scanner gets about 20 nameplates per 3 minutes instead of 20 per second (the
    //    connection rate). The block is short because it also hits innocent users behind the same NAT.
    public const int DefaultMaxConnectionsPerAddress = 100;
    public const int DefaultMaxUnpairedRoomsPerAddress = 50;
    public const int DefaultMaxFailedClaimsPerAddress = 20;
    public static readonly TimeSpan DefaultFailedClaimWindow = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan DefaultFailedClaimBlock = TimeSpan.FromMinutes(2);

    /// <summary>Time from accept to a completed Hello/Auth/Allocate-or-Claim.</summary>
    public TimeSpan HelloTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a created room waits for its partner before it is closed with Error{Timeout}.</summary>
    public TimeSpan UnpairedTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>A paired session with no byte in either direction for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Most members a chat (routing) room may have (protocol.md "Chat rooms"): an Allocate asking for a
    /// larger capacity gets Error{BadRequest}. 2..20; 2 serves no routing rooms at all.
    /// </summary>
    public int MaxRoomMembers { get; init; } = RelayProtocol.MaxRoomCapacity;

    /// <summary>
    /// Sustained frames per second one routing-room member may send (a token bucket): above it the relay
    /// reads that member more slowly, nothing is dropped. Zero or negative disables the limit.
    /// </summary>
    public double RoomFramesPerSecond { get; init; } = DefaultRoomFramesPerSecond;

    /// <summary>Bucket size of RoomFramesPerSecond: frames a member may send in a burst.</summary>
    public int RoomFrameBurst { get; init; } = DefaultRoomFrameBurst;

    /// <summary>A routing-room member that takes no frame for this long while frames wait for it is disconnected.</summary>
    public TimeSpan SlowMemberTimeout { get; init; } = TimeSpan.FromSeconds(30);

    // Routing-room rate defaults: a chat needs a few frames a second and a join a few per pair, but a
    // drop box's senders move files through the room (64 KiB frames): 2000 frames/s (≈ 131 MB/s) with a
    // burst of 4000 keeps a transfer near what a spliced pair gets while still bounding what one member
    // can make the relay do (200/s capped drop-box transfers at about 13 MB/s, measured 31 MB/s for
    // 100 MB with the burst).
    public const double DefaultRoomFramesPerSecond = 2000;
    public const int DefaultRoomFrameBurst = 4000;

    /// <summary>
    /// Forward paired plain-TCP connections with splice(2) through a kernel pipe (Linux; RelaySession.ZeroCopy.cs)
    /// instead of copying them through a user-space buffer. TLS relays and other systems always copy.
    /// </summary>
    public bool ZeroCopy { get; init; } = true;

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
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(FailedClaimWindow, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(FailedClaimBlock, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRoomMembers, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxRoomMembers, RelayProtocol.MaxRoomCapacity);
        ArgumentOutOfRangeException.ThrowIfLessThan(RoomFrameBurst, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(SlowMemberTimeout, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        if (TlsCertificate is { HasPrivateKey: false })
        {
            throw new ArgumentException("the TLS certificate has no private key", nameof(TlsCertificate));
        }
    }
}
