// Zero-copy forwarding of a spliced pair on Linux (DESIGN.md §5.4): source socket → kernel pipe →
// partner socket with splice(2), so the relay neither copies the bytes nor holds a user-space
// buffer for them. The rules of the copy path (RelaySession.Splice.cs) hold unchanged: at most one
// pipe-full (64 KiB by default) in flight per direction, drained completely before the next read
// (back-pressure); writes to the partner under its _writeLock; every byte counted in the metrics
// and touching the room's idle timer; EOF passed on as a half-close by the caller. Readability is
// awaited with a zero-byte ReceiveAsync (no buffer, no thread), writability with SocketWritable.
// TLS sessions and other systems keep the copy path. The pipe comes from SplicePipe's pool and is
// given back while the direction waits for data, so an idle pair holds no pipe.
using System.Buffers;
using System.Net.Sockets;

namespace Tallow.Relay;

internal sealed partial class RelaySession
{
    // Cancelled when this session's socket is closed (CloseSocket): ends a wait for the socket to become writable.
    private readonly CancellationTokenSource _closed = new();

    /// <summary>Whether this session's bytes can go to <paramref name="partner"/> by splice (else the copy path).</summary>
    private bool CanZeroCopy(RelaySession partner) =>
        _context.Options.ZeroCopy && _context.Tls is null && OperatingSystem.IsLinux()
        && Volatile.Read(ref _stream) is NetworkStream && Volatile.Read(ref partner._stream) is NetworkStream
        && SocketWritable.Shared is not null
        && _socket is not null && partner._socket is not null
        && SplicePipe.IsNonBlocking(_socket) && SplicePipe.IsNonBlocking(partner._socket);

    /// <summary>
    /// Forwards until this session's EOF (returns) or a failure (throws); the caller half-closes or
    /// closes the room. The pipe is held only while bytes move; when no pipe can be had (out of
    /// descriptors) a chunk goes through a pooled buffer as on the copy path, so nothing stalls.
    /// </summary>
    private async Task ForwardZeroCopyAsync(RelaySession partner, Room room, CancellationToken shutdown)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(shutdown, partner._closed.Token);
        CancellationToken token = stop.Token;
        SafeSocketHandle source = _socket!.SafeHandle;
        SafeSocketHandle destination = partner._socket!.SafeHandle;
        SocketWritable writable = SocketWritable.Shared!;
        var armed = new SocketWritable.Registration();
        SplicePipe? pipe = null;
        byte[]? fallback = null;
        _context.Metrics.ZeroCopyStarted();
        try
        {
            while (true)
            {
                pipe ??= SplicePipe.Rent();
                if (pipe is null)
                {
                    fallback ??= ArrayPool<byte>.Shared.Rent(SpliceBufferSize);
                    int read = await _stream.ReadAsync(fallback, token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return;
                    }

                    await ForwardAsync(partner, room, fallback.AsMemory(0, read), token).ConfigureAwait(false);
                    continue;
                }

                if (fallback is not null)
                {
                    ArrayPool<byte>.Shared.Return(fallback);
                    fallback = null;
                }

                long filled = pipe.Fill(source);
                if (filled == SplicePipe.EndOfStream)
                {
                    return; // nothing is buffered: every fill is drained before the next one
                }

                if (filled == SplicePipe.WouldBlock)
                {
                    // Wait for data holding neither buffer nor pipe; it ends with an exception when the socket is closed.
                    pipe.Release();
                    pipe = null;
                    await _socket!.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, token).ConfigureAwait(false);
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
            pipe?.Release(); // closed instead when a failure left bytes in it
            if (fallback is not null)
            {
                ArrayPool<byte>.Shared.Return(fallback);
            }
        }
    }
}
