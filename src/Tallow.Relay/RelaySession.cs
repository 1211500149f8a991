// One client connection of the relay (DESIGN.md §5). A single read loop drives the state
// machine AwaitHello → AwaitAuth → AwaitRoom → Waiting → Spliced, or AwaitRoom → Routing for a
// chat-room member; see RelaySession.Splice.cs for the spliced phase and RelaySession.Routing.cs
// for the routing one. With a password, Welcome carries the relay's CPace share and Auth is
// checked once by RelayPasswordVerifier (docs/protocol.md "Relay"). Invariants:
//  - before pairing only whole frames ≤ Frame.MaxUnpairedLength are accepted; anything else is
//    refused with Error{code} (then the socket is half-closed, briefly drained and closed);
//  - the state only moves forward; Waiting/Spliced/Routing are set under the registry lock, timers
//    only abort a session that is not Spliced (checked under _gate);
//  - writes to the socket are serialised by _writeLock (control frames vs. spliced bytes);
//  - with TLS (RelaySession.Tls.cs) the handshake comes first, under the hello timeout;
//  - a WebSocket client (Web/WebEndpoint.cs) runs the same machine over a WebSocketTransport
//    stream (no socket of its own: _socket is null, TLS was done by the web port, never spliced).
using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Tallow.Crypto;
using Tallow.Wire;

namespace Tallow.Relay;

internal enum SessionState
{
    AwaitHello,
    AwaitAuth,
    AwaitRoom,
    Waiting,
    Spliced,

    /// <summary>A member of a chat room: its frames are routed (RelaySession.Routing.cs).</summary>
    Routing,
}

internal sealed partial class RelaySession
{
    // One whole unpaired frame (≤ 1029 bytes with header) always fits after compaction.
    private const int ControlBufferSize = 2048;

    private readonly RelayContext _context;
    private readonly Socket? _socket; // null for a WebSocket client
    private readonly SocketReadiness.Registration? _readiness; // _socket's place in a splice loop (zero-copy forwarding)
    private Stream _stream; // the NetworkStream, the SslStream over it once TLS is up (RelaySession.Tls.cs), or a WebSocketTransport
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _controlCts;
    private readonly Lock _gate = new();
    private readonly byte[] _nonce = RandomNumberGenerator.GetBytes(RelayProtocol.NonceSize);
    private SessionState _state;
    private Refusal? _abort;
    private ITimer? _helloTimer;
    private RelayPasswordVerifier? _auth; // between Welcome and Auth on a relay with a password
    private Room? _room;
    private RelaySession? _partner;

    public RelaySession(RelayContext context, Socket socket, IPEndPoint remote)
        : this(context, socket, new NetworkStream(socket, ownsSocket: true), remote)
    {
    }

    /// <summary>A session over a WebSocket client's byte stream (Web/WebSocketTransport.cs); the stream is owned.</summary>
    public RelaySession(RelayContext context, Stream webSocket, IPEndPoint remote)
        : this(context, null, webSocket, remote)
    {
    }

    private RelaySession(RelayContext context, Socket? socket, Stream stream, IPEndPoint remote)
    {
        _context = context;
        _socket = socket;
        _readiness = socket is null ? null : new SocketReadiness.Registration(socket.SafeHandle);
        _stream = stream;
        _controlCts = CancellationTokenSource.CreateLinkedTokenSource(context.Shutdown);
        Remote = remote;
        SourceKey = AddressKey.Of(remote.Address);
    }

    public IPEndPoint Remote { get; }

    /// <summary>The client's address as the per-address limits count it (IPv6: its /64).</summary>
    public UInt128 SourceKey { get; }

