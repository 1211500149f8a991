// Spliced phase of a relay session (DESIGN.md §5.4): bytes are forwarded verbatim to the
// partner, never parsed. On Linux without TLS they go through a kernel pipe with splice(2)
// (RelaySession.ZeroCopy.cs); this file's copy loop serves TLS relays and other systems.
// Back-pressure: each read is written (awaited) to the partner before the next read, so the
// relay holds at most one buffer per direction. EOF is passed on as a half-close
// (Shutdown(Send)); the room closes once both directions ended, or at once on any error.
// Also the refusal path shared by sessions and connections refused at accept.
using System.Net.Sockets;
using Tallow.Wire;

namespace Tallow.Relay;

internal sealed partial class RelaySession
{
    // Copy path (TLS, WebSocket, non-Linux): one buffer per direction while bytes move, none while
    // waiting; 64 KiB, grown once to 256 KiB when a read fills it (a bulk transfer), which
    // quarters the read/write calls per byte; both within the relay-wide CopyBuffers budget.
    private const int SpliceBufferSize = 64 * 1024;
    private const int BulkSpliceBufferSize = 256 * 1024;

    private static readonly TimeSpan ErrorWriteTimeout = TimeSpan.FromSeconds(2);

    // After refusing we half-close and read what the client still sends until it closes too,
    // so the kernel does not answer unread bytes with a RST that could destroy our Error frame.
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(1);
    private const int DrainLimit = 64 * 1024;

