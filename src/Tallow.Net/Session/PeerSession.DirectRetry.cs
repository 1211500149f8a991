// A long session keeps trying the direct path (DESIGN.md §13): after the direct connection broke
// and the session fell back to the relay, the initiator negotiates again after a back-off
// (DirectRetryTimings: 30 s, doubling up to 10 min, reset after a success); the responder answers
// every new P2PIntent from the initiator. Each attempt binds a new listener on the same port P
// (the relay connection, and so the NAT mapping the peer punches to, still leaves from it). The
// relay stays the fallback throughout: a failed attempt costs a round of messages, never data.
using System.Net;
using System.Net.Sockets;
using Tallow.Net.Direct;
using Tallow.Protocol;
using Tallow.Protocol.Session;
using Tallow.Wire;

namespace Tallow.Net.Session;

public sealed partial class PeerSession
{
    private readonly SemaphoreSlim _fellBack = new(0);
    private readonly CancellationTokenSource _retryStop = new();
    private readonly int _directPort;
    private Task? _retry;

    private void StartDirectRetry(IP2PObserver observer, bool notNeeded)
    {
        if (!Options.DirectEnabled || Options.Proxy is not null || notNeeded || _directPort == 0)
        {
            return;
        }

        CancellationToken stop = _retryStop.Token;
        _retry = Task.Run(() => _isInitiator ? RetryAfterFallbacksAsync(observer, stop) : AnswerRetriesAsync(observer, stop), stop);
    }

    /// <summary>Initiator: after each fallback, attempts until one succeeds, with growing pauses between them.</summary>
    private async Task RetryAfterFallbacksAsync(IP2PObserver observer, CancellationToken ct)
    {
        while (true)
        {
            await _fellBack.WaitAsync(ct).ConfigureAwait(false);
            TimeSpan backoff = Options.DirectRetry.Initial;
            while (!await AttemptAfterAsync(backoff, observer, ct).ConfigureAwait(false))
            {
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, Options.DirectRetry.Max.Ticks));
            }
        }
    }

    private async Task<bool> AttemptAfterAsync(TimeSpan delay, IP2PObserver observer, CancellationToken ct)
    {
        await Task.Delay(delay, Options.Time, ct).ConfigureAwait(false);
        return await AttemptAsync(null, observer, ct).ConfigureAwait(false);
    }

    /// <summary>Responder: every P2PIntent after the first negotiation starts an attempt the initiator leads.</summary>
    private async Task AnswerRetriesAsync(IP2PObserver observer, CancellationToken ct)
    {
        RecordPort path = Records!.Port(RecordGroup.Path);
        while (true)
        {
            Protocol.Records.Record record = await path.ReceiveAsync(ct).ConfigureAwait(false);
            if (record.Kind == RecordKind.P2PIntent)
            {
                await AttemptAsync(record.Body.ToArray(), observer, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One negotiation on the running session; true when it moved to a new direct connection.</summary>
    private async Task<bool> AttemptAsync(byte[]? peerIntent, IP2PObserver observer, CancellationToken ct)
    {
        bool ready = await _transport!.PrepareForNextDirectAsync().ConfigureAwait(false);
        Socket? listener = null;
        try
        {
            if (ready)
            {
                listener = ReusableSocket.Bind(new IPEndPoint(ReusableSocket.Any(_relayEndPoint.AddressFamily), _directPort));
                listener.Listen(16);
            }

            var context = new P2PContext(ready, _isInitiator, listener, _relayEndPoint, _relay.ObservedAddress, _relay.ProbePort, Options.Punch);
            return await P2PNegotiator.NegotiateAsync(Records!.Port(RecordGroup.Path), _transport, _directKey!, context, observer, ct, peerIntent).ConfigureAwait(false) is not null;
        }
        catch (Exception e) when (e is SocketException or TallowException && !ct.IsCancellationRequested)
        {
            return false; // this attempt failed; the session goes on over the relay (and ends on its own if the peer is gone)
        }
        finally
        {
            listener?.Dispose();
        }
    }

    private async Task StopDirectRetryAsync()
    {
        await _retryStop.CancelAsync().ConfigureAwait(false);
        if (_retry is not null)
        {
            try
            {
                await _retry.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Cancelled, or the session ended under it: nothing to report at dispose.
            }
        }

        _retryStop.Dispose();
        _fellBack.Dispose();
    }
}