    private SessionState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>Runs the connection to its end. Never throws.</summary>
    public async Task RunAsync()
    {
        byte[]? control = ArrayPool<byte>.Shared.Rent(ControlBufferSize);
        try
        {
            _helloTimer = _context.Time.CreateTimer(
                static s => ((RelaySession)s!).OnHelloTimeout(), this, _context.Options.HelloTimeout, Timeout.InfiniteTimeSpan);
            if (!await StartTlsAsync().ConfigureAwait(false))
            {
                return;
            }

            ControlResult result = await RunControlAsync(control).ConfigureAwait(false);
            DisposeHelloTimer();
            if (result.Refusal is not null)
            {
                await RefuseAsync(result.Refusal).ConfigureAwait(false);
            }
            else if (result.Splice && State == SessionState.Routing)
            {
                await RouteAsync(control, result.Start, result.End, result.EndOfStream).ConfigureAwait(false);
            }
            else if (result.Splice)
            {
                // A paired connection keeps no buffer of its own: the bytes read past the control phase
                // (usually none) are copied out and the control buffer goes back to the pool.
                byte[] early = control.AsSpan(result.Start, result.End - result.Start).ToArray();
                ArrayPool<byte>.Shared.Return(control, clearArray: true);
                control = null;
                await SpliceAsync(early, 0, early.Length, result.EndOfStream).ConfigureAwait(false);
            }
            else
            {
                Leave();
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Leave();
        }
        catch (Exception e)
        {
            // A bug must cost this connection (and its room), never the relay.
            _context.Write($"relay: internal error on {Remote}: {e.GetType().Name}: {e.Message}");
            Leave();
        }
        finally
        {
            DisposeHelloTimer();
            DisposeAuth();
            if (control is not null)
            {
                ArrayPool<byte>.Shared.Return(control, clearArray: true);
            }

            _controlCts.Dispose();
        }
    }

    /// <summary>Stops the control (or routing) loop with <paramref name="refusal"/> unless the session is already spliced.</summary>
    public void Abort(Refusal refusal)
    {
        lock (_gate)
        {
            if (_state == SessionState.Spliced || _abort is not null)
            {
                return;
            }

            _abort = refusal;
        }

        CancelControl();
    }

    public void CloseSocket()
    {
        if (_readiness is not null)
        {
            SocketReadiness.Forget(_readiness);
        }

        Volatile.Read(ref _stream).Dispose();
        _closed.Cancel();
    }

    private void OnHelloTimeout()
    {
        if (State < SessionState.Waiting)
        {
            Abort(new Refusal(RelayErrorCode.Timeout,
                "hello timeout: Hello, Auth and Allocate/Claim must complete within " + Describe(_context.Options.HelloTimeout),
                RelayRejectionReason.HelloTimeout));
        }
    }

    private void DisposeHelloTimer() => Interlocked.Exchange(ref _helloTimer, null)?.Dispose();

    private void DisposeAuth() => Interlocked.Exchange(ref _auth, null)?.Dispose();

    /// <summary>The session left the control phase: its bytes are spliced to a partner or routed in a chat room.</summary>
    private bool Forwarding => State >= SessionState.Spliced;

    /// <summary>Splice: the control phase ended in Spliced or Routing; Start..End of the buffer are the bytes read past it.</summary>
    private readonly record struct ControlResult(Refusal? Refusal, bool Splice, int Start, int End, bool EndOfStream);

    private async Task<ControlResult> RunControlAsync(byte[] buffer)
    {
        int start = 0;
        int end = 0;
        while (true)
        {
            while (!Forwarding)
            {
                FrameStatus status = Frame.TryParse(buffer.AsSpan(start, end - start), Frame.MaxUnpairedLength, out FrameType type, out _, out int consumed);
                if (status == FrameStatus.NeedMore)
                {
                    break;
                }

                if (status == FrameStatus.TooLarge)
                {
                    return Refused(RelayErrorCode.FrameTooLarge, $"frames before pairing are limited to {Frame.MaxUnpairedLength} bytes", RelayRejectionReason.FrameTooLarge);
                }

                if (status != FrameStatus.Ok)
                {
                    return Refused(RelayErrorCode.BadRequest, "malformed frame", RelayRejectionReason.BadRequest);
                }

                ReadOnlyMemory<byte> payload = buffer.AsMemory(start + Frame.HeaderSize, consumed - Frame.HeaderSize);
                start += consumed;
                Refusal? refusal = Volatile.Read(ref _abort) ?? await HandleFrameAsync(type, payload).ConfigureAwait(false);
                if (refusal is not null)
                {
                    return new ControlResult(refusal, false, 0, 0, false);
                }
            }

            if (Forwarding)
            {
                return new ControlResult(null, true, start, end, false);
            }

            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }

            int read;
            try
            {
                read = await _stream.ReadAsync(buffer.AsMemory(end, ControlBufferSize - end), _controlCts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                if (Forwarding)
                {
                    return new ControlResult(null, true, start, end, false);
                }

                return new ControlResult(Volatile.Read(ref _abort) ?? ShuttingDown, false, 0, 0, false);
            }

            end += read;
            if (Forwarding)
            {
                return new ControlResult(null, true, start, end, read == 0);
            }

            if (read == 0)
            {
                return default; // the client left
            }
        }
    }

    private static readonly Refusal ShuttingDown = new(RelayErrorCode.ShuttingDown, "the relay is shutting down; try again later", RelayRejectionReason.ShuttingDown);

    private static ControlResult Refused(RelayErrorCode code, string message, RelayRejectionReason reason) =>
        new(new Refusal(code, message, reason), false, 0, 0, false);

    private async ValueTask<Refusal?> HandleFrameAsync(FrameType type, ReadOnlyMemory<byte> payload)
    {
        SessionState state = State;
        if (type == FrameType.Ping)
        {
            return null; // keep-alive from an unpaired client: allowed and ignored
        }

        switch (state)
        {
            case SessionState.AwaitHello:
                return await OnHelloAsync(type, payload).ConfigureAwait(false);
            case SessionState.AwaitAuth:
                return OnAuth(type, payload.Span);
            case SessionState.AwaitRoom when type == FrameType.Allocate:
                return await OnAllocateAsync(payload).ConfigureAwait(false);
            case SessionState.AwaitRoom when type == FrameType.Claim:
                return await OnClaimAsync(payload).ConfigureAwait(false);
            case SessionState.AwaitRoom:
                return new Refusal(RelayErrorCode.BadRequest, $"expected Allocate or Claim, got frame type 0x{(byte)type:x2}", RelayRejectionReason.BadRequest);
            default:
                return new Refusal(RelayErrorCode.BadRequest, $"unexpected frame type 0x{(byte)type:x2} while waiting for a peer", RelayRejectionReason.BadRequest);
        }
    }

    private async ValueTask<Refusal?> OnHelloAsync(FrameType type, ReadOnlyMemory<byte> payload)
    {
        if (type != FrameType.Hello || !HelloMessage.TryParse(payload.Span, out HelloMessage hello))
        {
            return new Refusal(RelayErrorCode.BadRequest, "expected Hello (is this a Tallow client?)", RelayRejectionReason.BadRequest);
        }

        if (hello.Version != RelayProtocol.Version)
        {
            return new Refusal(RelayErrorCode.VersionMismatch,
                $"this relay speaks protocol version {RelayProtocol.Version}, the client {hello.Version}: update the older side",
                RelayRejectionReason.VersionMismatch);
        }

        byte[]? share = null;
        if (_context.AuthPassword is not null)
        {
            _auth = RelayPasswordVerifier.Start(_context.AuthPassword, _nonce);
            share = _auth.Share.ToArray();
        }

        var welcome = new WelcomeMessage(RelayProtocol.Version, Remote, _nonce, share is not null, _context.ProbePort, share);
        byte[] frame = new byte[Frame.HeaderSize + WelcomeMessage.MaxSize];
        int length = welcome.Write(frame.AsSpan(Frame.HeaderSize));
        Frame.WriteHeader(frame, FrameType.Welcome, length);
        lock (_gate)
        {
            _state = _auth is null ? SessionState.AwaitRoom : SessionState.AwaitAuth;
        }

        await WriteAsync(frame.AsMemory(0, Frame.HeaderSize + length), _context.Shutdown).ConfigureAwait(false);
        return null;
    }

    private Refusal? OnAuth(FrameType type, ReadOnlySpan<byte> payload)
    {
        if (type != FrameType.Auth)
        {
            return new Refusal(RelayErrorCode.AuthRequired, "this relay requires a password", RelayRejectionReason.AuthRequired);
        }

        if (RefuseIfBlocked() is Refusal blocked)
        {
            DisposeAuth();
            return blocked;
        }

        // One verification per connection: the exchange's secrets are zeroed whatever the outcome.
        bool ok = AuthMessage.TryParse(payload, out AuthMessage auth) && _auth!.Verify(auth.Share, auth.Confirm);
        DisposeAuth();
        if (!ok)
        {
            RecordFailedAttempt();
            return new Refusal(RelayErrorCode.AuthFailed, "wrong relay password", RelayRejectionReason.AuthFailed);
        }

        lock (_gate)
        {
            _state = SessionState.AwaitRoom;
        }

        return null;
    }

    private static string Describe(TimeSpan span) =>
        span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalSeconds:0.###} s";
}