    private async Task SpliceAsync(byte[] control, int start, int end, bool endOfStream)
    {
        Room room;
        RelaySession partner;
        lock (_gate)
        {
            room = _room!;
            partner = _partner!;
        }

        // Pings sent while unpaired may sit in front of the first peer bytes: they were meant for the relay.
        while (Frame.TryParse(control.AsSpan(start, end - start), Frame.MaxUnpairedLength, out FrameType type, out _, out int consumed) == FrameStatus.Ok
            && type == FrameType.Ping)
        {
            start += consumed;
        }

        byte[]? buffer = null;
        CancellationToken token = _context.Shutdown;
        try
        {
            bool zeroCopy = !endOfStream && CanZeroCopy(partner);
            if (zeroCopy)
            {
                await ForwardZeroCopyAsync(partner, room, control.AsMemory(start, end - start), token).ConfigureAwait(false);
            }
            else if (end > start)
            {
                await ForwardAsync(partner, room, control.AsMemory(start, end - start), token).ConfigureAwait(false);
            }

            if (!endOfStream && !zeroCopy)
            {
                int size = SpliceBufferSize;
                while (true)
                {
                    if (buffer is null)
                    {
                        // Waiting holds no buffer: a zero-byte read returns once bytes (or the end) are
                        // there, so an idle or chatty pair on a TLS or WebSocket relay costs no 64 KiB
                        // per direction (a socket or SslStream supports it; a stream that returns at
                        // once only makes the next read the one that waits).
                        await _stream.ReadAsync(Memory<byte>.Empty, token).ConfigureAwait(false);
                        buffer = CopyBuffers.Rent(size);
                    }

                    int read = await _stream.ReadAsync(buffer, token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    await ForwardAsync(partner, room, buffer.AsMemory(0, read), token).ConfigureAwait(false);
                    if (read < buffer.Length || buffer.Length < BulkSpliceBufferSize)
                    {
                        // Not a full bulk read: give the buffer back (a full small one comes back
                        // as the bulk size, which quarters the calls per byte of a transfer, or
                        // as the floor again while the relay-wide budget is spent).
                        size = read == buffer.Length ? BulkSpliceBufferSize : size;
                        CopyBuffers.Return(buffer);
                        buffer = null;
                    }
                }
            }

            await partner.ShutdownSendAsync().ConfigureAwait(false);
            if (room.DirectionEnded())
            {
                CloseRoom(room);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            CloseRoom(room);
        }
        finally
        {
            if (buffer is not null)
            {
                CopyBuffers.Return(buffer);
            }
        }
    }

    private async ValueTask ForwardAsync(RelaySession partner, Room room, ReadOnlyMemory<byte> data, CancellationToken token)
    {
        room.Touch();
        await partner.WriteAsync(data, token).ConfigureAwait(false);
        room.Touch();
        _context.Metrics.Forwarded(data.Length);
    }

    private async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken token)
    {
        await _writeLock.WaitAsync(token).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(data, token).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Passes EOF on: a TCP half-close, or a WebSocket Close frame (the browser answers with its own). Never throws.</summary>
    private async ValueTask ShutdownSendAsync()
    {
        try
        {
            await HalfCloseAsync(_stream, _socket).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or OperationCanceledException or System.Net.WebSockets.WebSocketException)
        {
            // Already closed: the room is ending anyway.
        }
    }

    /// <summary>
    /// Half-closes a TCP socket, or sends a WebSocket's Close frame (<paramref name="socket"/> null),
    /// under the error-write bound alone, like the Error before it: at shutdown the shutdown token is
    /// already cancelled, and a WebSocket operation given a cancelled token aborts the connection
    /// instead of sending the Close (a shutdown test's client once saw the connection end without
    /// its Error, 1 run in 7).
    /// </summary>
    private static async ValueTask HalfCloseAsync(Stream stream, Socket? socket)
    {
        if (stream is Web.WebSocketTransport webSocket)
        {
            using var timeout = new CancellationTokenSource(ErrorWriteTimeout);
            await webSocket.CloseOutputAsync(timeout.Token).ConfigureAwait(false);
        }
        else
        {
            socket?.Shutdown(SocketShutdown.Send);
        }
    }

    private void Leave()
    {
        ReleaseRoom();
        CloseSocket();
    }

    private async Task RefuseAsync(Refusal refusal)
    {
        ReleaseRoom();
        _context.Refused(Remote.Address, refusal.Reason, $"relay: refused {Remote} ({RelayMetrics.Label(refusal.Reason)}): {refusal.Message}");
        // A chat-room member may be in the middle of taking another member's frame: let it finish
        // (briefly) so the Error is not spliced into that frame.
        bool locked = false;
        try
        {
            locked = await _writeLock.WaitAsync(ErrorWriteTimeout, _context.Shutdown).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutting down: the Error is still attempted below, with its own bound.
        }

        try
        {
            await SendErrorAndCloseAsync(_stream, _socket, refusal, _context.Shutdown).ConfigureAwait(false);
        }
        finally
        {
            if (locked)
            {
                _writeLock.Release();
            }
        }
    }

    /// <summary>Sends Error{code, message}, half-closes, drains briefly and closes. Never throws.</summary>
    internal static Task SendErrorAndCloseAsync(Stream stream, Socket? socket, Refusal refusal, CancellationToken shutdown)
    {
        byte[] frame = new byte[Frame.HeaderSize + 1 + 2 + RelayProtocol.MaxErrorMessageBytes];
        int length = new ErrorMessage(refusal.Code, refusal.Message).Write(frame.AsSpan(Frame.HeaderSize));
        Frame.WriteHeader(frame, FrameType.Error, length);
        return SendAndCloseAsync(stream, socket, frame.AsMemory(0, Frame.HeaderSize + length), shutdown);
    }

    /// <summary>Sends one last frame, half-closes, drains briefly and closes. Never throws.</summary>
    internal static async Task SendAndCloseAsync(Stream stream, Socket? socket, ReadOnlyMemory<byte> frame, CancellationToken shutdown)
    {
        try
        {
            using (var timeout = new CancellationTokenSource(ErrorWriteTimeout))
            {
                await stream.WriteAsync(frame, timeout.Token).ConfigureAwait(false);
            }

            await HalfCloseAsync(stream, socket).ConfigureAwait(false);
            if (!shutdown.IsCancellationRequested)
            {
                using var drain = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
                drain.CancelAfter(DrainTimeout);
                byte[] sink = new byte[4096];
                int total = 0;
                int read;
                while (total < DrainLimit && (read = await stream.ReadAsync(sink, drain.Token).ConfigureAwait(false)) > 0)
                {
                    total += read;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or System.Net.WebSockets.WebSocketException)
        {
            // The client is gone or too slow; closing is all that is left.
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}
