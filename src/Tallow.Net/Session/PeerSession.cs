// Opens a secure session with the peer through a relay room:
//   bind P → connect from P → Allocate (creator) | Claim (joiner) → Paired → handshake →
//   SecureChannel over a PathSwitchingTransport → RecordSession (the one read loop, DESIGN.md §13)
//   → optional P2P upgrade (DESIGN.md §9).
// The room creator is the handshake initiator. The relay only ever sees the nameplate.
// With P2P enabled the relay connection leaves from the shared port P (which also listens),
// so the relay-observed address is the NAT mapping the peer can punch to.
// With a SOCKS5 proxy (DESIGN.md §11) the relay name goes to the proxy unresolved, no port P is
// bound and P2P is off on this side: no local address is gathered or sent.
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Tallow.Crypto;
using Tallow.Net.Direct;
using Tallow.Net.Proxy;
using Tallow.Protocol;
using Tallow.Protocol.Handshake;
using Tallow.Protocol.Records;
using Tallow.Protocol.Session;
using Tallow.Wire;

namespace Tallow.Net.Session;

public sealed record SessionOptions
{
    public required RelayAddress Relay { get; init; }
    public string? RelayPassword { get; init; }

    /// <summary>
    /// SHA-256 fingerprint of a tls:// relay's certificate (AB:CD:… or plain hex) that must match
    /// instead of the system trust store deciding (DESIGN.md §5.8). Ignored for plaintext relays.
    /// </summary>
    public string? RelayFingerprint { get; init; }
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan KeepAliveInterval { get; init; } = SecureChannel.DefaultKeepAliveInterval;
    public TimeSpan ReceiveTimeout { get; init; } = SecureChannel.DefaultReceiveTimeout;

    /// <summary>The clock of the session's keep-alive and silence timers (a fake one in tests).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>This side allows the direct upgrade (false for --no-p2p; a proxy turns it off regardless).</summary>
    public bool DirectEnabled { get; init; } = true;

    /// <summary>What is left to move is small: skip the direct attempt on both sides (it costs more than it saves). Set per upgrade.</summary>
    public bool DirectNotNeeded { get; init; }

    /// <summary>SOCKS5 proxy for the relay connection (--proxy, --tor); null connects directly.</summary>
    public ProxyAddress? Proxy { get; init; }

    public PunchOptions Punch { get; init; } = new();

    public PathTimings PathTimings { get; init; } = new();

    /// <summary>After the direct path broke: the first new attempt after Initial, then doubling up to Max.</summary>
    public DirectRetryTimings DirectRetry { get; init; } = new();

