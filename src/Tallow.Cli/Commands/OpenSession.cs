// An open session as a command holds it (DESIGN.md §13): the PeerSession, what it runs on (the
// creator's embedded relay and mDNS announcement, which live in this process) and the resumption
// ticket taken right after the handshake. A long-lived command (watch, chat) whose connection was
// lost calls ReconnectAsync: the broken PeerSession goes, a resumed one with fresh keys takes its
// place (no new code, no --verify prompt: the ticket carries the first session's authentication),
// and the P2P upgrade runs again. Only a lost connection reconnects; a peer that left does not.
// Tickets: the current one (the newest session's) and, on the creator's side, the one it resumed
// with until the peer proves it finished that handshake: its first record, the P2P intent
// (PeerSession.ResumeAsync alternates between both rooms meanwhile; protocol.md "Resumption").
// A command interrupted by Ctrl-C tells the peer so on its way out (LeaveWhenCancelled): the peer
// reports "cancelled by the sender/receiver" (exit 3), not a lost connection.
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Tallow.Cli.Hosting;
using Tallow.Cli.Output;
using Tallow.Crypto;
using Tallow.Net.Discovery;
using Tallow.Net.Session;
using Tallow.Protocol;
using Tallow.Protocol.Session;

namespace Tallow.Cli.Commands;

/// <summary>An open session and what it runs on (an embedded relay, an mDNS announcement); disposed together.</summary>
internal sealed class OpenSession(PeerSession peer, EmbeddedRelay? embedded, MdnsAnnouncer? announcer) : IAsyncDisposable
{
    private PeerSession _peer = peer;
    private bool _peerDisposed;
    private ResumptionTicket? _ticket;
    private ResumptionTicket? _unconfirmed;
    private string? _leaveText;
    private CancellationToken _leaveWhen;

    // Within System.CommandLine's wait after Ctrl-C (2 s) before it ends the process.
    private static readonly TimeSpan LeaveGrace = TimeSpan.FromSeconds(1.5);

    /// <summary>The current session (a new one after each ReconnectAsync).</summary>
    public PeerSession Peer => _peer;

    public RecordSession Records => _peer.Records!;

    /// <summary>True when the session's connection was lost (not left on purpose): ReconnectAsync may bring it back.</summary>
    public bool ConnectionLost => !_peerDisposed && _peer.Records is { } records && ConnectionLoss.IsLost(records);

    /// <summary>
    /// Keeps the established session's resumption ticket (call right after the handshake). The
    /// embedded relay lets the resumed room open from now on, so a peer that notices a lost
    /// connection before this side does is not blocked for its early claims.
    /// </summary>
    public void KeepResumptionTicket()
    {
        ResumptionTicket next = _peer.TakeResumptionTicket();
        _ticket?.Dispose();
        _ticket = next;
        PermitRooms();
    }

    /// <summary>The peer sent a record of the newest session: it holds the newest ticket, the one before is spent.</summary>
    private void PeerConfirmed()
    {
        _unconfirmed?.Dispose();
        _unconfirmed = null;
        PermitRooms();
    }

    private void PermitRooms()
    {
        if (embedded is not null && _ticket is not null)
        {
            embedded.PermitResumedRooms(_unconfirmed is null ? [_ticket.Nameplate] : [_ticket.Nameplate, _unconfirmed.Nameplate]);
        }
    }

    /// <summary>
    /// Under this many bytes left to move, a direct connection costs more (probe, candidates, dials,
    /// up to --p2p-timeout) than it saves: the session stays on the relay (P2PIntent "not needed").
    /// </summary>
    public const long DirectWorthwhileBytes = 1024 * 1024;

    private bool _directNotNeeded;

    /// <summary>The peer said (in its P2P intent) that it is a web page: it reads no zstd chunks.</summary>
    public bool PeerIsWeb { get; private set; }

    /// <summary>
    /// Tries the direct path (DESIGN.md §9). Each command calls it once, where it knows what is left
    /// to move: a transfer after the receiver's answer (after --only, --select, resume and files
    /// already here), sync after its offer, chat at once. <paramref name="bytesLeft"/> null: unknown
    /// (a stream still being read, a chat, a sync), which always tries.
    /// </summary>
    public async Task UpgradeAsync(Reporter reporter, long? bytesLeft, CancellationToken ct)
    {
        _directNotNeeded = bytesLeft < DirectWorthwhileBytes;
        var observer = new P2PReporter(reporter);
        await _peer.UpgradeAsync(_peer.Options with { DirectNotNeeded = _directNotNeeded }, observer, ct).ConfigureAwait(false);
        PeerIsWeb |= observer.PeerIsWeb;
    }

