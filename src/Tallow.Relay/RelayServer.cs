// The relay server (DESIGN.md §5): accepts TCP connections, applies the connection limits
// (per-address rate, per-address connections, MaxConnections) at accept time, and runs one
// RelaySession per client.
// With RelayOptions.ProbeBind it also serves the probe port (§5.7, RelayProbe): the same
// limits apply there, and every Welcome on the main port announces the bound probe port.
// Lifetime: StartAsync binds and starts the accept loop; DisposeAsync stops accepting, ends
// every session (unpaired ones get Error{ShuttingDown}) and awaits every loop it started.
// With RelayOptions.TlsCertificate the main port speaks TLS (§5.8, RelaySession.Tls.cs), also
// for refusals at accept; the probe and metrics ports stay plaintext.
// With RelayOptions.WebBind it also serves the web page and WebSocket clients (Web/WebEndpoint.cs,
// HTTPS with the same certificate); an upgraded WebSocket is admitted under the same limits as a
// TCP connection and runs the same RelaySession over its byte stream (RunWebSessionAsync).
using System.Net;
using System.Net.Sockets;
using Tallow.Relay.Web;
using Tallow.Wire;

namespace Tallow.Relay;

public sealed class RelayServer : IAsyncDisposable
{
    // Refusals at accept wait up to ~3 s for the client; beyond this many in flight (a flood),
    // further refused sockets are closed at once instead of answered.
    private const int MaxPendingRefusals = 256;
    private static readonly TimeSpan RefusalHandshakeTimeout = TimeSpan.FromSeconds(3);

    private readonly RelayOptions _options;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly RelayContext _context;
    private readonly TaskTracker _sessions = new();
    private readonly TaskTracker _refusals = new();
    private Socket? _listener;
    private Socket? _probeListener;
    private Task? _acceptLoop;
    private Task? _probeAcceptLoop;
    private MetricsEndpoint? _metricsEndpoint;
    private WebEndpoint? _webEndpoint;
    private int _disposed;

    public RelayServer(RelayOptions options, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _context = new RelayContext(options, log, _shutdown.Token);
    }

    /// <summary>The bound listener address (valid after StartAsync; the real port when Bind used port 0).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint?)_listener?.LocalEndPoint ?? throw new InvalidOperationException("the relay is not started");

    /// <summary>The bound probe address (valid after StartAsync), or null without ProbeBind.</summary>
    public IPEndPoint? ProbeEndPoint => (IPEndPoint?)_probeListener?.LocalEndPoint;

    /// <summary>The bound metrics address, or null without MetricsBind.</summary>
    public IPEndPoint? MetricsEndPoint => _metricsEndpoint?.LocalEndPoint;

    /// <summary>Whether this build carries the web page (web/dist was built before compiling); else --web serves only what WebRoot holds.</summary>
    public static bool HasEmbeddedPage => WebContent.EmbeddedCount > 0;

    /// <summary>The bound web (HTTP or HTTPS) address, or null without WebBind.</summary>
    public IPEndPoint? WebEndPoint => _webEndpoint?.LocalEndPoint;

    public RelayMetrics Metrics => _context.Metrics;

    /// <summary>SHA-256 fingerprint (AB:CD:…) of the TLS certificate, or null for a plaintext relay.</summary>
    public string? TlsFingerprint => _options.TlsCertificate is { } certificate ? RelayCertificate.Fingerprint(certificate) : null;

    /// <summary>
    /// On a SingleRoom relay: lets a room with exactly one of <paramref name="nameplates"/> (at most
    /// two) be created again (the owner's lost session resuming under it), and claims of them that
    /// find no room yet do not count as failed claims (the peer came back first); replaces an
    /// earlier permission.
    /// </summary>
    public void PermitNameplates(params ReadOnlySpan<uint> nameplates) => _context.Rooms.PermitNameplates(nameplates);

    /// <summary>Binds the listener (and the probe and metrics endpoints) and starts accepting. The token only cancels the start.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_listener is not null)
        {
            throw new InvalidOperationException("the relay is already started");
        }

