// Zero-copy forwarding of a spliced pair on Linux (DESIGN.md §5.4): source socket → kernel pipe →
// partner socket with splice(2), so the relay neither copies the bytes nor holds a user-space
// buffer for them. The rules of the copy path (RelaySession.Splice.cs) hold unchanged: at most one
// pipe-full (64 KiB by default) in flight per direction, drained completely before the next read
// (back-pressure); writes to the partner under its _writeLock; every byte counted in the metrics
// and touching the room's idle timer; EOF passed on as a half-close by the caller. Readability is
// awaited with a zero-byte ReceiveAsync (no buffer, no thread), writability with SocketWritable.
// TLS sessions and other systems keep the copy path.
using System.Net.Sockets;

namespace Tallow.Relay;

internal sealed partial class RelaySession
{
    // Cancelled when this session's socket is closed (CloseSocket): ends a wait for the socket to become writable.
    private readonly CancellationTokenSource _closed = new();

    /// <summary>A pipe for forwarding this session's bytes to <paramref name="partner"/> without copying, or null for the copy path.</summary>
    private SplicePipe? TryOpenZeroCopy(RelaySession partner)
    {
        if (!_context.Options.ZeroCopy || _context.Tls is not null || !OperatingSystem.IsLinux()
            || Volatile.Read(ref _stream) is not NetworkStream || Volatile.Read(ref partner._stream) is not NetworkStream
            || SocketWritable.Shared is null
            || !SplicePipe.IsNonBlocking(_socket) || !SplicePipe.IsNonBlocking(partner._socket))
        {
            return null;
        }

        return SplicePipe.TryCreate();
    }

    /// <summary>Forwards until this session's EOF (returns) or a failure (throws); the caller half-closes or closes the room.</summary>
    private async Task ForwardZeroCopyAsync(SplicePipe pipe, RelaySession partner, Room room, CancellationToken shutdown)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(shutdown, partner._closed.Token);
        CancellationToken token = stop.Token;
        SafeSocketHandle source = _socket.SafeHandle;
        SafeSocketHandle destination = partner._socket.SafeHandle;
        SocketWritable writable = SocketWritable.Shared!;
        var armed = new SocketWritable.Registration();
        _context.Metrics.ZeroCopyStarted();
        try
        {
            while (true)
            {
                long filled = pipe.Fill(source);
                if (filled == SplicePipe.EndOfStream)
                {
                    return; // nothing is buffered: every fill is drained before the next one
                }

                if (filled == SplicePipe.WouldBlock)
                {
                    // Wait for data without a buffer; it ends with an exception when the socket is closed.
                    await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, token).ConfigureAwait(false);
                    continue;
                }

                room.Touch();
                await partner._writeLock.WaitAsync(token).ConfigureAwait(false);
                try
                {
                    while (pipe.Buffered > 0)
                    {
                        long drained = pipe.Drain(destination);
                        if (drained == SplicePipe.WouldBlock)
                        {
                            await writable.WaitAsync(destination, armed, token).ConfigureAwait(false);
                            continue;
                        }

                        _context.Metrics.Forwarded(drained);
                        room.Touch();
                    }
                }
                finally
                {
                    partner._writeLock.Release();
                }
            }
        }
        finally
        {
            writable.Forget(destination, armed);
        }
    }
}
