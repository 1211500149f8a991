// Routing phase of a chat-room member (docs/protocol.md "Chat rooms"): one read loop per member
// takes whole frames of at most RoomProtocol.MaxFrameLength. Route{to, payload} is rewritten in
// place into Routed{from = this member's id, payload} and delivered to member `to` (the payload is
// never looked at, and `from` is always stamped here, so no member can speak as another); a Route
// to an id not in the room or to the sender itself is dropped and counted. Ping is activity;
// RoomClose stops admissions and is broadcast to every member. Anything else, or a malformed or
// oversized frame, refuses this member only. A token bucket paces each member's frames: over its
// rate the member is read more slowly (TCP pushes back on it), nothing is dropped.
using System.Buffers;
using System.Net.Sockets;
using Tallow.Wire;

namespace Tallow.Relay;

internal sealed partial class RelaySession
{
    // One whole routing frame (header + id + 64 KiB) always fits after compaction.
    private const int RoutingBufferSize = Frame.HeaderSize + RoomProtocol.MaxFrameLength;

    /// <summary>Routes this member's frames until it leaves or is refused, then leaves the room. Never throws.</summary>
    private async Task RouteAsync(byte[] control, int start, int end, bool endOfStream)
    {
        Room room;
        lock (_gate)
        {
            room = _room!;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(RoutingBufferSize);
        Refusal? refusal = null;
        try
        {
            control.AsSpan(start, end - start).CopyTo(buffer); // bytes sent right behind Allocate/Claim
            refusal = await RouteLoopAsync(room, buffer, end - start, endOfStream).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Gone, disconnected as slow, timed out unpaired (Abort) or the relay is stopping.
            refusal = Volatile.Read(ref _abort) ?? (_context.Shutdown.IsCancellationRequested && Volatile.Read(ref _slow) == 0 ? ShuttingDown : null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        await LeaveRoomAsync(room).ConfigureAwait(false);
        if (refusal is not null)
        {
            await RefuseAsync(refusal).ConfigureAwait(false);
        }
        else
        {
            CloseSocket();
        }
    }

    /// <summary>Reads and handles frames; null when the member closed its side, else why it is refused.</summary>
    private async Task<Refusal?> RouteLoopAsync(Room room, byte[] buffer, int end, bool endOfStream)
    {
        byte self;
        lock (_gate)
        {
            self = _memberId;
        }

        RelayOptions options = _context.Options;
        TokenBucket? pace = options.RoomFramesPerSecond > 0
            ? new TokenBucket(options.RoomFramesPerSecond, options.RoomFrameBurst, _context.Time, _context.Time.GetTimestamp())
            : null;
        CancellationToken token = _controlCts.Token;
        int start = 0;
        while (true)
        {
            FrameStatus status = Frame.TryParse(buffer.AsSpan(start, end - start), RoomProtocol.MaxFrameLength, out FrameType type, out _, out int consumed);
            if (status == FrameStatus.Ok)
            {
                if (pace?.Take(_context.Time.GetTimestamp()) is { } wait && wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _context.Time, token).ConfigureAwait(false);
                }

                Refusal? refusal = await OnMemberFrameAsync(room, self, type, buffer.AsMemory(start, consumed), token).ConfigureAwait(false);
                if (refusal is not null)
                {
                    return refusal;
                }

                start += consumed;
                continue;
            }

            if (status == FrameStatus.TooLarge)
            {
                return new Refusal(RelayErrorCode.FrameTooLarge,
                    $"frames in a chat room carry at most {RoomProtocol.MaxRoutedPayload} bytes", RelayRejectionReason.FrameTooLarge);
            }

            if (status != FrameStatus.NeedMore)
            {
                return new Refusal(RelayErrorCode.BadRequest, "malformed frame", RelayRejectionReason.BadRequest);
            }

            if (endOfStream)
            {
                return null; // the member closed its side (a partial frame at the end is dropped)
            }

            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
            int read = await _stream.ReadAsync(buffer.AsMemory(end, RoutingBufferSize - end), token).ConfigureAwait(false);
            endOfStream = read == 0;
            end += read;
        }
    }

    /// <summary>Handles one whole frame (<paramref name="frame"/>: header and payload) of member <paramref name="self"/>.</summary>
    private async ValueTask<Refusal?> OnMemberFrameAsync(Room room, byte self, FrameType type, Memory<byte> frame, CancellationToken token)
    {
        switch (type)
        {
            case FrameType.Route:
                if (!RoutedFrame.TryParse(frame.Span[Frame.HeaderSize..], out byte to, out _))
                {
                    return new Refusal(RelayErrorCode.BadRequest,
                        $"malformed Route: one member id and 1 to {RoomProtocol.MaxRoutedPayload} bytes", RelayRejectionReason.BadRequest);
                }

                room.Touch();
                RelaySession? target = to == self ? null : room.Routing!.Find(to);
                if (target is null)
                {
                    _context.Metrics.RouteDropped();
                    return null;
                }

                // Route{to} becomes Routed{from}: same layout, so only the type and the id byte change.
                frame.Span[Frame.HeaderSize - 1] = (byte)FrameType.Routed;
                frame.Span[Frame.HeaderSize] = self;
                if (await target.DeliverAsync(frame, token).ConfigureAwait(false))
                {
                    room.Touch();
                    _context.Metrics.Routed(frame.Length);
                }

                return null;
            case FrameType.Ping:
                room.Touch();
                return null;
            case FrameType.RoomClose when frame.Length == Frame.HeaderSize:
                room.Touch();
                await CloseAdmissionsAsync(room, self, token).ConfigureAwait(false);
                return null;
            default:
                return new Refusal(RelayErrorCode.BadRequest,
                    $"unexpected frame type 0x{(byte)type:x2} in a chat room (expected Route, Ping or RoomClose)", RelayRejectionReason.BadRequest);
        }
    }
}