        Socket listener = Listen(_options.Bind);
        Socket? probeListener = null;
        Socket? webListener = null;
        try
        {
            WebContent? content = _options.WebBind is null ? null
                : _options.WebRoot is null ? WebContent.Embedded() : WebContent.Directory(_options.WebRoot);

            if (_options.ProbeBind is not null)
            {
                probeListener = Listen(_options.ProbeBind);
                _context.ProbePort = (ushort)((IPEndPoint)probeListener.LocalEndPoint!).Port;
            }

            if (_options.MetricsBind is not null)
            {
                _metricsEndpoint = MetricsEndpoint.Start(_options.MetricsBind, _context.Metrics, _shutdown.Token);
            }

            if (content is not null)
            {
                content.SetRelayInfo(((IPEndPoint)listener.LocalEndPoint!).Port, TlsFingerprint);
                webListener = Listen(_options.WebBind!);
                _webEndpoint = WebEndpoint.Start(webListener, _context, content, RunWebSessionAsync);
            }
        }
        catch
        {
            listener.Dispose();
            probeListener?.Dispose();
            webListener?.Dispose();
            throw;
        }

        _listener = listener;
        _probeListener = probeListener;
        _context.Write($"relay: listening on {LocalEndPoint}{(TlsFingerprint is { } fingerprint ? $" (TLS, SHA-256 fingerprint {fingerprint})" : string.Empty)}"
            + (ProbeEndPoint is null ? string.Empty : $", probe port on {ProbeEndPoint}")
            + (MetricsEndPoint is null ? string.Empty : $", metrics on http://{MetricsEndPoint}/metrics")
            + (WebEndPoint is null ? string.Empty : $", web page on {(_context.Tls is null ? "http" : "https")}://{WebEndPoint}/"));
        _acceptLoop = AcceptLoop.RunAsync(listener, socket => Admit(socket, probe: false), _context.Write, _context.Time, _shutdown.Token);
        if (probeListener is not null)
        {
            _probeAcceptLoop = AcceptLoop.RunAsync(probeListener, socket => Admit(socket, probe: true), _context.Write, _context.Time, _shutdown.Token);
        }

