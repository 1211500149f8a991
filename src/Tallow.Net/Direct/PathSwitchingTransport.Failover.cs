// Failover half of PathSwitchingTransport (DESIGN.md §9.6): runs once, when the direct path
// breaks while in use. Steps, in order:
//   1. stop every direct-path loop and abort the connection (pending reads/writes fail);
//   2. stop the relay pinger, then send PathResync{records we received, MAC} on the relay;
//   3. wait for the peer's PathResync (the relay watcher or the relay reader delivers it);
//   4. replay, over the relay, every buffered frame the peer has not received, then let
//      writers continue on the relay; the reader drains what the direct path delivered and
//      then reads the peer's replay from the relay.
// If the relay is gone too, or the peer cannot be resynchronised, the session ends with a
// network error (IOException to the channel): never a gap or a duplicate in the record stream.
// Once the fallback is complete, PrepareForNextDirectAsync forgets the broken connection so a
// long session can negotiate a new direct path (PeerSession's retry with back-off).
using System.Buffers;
using Tallow.Wire;

namespace Tallow.Net.Direct;

public sealed partial class PathSwitchingTransport
{
    private long _framesSentBeforeFailover;

    private Task StartFailover(string reason)
    {
        lock (_gate)
        {
            if (_failover is null)
            {
                _framesSentBeforeFailover = _framesSent; // later frames go to the relay after the replay
                _failover = Task.Run(() => FailoverAsync(reason));
            }

            return _failover;
        }
    }

    private async Task FailoverAsync(string reason)
    {
        try
        {
            if (_closing)
            {
                throw new IOException($"{reason} while the session was ending");
            }

            _directCts?.Cancel();
            _direct?.Abort();
            OpenWindow();
            await WaitQuietlyAsync(_directReader, _heartbeat, _relayPinger).ConfigureAwait(false);
            if (_relayLost)
            {
                throw new IOException($"{reason}, and the relay connection is gone too");
            }

            // Nothing reads the direct connection any more. While the peer's last relay records are still
            // unread (the initiator between its P2PSelect and the peer's P2PSwitched) the count can be low:
            // the peer then replays only what it sent direct (ReplayAsync), the rest is on the relay.
            ulong received = (ulong)Interlocked.Read(ref _framesReceived);
            await WriteRelayAsync(Frame.Encode(FrameType.PathResync, _key.Resync(received)), _lifetime.Token).ConfigureAwait(false);

            ulong peerReceived;
            try
            {
                peerReceived = await _peerResync.Task.WaitAsync(_timings.ResyncTimeout, _lifetime.Token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new IOException($"{reason}, and the peer did not resume over the relay within {_timings.ResyncTimeout.TotalSeconds:0} s");
            }

            await ReplayAsync(peerReceived).ConfigureAwait(false);
            _writesDirect = false;
            _inbound.Writer.TryComplete();
            FellBackToRelay?.Invoke();
        }
        catch (Exception e) when (e is not OperationCanceledException || !_lifetime.IsCancellationRequested)
        {
            var failure = e as IOException ?? new IOException($"{reason}; falling back to the relay failed: {e.Message}", e);
            _inbound.Writer.TryComplete(failure);
            throw failure;
        }
    }

    /// <summary>
    /// Sends over the relay the frames numbered ≥ <paramref name="peerReceived"/> that went direct, in order.
    /// Frames sent over the relay need no copy: the relay delivers them ahead of the replay. A peer whose
    /// count is below them (it failed over while its reader was still on the relay, as the initiator can
    /// during the switch) still has them coming.
    /// </summary>
    private async Task ReplayAsync(ulong peerReceived)
    {
        List<SentFrame> replay = [];
        lock (_gate)
        {
            long relayEnd = _firstDirectFrame >= 0 ? _firstDirectFrame : _framesSentBeforeFailover;
            ulong from = Math.Max(peerReceived, (ulong)relayEnd);
            long oldest = _unacknowledged.TryPeek(out SentFrame first) ? first.Index : _framesSentBeforeFailover;
            if (peerReceived > (ulong)_framesSentBeforeFailover || from < (ulong)oldest)
            {
                throw new IOException("the peer asked to resume at a record this side cannot replay");
            }

            // Taken out of the window, not copied from it: an ack still arriving from the dying
            // direct path (OnAck) gave a frame's array back to the pool while it was being
            // replayed, and a frame read into that array meanwhile reached the peer as a tampered
            // record (seen in CI once FrameArrays reused arrays of any length in a size class).
            while (_unacknowledged.TryDequeue(out SentFrame sent))
            {
                if ((ulong)sent.Index >= from)
                {
                    replay.Add(sent);
                }
                else
                {
                    FramePool.Return(sent.Array);
                }
            }

            _unacknowledgedBytes = 0;
        }

        try
        {
            foreach (SentFrame sent in replay)
            {
                await WriteRelayAsync(sent.Array.AsMemory(0, sent.Length), _lifetime.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            foreach (SentFrame sent in replay)
            {
                FramePool.Return(sent.Array);
            }
        }
    }

    private static async Task AwaitFailoverAsync(Task failover)
    {
        try
        {
            await failover.ConfigureAwait(false);
        }
        catch (IOException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new IOException("the direct connection broke and the session could not continue over the relay", e);
        }
    }

    /// <summary>
    /// After a completed fallback: drops the broken direct connection and its state so the next
    /// negotiation can switch to a new one. True when the transport is on the relay and ready;
    /// false while a failover is under way, the reader still drains the old path, or the relay is gone.
    /// </summary>
    public async ValueTask<bool> PrepareForNextDirectAsync()
    {
        Task? failover;
        Task? watcher;
        lock (_gate)
        {
            failover = _failover;
            if (failover is null)
            {
                return _direct is null && !_closing; // never went direct: ready as it is
            }

            if (!failover.IsCompletedSuccessfully || _readsDirect || _relayLost || _closing)
            {
                return false;
            }

            watcher = _relayWatcher;
        }

        await WaitQuietlyAsync(watcher).ConfigureAwait(false); // it ended with the peer's PathResync
        DirectConnection? old;
        CancellationTokenSource? oldCts;
        lock (_gate)
        {
            old = _direct;
            oldCts = _directCts;
            _direct = null;
            _directCts = null;
            _failover = null;
            _firstDirectFrame = -1;
            _directReader = _heartbeat = _relayWatcher = _relayPinger = null;
            _inbound = NewInbound();
            _peerResync = new TaskCompletionSource<ulong>(TaskCreationOptions.RunContinuationsAsynchronously);
            _windowOpened = null;
            _readerWaiting = false;
            Interlocked.Exchange(ref _bytesSinceAck, 0);
        }

        ReleaseRetransmitBuffer();
        oldCts?.Dispose();
        if (old is not null)
        {
            await old.DisposeAsync().ConfigureAwait(false);
        }

        return true;
    }
}