    /// <summary>
    /// After the connection was lost: tells the user, resumes the session on the same relay within
    /// SessionOptions.ResumeWindow, and runs the P2P upgrade again (a session lost again during it
    /// is resumed again, within the same window). Throws the session's own end when the peer left
    /// or the session was closed or tampered with, and TallowException (FailureKind.Network) when
    /// the peer did not come back in time. The new session may be lost again right after this
    /// returns (the peer found it broken after its own upgrade): callers check ConnectionLost again.
    /// </summary>
    public async Task ReconnectAsync(Reporter reporter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reporter);
        string reason = ThrowUnlessLost();
        SessionOptions options = _peer.Options with { DirectNotNeeded = _directNotNeeded };
        TimeProvider time = options.Time;
        long started = time.GetTimestamp();
        while (true)
        {
            ResumptionTicket ticket = _ticket ?? throw new InvalidOperationException("no resumption ticket: the session was never established");
            reporter.Event("reconnecting", ("reason", reason));
            reporter.Info($"Connection lost ({reason}); reconnecting...");
            await DisposePeerAsync().ConfigureAwait(false);

            TimeSpan left = options.ResumeWindow - time.GetElapsedTime(started);
            _peer = await PeerSession.ResumeAsync(ticket, _unconfirmed, options with { ResumeWindow = left > TimeSpan.Zero ? left : TimeSpan.FromTicks(1) }, ct).ConfigureAwait(false);
            _peerDisposed = false;
            SpendTickets(_peer.ResumedWith!);
            KeepResumptionTicket();
            reporter.Event("reconnected", ("seconds", time.GetElapsedTime(started).TotalSeconds));
            reporter.Info("Reconnected.");
            try
            {
                await _peer.UpgradeAsync(options, new P2PReporter(reporter), ct).ConfigureAwait(false); // waits for the peer's P2P intent
                PeerConfirmed();
                if (!ConnectionLost)
                {
                    return;
                }

                reason = ThrowUnlessLost(); // already gone again (the peer's intent came in just before the cut)
            }
            catch (TallowException failure) when (failure.Kind == FailureKind.Network)
            {
                // Lost again before the upgrade finished: once more, on the new ticket.
                if (!await LostAsync(options, ct).ConfigureAwait(false))
                {
                    throw;
                }

                reason = ThrowUnlessLost();
            }
        }
    }

    /// <summary>
    /// After a resume opened with <paramref name="used"/>: the other ticket is dead (the peer came to
    /// <paramref name="used"/>'s room). A joiner's used ticket is spent; a creator keeps it as
    /// unconfirmed, since the peer may not have received the new handshake's Confirm.
    /// </summary>
    private void SpendTickets(ResumptionTicket used)
    {
        ResumptionTicket? other = ReferenceEquals(used, _ticket) ? _unconfirmed : _ticket;
        other?.Dispose();
        _ticket = null;
        _unconfirmed = null;
        if (used.IsInitiator)
        {
            _unconfirmed = used;
        }
        else
        {
            used.Dispose();
        }
    }

    /// <summary>
    /// Whether the session was lost, once its read loop ended: right after it failed the inboxes, or
    /// within the receive timeout after a failed send. False when it does not end in twice that.
    /// </summary>
    private async Task<bool> LostAsync(SessionOptions options, CancellationToken ct)
    {
        try
        {
            await _peer.Records!.Ended.WaitAsync(options.ReceiveTimeout * 2, options.Time, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return false;
        }

        return ConnectionLost;
    }

    /// <summary>Why the connection was lost; throws the session's end instead when it was not lost (left, closed, tampered).</summary>
    private string ThrowUnlessLost()
    {
        if (_peerDisposed || _peer.Records is not { } records || !records.Ended.IsCompleted)
        {
            return "the connection broke"; // the caller saw the failure first (a send); the read loop follows
        }

        if (records.PeerLeft.IsCompleted)
        {
            throw RecordSession.PeerLeftException(records.PeerLeft.Result);
        }

        Exception end = records.Ended.Result;
        if (!ConnectionLoss.IsLost(records))
        {
            ExceptionDispatchInfo.Throw(end);
        }

        return ConnectionLoss.Describe(end);
    }

    private async ValueTask DisposePeerAsync()
    {
        if (_peerDisposed)
        {
            return;
        }

        _peerDisposed = true;
        await _peer.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>When <paramref name="ct"/> (the command's Ctrl-C) is cancelled, DisposeAsync first sends the peer a Leave with <paramref name="text"/>.</summary>
    public void LeaveWhenCancelled(string text, CancellationToken ct) => (_leaveText, _leaveWhen) = (text, ct);

    private async ValueTask LeaveIfCancelledAsync()
    {
        if (_leaveText is null || !_leaveWhen.IsCancellationRequested || _peerDisposed || _peer.Records is not { } records || records.Ended.IsCompleted)
        {
            return;
        }

        using var grace = new CancellationTokenSource(LeaveGrace);
        try
        {
            await records.LeaveAsync(_leaveText, grace.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The connection did not take it in time: the peer will see it as lost.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await LeaveIfCancelledAsync().ConfigureAwait(false);
        await DisposePeerAsync().ConfigureAwait(false);
        _ticket?.Dispose();
        _unconfirmed?.Dispose();
        if (announcer is not null)
        {
            await announcer.DisposeAsync().ConfigureAwait(false);
        }

        if (embedded is not null)
        {
            await embedded.DisposeAsync().ConfigureAwait(false);
        }
    }
}