        return Task.CompletedTask;
    }

    private static Socket Listen(IPEndPoint bind)
    {
        var listener = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (bind.AddressFamily == AddressFamily.InterNetworkV6 && bind.Address.Equals(IPAddress.IPv6Any))
            {
                listener.DualMode = true;
            }

            listener.Bind(bind);
            listener.Listen(512);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    private void Admit(Socket socket, bool probe)
    {
        _context.Metrics.ConnectionAccepted();
        IPEndPoint remote;
        try
        {
            socket.NoDelay = true;
            remote = AcceptLoop.RemoteOf(socket);

            // Detect vanished peers of long-waiting rooms (no traffic while Waiting); a probe
            // lives for one exchange under its own timeout and needs none.
            if (!probe)
            {
                AcceptLoop.KeepAlive(socket);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            socket.Dispose();
            return;
        }

        if (!_context.RateLimiter.TryAcquire(remote.Address))
        {
            RefuseAtAccept(socket, remote, new Refusal(RelayErrorCode.RateLimited,
                "too many new connections from your address: wait a few seconds and retry", RelayRejectionReason.RateLimited));
            return;
        }

        UInt128 address = AddressKey.Of(remote.Address);
        if (!_context.AddressConnections.TryAcquire(address))
        {
            RefuseAtAccept(socket, remote, new Refusal(RelayErrorCode.TooManyConnections,
                $"too many connections from your address (at most {_options.MaxConnectionsPerAddress} at once): close some, or retry later",
                RelayRejectionReason.AddressConnectionLimit));
            return;
        }

        if (_context.Metrics.ConnectionsActive >= _options.MaxConnections)
        {
            _context.AddressConnections.Release(address);
            RefuseAtAccept(socket, remote, new Refusal(RelayErrorCode.TooManyConnections,
                "the relay is at its connection limit: try again later", RelayRejectionReason.TooManyConnections));
            return;
        }

        _context.Metrics.SessionStarted();
        _sessions.Track(RunAdmittedAsync(socket, remote, address, probe));
    }

    /// <summary>
    /// Serves one admitted connection. When it ends, its address's slot is given back before the
    /// connection stops counting as active, so a client that sees the count drop can reconnect.
    /// </summary>
    private async Task RunAdmittedAsync(Socket socket, IPEndPoint remote, UInt128 address, bool probe)
    {
        try
        {
            await (probe ? RelayProbe.RunAsync(_context, socket, remote) : new RelaySession(_context, socket, remote).RunAsync()).ConfigureAwait(false);
        }
        finally
        {
            _context.AddressConnections.Release(address);
            _context.Metrics.SessionEnded();
        }
    }

    /// <summary>
    /// Runs an upgraded WebSocket client (its stream owned) as a relay session, admitted under the same
    /// connection limits as a TCP client (the per-address rate was taken when its HTTP connection was
    /// accepted); a refusal is an Error frame over the WebSocket, which the page shows in words.
    /// </summary>
    private async Task RunWebSessionAsync(Stream transport, IPEndPoint remote)
    {
        _context.Metrics.ConnectionAccepted();
        Refusal? refusal = null;
        UInt128 address = AddressKey.Of(remote.Address);
        if (!_context.AddressConnections.TryAcquire(address))
        {
            refusal = new Refusal(RelayErrorCode.TooManyConnections,
                $"too many connections from your address (at most {_options.MaxConnectionsPerAddress} at once): close some, or retry later",
                RelayRejectionReason.AddressConnectionLimit);
        }
        else if (_context.Metrics.ConnectionsActive >= _options.MaxConnections)
        {
            _context.AddressConnections.Release(address);
            refusal = new Refusal(RelayErrorCode.TooManyConnections, "the relay is at its connection limit: try again later", RelayRejectionReason.TooManyConnections);
        }

        if (refusal is not null)
        {
            _context.Refused(remote.Address, refusal.Reason, $"relay: refused WebSocket client {remote} ({RelayMetrics.Label(refusal.Reason)})");
            await RelaySession.SendErrorAndCloseAsync(transport, null, refusal, _shutdown.Token).ConfigureAwait(false);
            return;
        }

        _context.Metrics.SessionStarted();
        try
        {
            await new RelaySession(_context, transport, remote).RunAsync().ConfigureAwait(false);
        }
        finally
        {
            _context.AddressConnections.Release(address);
            _context.Metrics.SessionEnded();
        }
    }

    private void RefuseAtAccept(Socket socket, IPEndPoint remote, Refusal refusal)
    {
        _context.Refused(remote.Address, refusal.Reason, $"relay: refused {remote} ({RelayMetrics.Label(refusal.Reason)})");
        if (_refusals.Count >= MaxPendingRefusals)
        {
            socket.Dispose();
            return;
        }

        _refusals.Track(RefuseAsync(socket, remote, refusal));
    }

    private async Task RefuseAsync(Socket socket, IPEndPoint remote, Refusal refusal)
    {
        var network = new NetworkStream(socket, ownsSocket: true);
        Stream? stream = network;
        if (_context.Tls is not null)
        {
            // The Error must reach a TLS client inside TLS; the handshake gets a short budget here.
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
            handshake.CancelAfter(RefusalHandshakeTimeout);
            stream = await RelaySession.AcceptTlsAsync(_context, socket, network, remote, handshake.Token).ConfigureAwait(false);
        }

        if (stream is not null)
        {
            await RelaySession.SendErrorAndCloseAsync(stream, socket, refusal, _shutdown.Token).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _shutdown.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        _probeListener?.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        if (_probeAcceptLoop is not null)
        {
            await _probeAcceptLoop.ConfigureAwait(false);
        }

        if (_metricsEndpoint is not null)
        {
            await _metricsEndpoint.DisposeAsync().ConfigureAwait(false);
        }

        if (_webEndpoint is not null)
        {
            await _webEndpoint.DisposeAsync().ConfigureAwait(false);
        }

        await _sessions.WhenAll().ConfigureAwait(false);
        await _refusals.WhenAll().ConfigureAwait(false);
        _shutdown.Dispose();
    }
}
