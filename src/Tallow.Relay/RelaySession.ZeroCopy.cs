// Zero-copy forwarding of a spliced pair on Linux (DESIGN.md §5.4): source socket → kernel pipe →
// partner socket with splice(2), so the relay neither copies the bytes nor holds a user-space
// buffer for them. The rules of the copy path (RelaySession.Splice.cs) hold unchanged: at most one
// pipe-full in flight per direction, drained completely before the next read (back-pressure);
// writes to the partner under its _writeLock; every byte counted in the metrics and touching the
// room's idle timer; EOF passed on as a half-close by the caller.
//
// Wake-ups are what this path costs, not bytes: the source socket leaves .NET's socket engine
// (DotNetSocketEngine) and readiness comes from SocketReadiness, whose loop thread runs this code
// inline between waits, so a wait is one wake-up and no thread hand-over; the caller hops back to
// the thread pool when it ends. From here on nothing uses .NET's asynchronous I/O on these
// sockets. TLS sessions and other systems keep the copy path. The pipe comes from SplicePipe's
// pool and is given back while the direction waits for data, so an idle pair holds no pipe.
using System.Net.Sockets;

namespace Tallow.Relay;

internal sealed partial class RelaySession
{
    // Bytes a direction moves without waiting before it lets the other sockets of its loop go
    // first: it waits for its (readable) source again, which puts it behind the events already due.
    private const long YieldAfterBytes = 8 << 20;

    // Cancelled when this session's socket is closed (CloseSocket): ends a wait on it.
    private readonly CancellationTokenSource _closed = new();

    /// <summary>Whether this session's bytes can go to <paramref name="partner"/> by splice (else the copy path).</summary>
    private bool CanZeroCopy(RelaySession partner) =>
        _context.Options.ZeroCopy && _context.Tls is null && OperatingSystem.IsLinux()
        && Volatile.Read(ref _stream) is NetworkStream && Volatile.Read(ref partner._stream) is NetworkStream
        && SocketReadiness.Available
        && _readiness is not null && partner._readiness is not null
        && SplicePipe.IsNonBlocking(_socket!) && SplicePipe.IsNonBlocking(partner._socket!);

    /// <summary>
    /// Forwards <paramref name="early"/> (bytes read past the control phase), then everything until
    /// this session's EOF (returns) or a failure (throws), and continues on the thread pool; the
    /// caller half-closes or closes the room.
    /// </summary>
    private async Task ForwardZeroCopyAsync(RelaySession partner, Room room, ReadOnlyMemory<byte> early, CancellationToken shutdown)
    {
        try
        {
            await SpliceToAsync(partner, room, early, shutdown).ConfigureAwait(false);
        }
        finally
        {
            // Leave the splice loop's thread: what follows (half-close, closing the room, logging)
            // must not hold up every other socket's forwarding.
            await Task.Yield();
        }
    }

    private async Task SpliceToAsync(RelaySession partner, Room room, ReadOnlyMemory<byte> early, CancellationToken shutdown)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(shutdown, _closed.Token, partner._closed.Token);
        CancellationToken token = stop.Token;
        SafeSocketHandle source = _socket!.SafeHandle;
        SafeSocketHandle destination = partner._socket!.SafeHandle;
        DotNetSocketEngine.Detach(source);
        _context.Metrics.ZeroCopyStarted();
        SplicePipe? pipe = early.IsEmpty ? null : SplicePipe.Holding(early.Span);
        long sinceWait = 0;
        try
        {
            while (true)
            {
                if (pipe is { Buffered: > 0 })
                {
                    room.Touch();
                    await partner._writeLock.WaitAsync(token).ConfigureAwait(false);
                    try
                    {
                        while (pipe.Buffered > 0)
                        {
                            long drained = pipe.Drain(destination);
                            if (drained == SplicePipe.WouldBlock)
                            {
                                await SocketReadiness.WaitAsync(partner._readiness!, write: true, token).ConfigureAwait(false);
                                sinceWait = 0;
                                continue;
                            }

                            _context.Metrics.Forwarded(drained);
                            sinceWait += drained;
                            room.Touch();
                        }
                    }
                    finally
                    {
                        partner._writeLock.Release();
                    }

                    if (!pipe.IsKernelPipe)
                    {
                        // A user-space buffer (early bytes, or no pipe could be made) goes back once
                        // drained: the next read tries for a pipe again.
                        pipe.Release();
                        pipe = null;
                    }

                    continue;
                }

                pipe ??= SplicePipe.Rent();
                // Past YieldAfterBytes without a wait, the direction lets its loop's other sockets go
                // first: its source is likely still readable, so that wait ends on the loop's next round.
                long filled = sinceWait >= YieldAfterBytes ? SplicePipe.WouldBlock : pipe.Fill(source);
                if (filled == SplicePipe.EndOfStream)
                {
                    return; // nothing is buffered: every fill is drained before the next one
                }

                if (filled == SplicePipe.WouldBlock)
                {
                    // Wait for data holding neither buffer nor pipe; a closed socket ends it (token, or the next splice fails).
                    pipe.Release();
                    pipe = null;
                    await SocketReadiness.WaitAsync(_readiness!, write: false, token).ConfigureAwait(false);
                    sinceWait = 0;
                }
            }
        }
        finally
        {
            pipe?.Release(); // closed instead when a failure left bytes in it
        }
    }
}
