// Relay client (DESIGN.md §5): connect, Hello → Welcome, Auth when required, then Allocate or
// Claim and wait for Paired. After pairing, Stream carries the peer's frames and Reader (which
// may already hold peer bytes read past Paired) must keep being used to read them.
// Auth (protocol v2) is a CPace exchange on the relay password (RelayPasswordPake): the relay's
// share comes in the Welcome, the client answers with its share and a key confirmation, so no
// offline-testable verifier leaves the client. The relay answers a correct Auth with nothing, so a
// wrong password surfaces as RelayException(AuthFailed) from the first AllocateAsync/ClaimAsync.
// With RelayTls the relay protocol runs inside TLS (DESIGN.md §5.8; see RelayTls.cs).
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Tallow.Crypto;
using Tallow.Wire;

namespace Tallow.Net;

/// <summary>What entering a room led to: a pair (<see cref="Paired"/>) or a routing room (<see cref="Members"/>).</summary>
public readonly record struct RoomEntry(PairedMessage? Paired, RoomMembersMessage? Members);

public sealed class RelayConnection : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly string _relay;

    private RelayConnection(Stream stream, FrameReader reader, string relay, IPEndPoint observed, IPEndPoint local, int probePort)
    {
        _stream = stream;
        Reader = reader;
        _relay = relay;
        ObservedAddress = observed;
        LocalEndPoint = local;
        ProbePort = probePort;
    }

    /// <summary>This client's address and port as the relay sees it (server-reflexive candidate).</summary>
    public IPEndPoint ObservedAddress { get; }

    /// <summary>The relay's probe port from its Welcome (DESIGN.md §5.7), on the relay's address; 0 when it has none.</summary>
    public int ProbePort { get; }

    /// <summary>The local end of the TCP connection, IPv4-mapped addresses unmapped (0.0.0.0:0 over a foreign stream).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The TCP (or TLS) stream; after pairing it carries the peer's frames.</summary>
    public Stream Stream => _stream;

    /// <summary>The reader used for control frames; keep using it after pairing (it may hold buffered peer bytes).</summary>
    public FrameReader Reader { get; }

    /// <summary>Connects to <paramref name="host"/> (name or IPv4/IPv6 literal) and completes Hello/Welcome/Auth.</summary>
    public static Task<RelayConnection> ConnectAsync(string host, int port, string? password, TimeSpan timeout, CancellationToken cancellationToken) =>
        ConnectAsync(host, port, password, tls: null, timeout, cancellationToken);

    /// <summary>As above; with <paramref name="tls"/> the relay protocol runs inside TLS.</summary>
    public static Task<RelayConnection> ConnectAsync(string host, int port, string? password, RelayTls? tls, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        return ConnectAsync(socket, host, port, password, tls, timeout, cancellationToken);
    }

    /// <summary>
    /// As <see cref="ConnectAsync(string,int,string,TimeSpan,CancellationToken)"/> on a caller-made socket
    /// (e.g. bound to the port used for P2P). The connection owns the socket from now on.
    /// </summary>
    public static Task<RelayConnection> ConnectAsync(Socket socket, string host, int port, string? password, TimeSpan timeout, CancellationToken cancellationToken) =>
        ConnectAsync(socket, host, port, password, tls: null, timeout, cancellationToken);

    /// <summary>
    /// Connects <paramref name="socket"/> (owned from now on) to the relay, runs TLS when <paramref name="tls"/>
    /// is given (its TargetHost may differ from <paramref name="host"/>, e.g. a name resolved to an address),
    /// then Hello/Welcome/Auth. The whole exchange shares <paramref name="timeout"/>.
    /// </summary>
    public static async Task<RelayConnection> ConnectAsync(Socket socket, string host, int port, string? password, RelayTls? tls, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        string relay = Display(host, port);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(host, port, deadline.Token).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw Unreachable(relay, e);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new RelayException(RelayFailureKind.Timeout,
                $"cannot reach the relay at {relay} (no answer within {timeout.TotalSeconds:0.#} s): check the address and your network");
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        IPEndPoint? local = socket.LocalEndPoint as IPEndPoint;
        if (local is not null && local.Equals(socket.RemoteEndPoint))
        {
            // Nothing listened on a loopback port and the kernel gave this socket that very port: a
            // TCP simultaneous open with itself (it happens while a relay restarts). That relay is down.
            socket.Dispose();
            throw Unreachable(relay, new SocketException((int)SocketError.ConnectionRefused));
        }

        socket.NoDelay = true;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        if (tls is not null)
        {
            stream = await tls.AuthenticateAsync(stream, relay, timeout, deadline.Token, cancellationToken).ConfigureAwait(false);
        }

        return await HandshakeCoreAsync(stream, local, relay, password, timeout, deadline.Token, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs Hello/Welcome/Auth over an already connected stream (e.g. through a SOCKS5 proxy), inside
    /// TLS first when <paramref name="tls"/> is given. Owns the stream afterwards.
    /// </summary>
    public static async Task<RelayConnection> HandshakeAsync(Stream stream, string relay, string? password, TimeSpan timeout, CancellationToken cancellationToken, RelayTls? tls = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        IPEndPoint? local = (stream as NetworkStream)?.Socket.LocalEndPoint as IPEndPoint;
        if (tls is not null)
        {
            stream = await tls.AuthenticateAsync(stream, relay, timeout, deadline.Token, cancellationToken).ConfigureAwait(false);
        }

        return await HandshakeCoreAsync(stream, local, relay, password, timeout, deadline.Token, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<RelayConnection> HandshakeCoreAsync(
        Stream stream, IPEndPoint? localEndPoint, string relay, string? password, TimeSpan timeout, CancellationToken token, CancellationToken callerToken)
    {
        // Plain TCP (direct or through SOCKS5): the frame bytes are the socket's; not so under TLS.
        var reader = new FrameReader(stream, 4096, stream is NetworkStream plain ? ReadLowWater.For(plain.Socket) : null);
        try
        {
            byte[] hello = new byte[HelloMessage.Size];
            new HelloMessage(RelayProtocol.Version).Write(hello);
            await WriteOrReportAsync(stream, reader, relay, Frame.Encode(FrameType.Hello, hello), token).ConfigureAwait(false);
            FrameReadResult result = await ReadControlAsync(reader, relay, token).ConfigureAwait(false);
            if (result.Type != FrameType.Welcome || !WelcomeMessage.TryParse(reader.CurrentPayload.Span, out WelcomeMessage welcome))
            {
                throw new RelayException(RelayFailureKind.Protocol,
                    $"{relay} did not answer like a Tallow relay: check the address and port");
            }

            if (welcome.Version != RelayProtocol.Version)
            {
                throw new RelayException(RelayFailureKind.Protocol,
                    $"the relay at {relay} speaks protocol version {welcome.Version}, this client {RelayProtocol.Version}: update the older side");
            }

            if (welcome.AuthRequired)
            {
                if (password is null)
                {
                    throw new RelayException(RelayFailureKind.AuthRequired,
                        $"the relay at {relay} requires a password: pass --relay-pass (or set TALLOW_RELAY_PASS)", RelayErrorCode.AuthRequired);
                }

                byte[] auth = ComputeAuth(password, welcome, relay);
                await WriteOrReportAsync(stream, reader, relay, auth, token).ConfigureAwait(false);
                CryptographicOperations.ZeroMemory(auth);
            }

            IPEndPoint local = localEndPoint ?? new IPEndPoint(IPAddress.Any, 0);
            if (local.Address.IsIPv4MappedToIPv6)
            {
                local = new IPEndPoint(local.Address.MapToIPv4(), local.Port); // dual-mode sockets report ::ffff:a.b.c.d
            }

            return new RelayConnection(stream, reader, relay, welcome.ObservedAddress, local, welcome.ProbePort);
        }
        catch (Exception e)
        {
            reader.Dispose();
            await stream.DisposeAsync().ConfigureAwait(false);
            if (e is OperationCanceledException && !callerToken.IsCancellationRequested)
            {
                throw new RelayException(RelayFailureKind.Timeout,
                    $"the relay at {relay} did not complete the handshake within {timeout.TotalSeconds:0.#} s: check the address (is it a Tallow relay?) and your network", null, e);
            }

            throw;
        }
    }

    /// <summary>
    /// Creates a room: a pair, or with <paramref name="capacity"/> ≥ 3 a routing room (RoomMembers
    /// follows, see WaitForPeerOrRoomAsync). <paramref name="requestedNameplate"/> 0 lets the relay pick the smallest free one.
    /// </summary>
    public async Task<uint> AllocateAsync(uint requestedNameplate, CancellationToken cancellationToken, byte capacity = 2)
    {
        byte[] payload = new byte[AllocateMessage.Size];
        new AllocateMessage(capacity, requestedNameplate).Write(payload);
        await WriteOrReportAsync(_stream, Reader, _relay, Frame.Encode(FrameType.Allocate, payload), cancellationToken).ConfigureAwait(false);
        return await ReadOpenedAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Joins the room of <paramref name="nameplate"/>; Paired follows (see WaitForPeerAsync).</summary>
    public async Task ClaimAsync(uint nameplate, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(nameplate);
        byte[] payload = new byte[NameplateMessage.Size];
        new NameplateMessage(nameplate).Write(payload);
        await WriteOrReportAsync(_stream, Reader, _relay, Frame.Encode(FrameType.Claim, payload), cancellationToken).ConfigureAwait(false);
        uint opened = await ReadOpenedAsync(cancellationToken).ConfigureAwait(false);
        if (opened != nameplate)
        {
            throw new RelayException(RelayFailureKind.Protocol, $"the relay at {_relay} opened code number {opened} instead of {nameplate}");
        }
    }

    /// <summary>Returns when the relay reports the room complete; from then on Stream/Reader carry peer frames.</summary>
    public async Task<PairedMessage> WaitForPeerAsync(CancellationToken cancellationToken)
    {
        RoomEntry entry = await WaitForPeerOrRoomAsync(cancellationToken).ConfigureAwait(false);
        return entry.Paired ?? throw new RelayException(RelayFailureKind.ChatRoom,
            "this code belongs to a chat room, not a transfer: join it with 'tallow chat CODE'");
    }

    /// <summary>
    /// A pair's Paired, or a routing room's RoomMembers (this member's id and the others'): from
    /// then on Stream/Reader carry the room's frames (RoomConnection).
    /// </summary>
    public async Task<RoomEntry> WaitForPeerOrRoomAsync(CancellationToken cancellationToken)
    {
        FrameReadResult result = await ReadControlAsync(Reader, _relay, cancellationToken).ConfigureAwait(false);
        if (result.Type == FrameType.Paired && PairedMessage.TryParse(Reader.CurrentPayload.Span, out PairedMessage paired))
        {
            return new RoomEntry(paired, null);
        }

        if (result.Type == FrameType.RoomMembers && RoomMembersMessage.TryParse(Reader.CurrentPayload.Span, out RoomMembersMessage members))
        {
            return new RoomEntry(null, members);
        }

        throw new RelayException(RelayFailureKind.Protocol, $"the relay at {_relay} sent frame type 0x{(byte)result.Type:x2} instead of Paired");
    }

    /// <summary>Sends a keep-alive the relay ignores (only before pairing).</summary>
    public ValueTask SendPingAsync(CancellationToken cancellationToken) =>
        _stream.WriteAsync(Frame.Encode(FrameType.Ping, []), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        Reader.Dispose();
        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// The Auth frame: this client's half of the CPace exchange on the relay password (RelayPasswordPake),
    /// answering the relay's share in <paramref name="welcome"/>. Nothing in it can be checked against a
    /// password offline; the password bytes are zeroed before returning.
    /// </summary>
    internal static byte[] ComputeAuth(string password, WelcomeMessage welcome, string relay)
    {
        byte[] passwordBytes = Encoding.UTF8.GetBytes(password);
        byte[] payload = new byte[AuthMessage.Size];
        try
        {
            if (!RelayPasswordPake.TryRespond(passwordBytes, welcome.Nonce, welcome.AuthShare, payload.AsSpan(0, RelayProtocol.AuthShareSize), payload.AsSpan(RelayProtocol.AuthShareSize)))
            {
                throw new RelayException(RelayFailureKind.Protocol,
                    $"the relay at {relay} sent an invalid password challenge: check that it is a Tallow relay of the same version");
            }

            return Frame.Encode(FrameType.Auth, payload);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
            CryptographicOperations.ZeroMemory(payload);
        }
    }

    private async Task<uint> ReadOpenedAsync(CancellationToken cancellationToken)
    {
        FrameReadResult result = await ReadControlAsync(Reader, _relay, cancellationToken).ConfigureAwait(false);
        if (result.Type != FrameType.Opened || !NameplateMessage.TryParse(Reader.CurrentPayload.Span, out NameplateMessage opened))
        {
            throw new RelayException(RelayFailureKind.Protocol, $"the relay at {_relay} sent frame type 0x{(byte)result.Type:x2} instead of Opened");
        }

        return opened.Nameplate;
    }

    /// <summary>Reads the next relay frame, skipping Pings; an Error frame becomes a RelayException.</summary>
    private static async Task<FrameReadResult> ReadControlAsync(FrameReader reader, string relay, CancellationToken token)
    {
        while (true)
        {
            FrameReadResult result;
            try
            {
                result = await reader.ReadAsync(Frame.MaxUnpairedLength, token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                throw new RelayException(RelayFailureKind.Unreachable,
                    $"the connection to the relay at {relay} was lost ({e.Message}): check your network and retry", null, e);
            }

            if (result.EndOfStream)
            {
                throw new RelayException(RelayFailureKind.Unreachable,
                    $"the relay at {relay} closed the connection unexpectedly: retry, and check that it is a Tallow relay of the same version");
            }

            if (!result.IsFrame)
            {
                throw new RelayException(RelayFailureKind.Protocol, $"the relay at {relay} sent a malformed frame: check that it is a Tallow relay");
            }

            if (result.Type == FrameType.Ping)
            {
                continue;
            }

            if (result.Type == FrameType.Error)
            {
                if (!ErrorMessage.TryParse(reader.CurrentPayload.Span, out ErrorMessage error))
                {
                    throw new RelayException(RelayFailureKind.Protocol, $"the relay at {relay} sent a malformed error");
                }

                throw RelayException.FromRelayError(relay, error);
            }

            return result;
        }
    }

    /// <summary>Writes a control frame; if the relay already closed, reports the Error frame it left behind.</summary>
    private static async Task WriteOrReportAsync(Stream stream, FrameReader reader, string relay, byte[] frame, CancellationToken token)
    {
        try
        {
            await stream.WriteAsync(frame, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // The relay may have refused us (e.g. rate limit) and closed: its Error explains why.
            await ReadControlAsync(reader, relay, token).ConfigureAwait(false);
            throw new RelayException(RelayFailureKind.Unreachable, $"the connection to the relay at {relay} was lost: retry", null, e);
        }
    }

    private static RelayException Unreachable(string relay, SocketException e)
    {
        string reason = e.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused",
            SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host not found",
            SocketError.NetworkUnreachable or SocketError.HostUnreachable => "network unreachable",
            SocketError.TimedOut => "timed out",
            _ => e.Message,
        };
        return new RelayException(RelayFailureKind.Unreachable,
            $"cannot reach the relay at {relay} ({reason}): check the address, or start one with 'tallow relay serve'", null, e);
    }

    private static string Display(string host, int port) =>
        host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]:{port}" : $"{host}:{port}";
}