    /// <summary>How long a lost session keeps trying to resume (PeerSession.ResumeAsync) before it gives up.</summary>
    public TimeSpan ResumeWindow { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// Back-off of the direct-path retry: a broken direct path (Wi-Fi roaming, a NAT mapping that
/// expired) often works again a minute later, and an attempt costs one round of sealed messages
/// and up to the P2P timeout of dialing, so a long session can afford one every few minutes.
/// </summary>
public sealed record DirectRetryTimings
{
    public TimeSpan Initial { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan Max { get; init; } = TimeSpan.FromMinutes(10);
}

public sealed partial class PeerSession : IAsyncDisposable
{
    private readonly RelayConnection _relay;
    private bool _relayTaken;
    private readonly Socket? _listener;
    private readonly IPEndPoint _relayEndPoint;
    private SessionKeys? _keys;
    private PathSwitchingTransport? _transport;
    private DirectPathKey? _directKey;
    private bool _isInitiator;
    private int _disposed;

    private PeerSession(SessionOptions options, RelayConnection relay, Socket? listener, IPEndPoint relayEndPoint, uint nameplate)
    {
        Options = options;
        _relay = relay;
        _listener = listener;
        _directPort = listener is null ? 0 : ((IPEndPoint)listener.LocalEndPoint!).Port;
        _relayEndPoint = relayEndPoint;
        Nameplate = nameplate;
    }

    public uint Nameplate { get; }

    /// <summary>The options this session was opened with.</summary>
    public SessionOptions Options { get; }

    public SecureChannel? Channel { get; private set; }

    /// <summary>The session's record layer: its read loop and the inboxes of every part (after EstablishAsync).</summary>
    public RecordSession? Records { get; private set; }

    /// <summary>True for the room's creator (the handshake initiator, who decides the direct path).</summary>
    public bool IsInitiator => _isInitiator;

    /// <summary>Safety number of this session (same on both sides only without a man in the middle).</summary>
    public string SafetyDigits => SafetyNumber.Digits(_keys!.Sas);

    public string SafetyEmoji => SafetyNumber.Emoji(_keys!.Sas);

    /// <summary>Sender: creates a room. <paramref name="requestedNameplate"/> 0 lets the relay choose.</summary>
    public static Task<PeerSession> CreateRoomAsync(SessionOptions options, uint requestedNameplate, CancellationToken ct) =>
        OpenAsync(options, relay => relay.AllocateAsync(requestedNameplate, ct), ct);

    /// <summary>Chat room creator: opens a routing room for up to <paramref name="capacity"/> members (then WaitForPeerOrRoomAsync).</summary>
    public static Task<PeerSession> CreateRoutingRoomAsync(SessionOptions options, uint requestedNameplate, byte capacity, CancellationToken ct) =>
        OpenAsync(options with { DirectEnabled = false }, relay => relay.AllocateAsync(requestedNameplate, ct, capacity), ct);

    /// <summary>Receiver: joins the sender's room.</summary>
    public static Task<PeerSession> JoinRoomAsync(SessionOptions options, uint nameplate, CancellationToken ct) =>
        OpenAsync(options, async relay =>
        {
            await relay.ClaimAsync(nameplate, ct).ConfigureAwait(false);
            return nameplate;
        }, ct);

    private static async Task<PeerSession> OpenAsync(SessionOptions options, Func<RelayConnection, Task<uint>> enterRoom, CancellationToken ct)
    {
        RelayTls? tls = Tls(options);
        if (options.Proxy is not null)
        {
            // Neutral relay end point: P2P context needs one, but P2P is off behind a proxy (no listener).
            RelayConnection proxied = await ConnectThroughProxyAsync(options, options.Proxy, tls, ct).ConfigureAwait(false);
            return await EnterRoomAsync(options, proxied, null, new IPEndPoint(IPAddress.Any, 0), enterRoom).ConfigureAwait(false);
        }

        IPEndPoint relayEndPoint = await ResolveAsync(options, ct).ConfigureAwait(false);
        Socket? listener = null;
        Socket socket;
        if (options.DirectEnabled)
        {
            // P: one port for the listener, the relay connection, the NAT probe and every dial.
            listener = ReusableSocket.Bind(new IPEndPoint(ReusableSocket.Any(relayEndPoint.AddressFamily), 0));
            listener.Listen(16);
            socket = ReusableSocket.Bind(new IPEndPoint(ReusableSocket.Any(relayEndPoint.AddressFamily), ((IPEndPoint)listener.LocalEndPoint!).Port));
        }
        else
        {
            socket = new Socket(relayEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        }

        RelayConnection relay;
        try
        {
            relay = await RelayConnection.ConnectAsync(
                socket, relayEndPoint.Address.ToString(), relayEndPoint.Port, options.RelayPassword, tls, options.ConnectTimeout, ct).ConfigureAwait(false);
        }
        catch (RelayException ex)
        {
            listener?.Dispose();
            throw RelayErrors.ToTallow(ex);
        }
        catch
        {
            listener?.Dispose();
            throw;
        }

        return await EnterRoomAsync(options, relay, listener, relayEndPoint, enterRoom).ConfigureAwait(false);
    }

    private static async Task<PeerSession> EnterRoomAsync(
        SessionOptions options, RelayConnection relay, Socket? listener, IPEndPoint relayEndPoint, Func<RelayConnection, Task<uint>> enterRoom)
    {
        try
        {
            uint nameplate = await enterRoom(relay).ConfigureAwait(false);
            return new PeerSession(options, relay, listener, relayEndPoint, nameplate);
        }
        catch (RelayException ex)
        {
            listener?.Dispose();
            await relay.DisposeAsync().ConfigureAwait(false);
            throw RelayErrors.ToTallow(ex);
        }
        catch
        {
            listener?.Dispose();
            await relay.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Waits for the peer, runs the handshake with the whole normalised code, and starts the record session.</summary>
    public async Task<RecordSession> EstablishAsync(string normalizedCode, SessionOptions options, CancellationToken ct)
    {
        byte[] password = Encoding.UTF8.GetBytes(normalizedCode);
        try
        {
            return await EstablishAsync(password, options, ct).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
        }
    }

    /// <summary>Waits for the peer, runs the handshake with <paramref name="password"/> (the caller zeroes it), and starts the record session.</summary>
    internal async Task<RecordSession> EstablishAsync(ReadOnlyMemory<byte> password, SessionOptions options, CancellationToken ct)
    {
        await WaitForPeerAsync(ct).ConfigureAwait(false);
        return await HandshakeAsync(password, options, ct).ConfigureAwait(false);
    }

    /// <summary>Returns when the relay paired the room; the relay's index decides the handshake role.</summary>
    internal async Task WaitForPeerAsync(CancellationToken ct)
    {
        PairedMessage paired;
        try
        {
            paired = await _relay.WaitForPeerAsync(ct).ConfigureAwait(false);
        }
        catch (RelayException ex)
        {
            throw RelayErrors.ToTallow(ex);
        }

        _isInitiator = paired.Index == 0;
    }

    /// <summary>
    /// Waits for the relay: null for a pair (go on with HandshakeAsync), or the members of a routing
    /// room, whose frames the relay connection now carries (TakeRoomConnection).
    /// </summary>
    public async Task<RoomMembersMessage?> WaitForPeerOrRoomAsync(CancellationToken ct)
    {
        RoomEntry entry;
        try
        {
            entry = await _relay.WaitForPeerOrRoomAsync(ct).ConfigureAwait(false);
        }
        catch (RelayException ex)
        {
            throw RelayErrors.ToTallow(ex);
        }

        _isInitiator = entry.Paired is { Index: 0 };
        return entry.Members;
    }

    /// <summary>After WaitForPeerOrRoomAsync found a pair: the handshake with the whole normalised code, and the record session.</summary>
    public async Task<RecordSession> HandshakeAsync(string normalizedCode, SessionOptions options, CancellationToken ct)
    {
        byte[] password = Encoding.UTF8.GetBytes(normalizedCode);
        try
        {
            return await HandshakeAsync(password, options, ct).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
        }
    }

    /// <summary>A routing room's relay connection, handed to the caller (this session no longer closes it; its listener is closed now).</summary>
    public RelayConnection TakeRoomConnection()
    {
        _relayTaken = true;
        _listener?.Dispose();
        return _relay;
    }

    /// <summary>After pairing: the handshake with <paramref name="password"/>, then the record session's read loop.</summary>
    internal async Task<RecordSession> HandshakeAsync(ReadOnlyMemory<byte> password, SessionOptions options, CancellationToken ct)
    {
        _keys = await PeerHandshake.RunAsync(_relay.Stream, _relay.Reader, _isInitiator, password.Span, Nameplate, options.HandshakeTimeout, ct).ConfigureAwait(false);
        _directKey = new DirectPathKey(_keys.DirectPath, _isInitiator);
        _transport = new PathSwitchingTransport(_relay.Stream, _relay.Reader, _directKey, options.PathTimings);
        Channel = new SecureChannel(_transport, _keys, _isInitiator, options.KeepAliveInterval, options.ReceiveTimeout, options.Time);
        Channel.StartKeepAlive(); // from here on, a user at a prompt never lets the peer or the relay time out
        Records = new RecordSession(Channel);
        Records.Start();
        return Records;
    }

    /// <summary>
    /// Negotiates the direct path (DESIGN.md §9). Returns true when the session moved to a direct
    /// connection; <paramref name="observer"/> also hears about a later fallback to the relay.
    /// </summary>
    public async Task<bool> UpgradeAsync(SessionOptions options, IP2PObserver observer, CancellationToken ct)
    {
        if (Records is null || _transport is null || _directKey is null)
        {
            throw new InvalidOperationException("establish the session first");
        }

        _transport.FellBackToRelay += () =>
        {
            observer.FellBack(P2PFallbackReason.DirectConnectionLost);
            _fellBack.Release();
        };
        var context = new P2PContext(options.DirectEnabled && options.Proxy is null, _isInitiator, _listener, _relayEndPoint, _relay.ObservedAddress, _relay.ProbePort, options.Punch)
        {
            NotNeeded = options.DirectNotNeeded,
        };
        DirectConnection? direct = await P2PNegotiator.NegotiateAsync(Records.Port(RecordGroup.Path), _transport, _directKey, context, observer, ct).ConfigureAwait(false);
        StartDirectRetry(observer, options.DirectNotNeeded);
        return direct is not null;
    }

    /// <summary>TLS settings for a tls:// relay: SNI and name checks use the host as given, not the resolved address.</summary>
    private static RelayTls? Tls(SessionOptions options)
    {
        if (!options.Relay.Tls)
        {
            return null;
        }

        if (options.RelayFingerprint is null)
        {
            return new RelayTls(options.Relay.Host);
        }

        return CertificateFingerprint.TryParse(options.RelayFingerprint, out byte[] pin)
            ? new RelayTls(options.Relay.Host, pin)
            : throw new TallowException(FailureKind.Usage, "the relay fingerprint is not a SHA-256 fingerprint (64 hex digits, colons allowed).");
    }

    /// <summary>Relay connection through the SOCKS5 proxy: the relay host goes to the proxy as a name (no local DNS).</summary>
    private static async Task<RelayConnection> ConnectThroughProxyAsync(SessionOptions options, ProxyAddress proxy, RelayTls? tls, CancellationToken ct)
    {
        Stream stream;
        try
        {
            stream = await Socks5Client.ConnectAsync(proxy, options.Relay.Host, options.Relay.Port, options.ConnectTimeout, ct).ConfigureAwait(false);
        }
        catch (Socks5Exception ex)
        {
            throw ProxyErrors.ToTallow(ex, proxy);
        }

        try
        {
            return await RelayConnection.HandshakeAsync(stream, options.Relay.ToString(), options.RelayPassword, options.ConnectTimeout, ct, tls).ConfigureAwait(false);
        }
        catch (RelayException ex)
        {
            throw RelayErrors.ToTallow(ex);
        }
    }

    private static async Task<IPEndPoint> ResolveAsync(SessionOptions options, CancellationToken ct)
    {
        string host = options.Relay.Host;
        if (IPAddress.TryParse(host, out IPAddress? literal))
        {
            return new IPEndPoint(literal, options.Relay.Port);
        }

        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(options.ConnectTimeout);
            IPAddress[] addresses = await Dns.GetHostAddressesAsync(host, deadline.Token).ConfigureAwait(false);
            IPAddress? chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
            return chosen is not null
                ? new IPEndPoint(chosen, options.Relay.Port)
                : throw new TallowException(FailureKind.Network, $"cannot reach the relay at {options.Relay} (host not found): check the address.");
        }
        catch (SocketException)
        {
            throw new TallowException(FailureKind.Network, $"cannot reach the relay at {options.Relay} (host not found): check the address.");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TallowException(FailureKind.Network, $"cannot reach the relay at {options.Relay} (name lookup timed out): check the address and your network.");
        }
    }

    /// <summary>Closes the session and zeroes its keys; later calls do nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopDirectRetryAsync().ConfigureAwait(false);
        if (Records is not null)
        {
            await Records.DisposeAsync().ConfigureAwait(false);
        }

        if (Channel is not null)
        {
            await Channel.DisposeAsync().ConfigureAwait(false);
        }

        if (_transport is not null)
        {
            await _transport.CloseAsync().ConfigureAwait(false);
            await _transport.DisposeAsync().ConfigureAwait(false);
        }

        _directKey?.Dispose();
        _keys?.Dispose();
        _listener?.Dispose();
        if (!_relayTaken)
        {
            await _relay.DisposeAsync().ConfigureAwait(false);
        }
    }
}
