// Resuming a lost session without a new code (protocol.md "Resumption", DESIGN.md §13). Each side
// keeps a ResumptionTicket taken right after the handshake; after the connection was lost, both
// go back to the same relay: the old creator re-creates the room under the ticket's nameplate, the
// old joiner claims it, and the ticket's one-time code runs the normal handshake (CPace + ML-KEM +
// X25519), so the new session has fresh keys and its own ticket. To the relay this is a room like
// any custom-code room: it sees only a nameplate. Attempts repeat with a back-off (1 s doubling to
// 10 s) until one succeeds or SessionOptions.ResumeWindow has passed.
// The handshake's last message (Confirm) goes from the initiator to the responder, so a connection
// lost right then leaves the initiator with the new session and the responder with the old ticket.
// Until the peer has proven it finished the handshake (a record from it), the initiator keeps the
// ticket it resumed with as "unconfirmed" and, on the next loss, alternates between both rooms.
using System.Net.Sockets;
using System.Security.Cryptography;
using Tallow.Crypto;
using Tallow.Protocol;

namespace Tallow.Net.Session;

public sealed partial class PeerSession
{
    /// <summary>Pause after the first failed attempt; it doubles after each further one.</summary>
    internal static readonly TimeSpan FirstResumePause = TimeSpan.FromSeconds(1);

    /// <summary>Longest pause between attempts: a joiner that came back first finds the room within 10 s of its creation.</summary>
    internal static readonly TimeSpan MaxResumePause = TimeSpan.FromSeconds(10);

    /// <summary>
    /// While alternating between two rooms, how long the creator waits in each for the peer (then it
    /// goes straight to the other room): longer than the joiner's longest pause plus a connection,
    /// so a joiner retrying its one room lands in it while it is open.
    /// </summary>
    internal static readonly TimeSpan AlternatingRoomWait = TimeSpan.FromSeconds(12);

    /// <summary>The ticket this session was resumed with (null for a session opened with a code).</summary>
    public ResumptionTicket? ResumedWith { get; private set; }

    /// <summary>
    /// A copy of this session's resumption secret and role, to resume it after the connection is lost
    /// (take it right after EstablishAsync: it outlives this session). The caller disposes it.
    /// </summary>
    public ResumptionTicket TakeResumptionTicket() =>
        _keys is null ? throw new InvalidOperationException("establish the session first") : ResumptionTicket.Create(_keys, _isInitiator);

    /// <summary>
    /// Opens a new session with the same peer, in the same role, on <paramref name="options"/>' relay
    /// (its password and TLS pin apply as for the first connection). Retries until it succeeds or
    /// ResumeWindow passes (then TallowException of FailureKind.Network). The ticket is spent once
    /// the new session exists: the caller disposes it (an initiator may keep it as the next
    /// resume's unconfirmed ticket, see the other overload).
    /// </summary>
    public static Task<PeerSession> ResumeAsync(ResumptionTicket ticket, SessionOptions options, CancellationToken ct) =>
        ResumeAsync(ticket, null, options, ct);

    /// <summary>
    /// As above; <paramref name="unconfirmed"/> (initiator only) is the ticket the previous resume
    /// used, kept while the peer had not yet proven it finished that handshake: the peer may still
    /// hold it. Attempts then alternate between the two rooms, waiting AlternatingRoomWait in each.
    /// <see cref="ResumedWith"/> of the result says which ticket opened it.
    /// </summary>
    public static async Task<PeerSession> ResumeAsync(ResumptionTicket ticket, ResumptionTicket? unconfirmed, SessionOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(ticket.IsDisposed, ticket);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.ResumeWindow, TimeSpan.Zero);
        if (unconfirmed is not null && (!ticket.IsInitiator || !unconfirmed.IsInitiator || unconfirmed.IsDisposed))
        {
            throw new ArgumentException("only an initiator alternates, between two live tickets of its own", nameof(unconfirmed));
        }

        byte[] code = GC.AllocateArray<byte>(ResumptionTicket.CodeSize, pinned: true);
        using var windowTimer = new CancellationTokenSource(options.ResumeWindow, options.Time);
        using var window = CancellationTokenSource.CreateLinkedTokenSource(ct, windowTimer.Token);
        try
        {
            TimeSpan pause = FirstResumePause;
            Exception? last = null;
            for (int attempt = 0; ; attempt++)
            {
                ResumptionTicket current = unconfirmed is not null && attempt % 2 == 1 ? unconfirmed : ticket;
                current.DeriveCode(code);
                try
                {
                    return await AttemptResumeAsync(current, code, unconfirmed is null ? null : AlternatingRoomWait, options, window.Token).ConfigureAwait(false);
                }
                catch (TimeoutException ex) when (!ct.IsCancellationRequested)
                {
                    last = ex;
                    continue; // nobody in this room: the other one at once
                }
                catch (Exception ex) when (!ct.IsCancellationRequested && IsWorthRetrying(ex, window.Token))
                {
                    last = ex is OperationCanceledException ? last ?? ex : ex; // the window ended it: the failure before says more
                }

                try
                {
                    await Task.Delay(pause, options.Time, window.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw WindowPassed(options.ResumeWindow, last);
                }

                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, MaxResumePause.Ticks));
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(code);
        }
    }

    /// <summary>
    /// One attempt: enter the ticket's room in the ticket's role, wait for the peer (at most
    /// <paramref name="peerWait"/>: then TimeoutException) and run the whole handshake with its code.
    /// </summary>
    private static async Task<PeerSession> AttemptResumeAsync(ResumptionTicket ticket, byte[] code, TimeSpan? peerWait, SessionOptions options, CancellationToken ct)
    {
        PeerSession session = ticket.IsInitiator
            ? await CreateRoomAsync(options, ticket.Nameplate, ct).ConfigureAwait(false)
            : await JoinRoomAsync(options, ticket.Nameplate, ct).ConfigureAwait(false);
        try
        {
            using (CancellationTokenSource? waitTimer = peerWait is { } limit ? new CancellationTokenSource(limit, options.Time) : null)
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(ct, waitTimer?.Token ?? CancellationToken.None))
            {
                try
                {
                    await session.WaitForPeerAsync(wait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (waitTimer is { IsCancellationRequested: true } && !ct.IsCancellationRequested)
                {
                    throw new TimeoutException("the peer did not come to this room in time");
                }
            }

            // The handshake is never cut short by the room's wait: a cut after Confirm went out would part the tickets.
            await session.HandshakeAsync(code, options, ct).ConfigureAwait(false);
            session.ResumedWith = ticket;
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Failures that another attempt may cure: the relay unreachable or restarting, the room not there
    /// yet (the joiner came back first) or still taken, refusals and rate limits, a handshake that
    /// broke or failed (someone else in the room). Not: a
    /// wrong relay password, TLS or protocol mismatches, usage errors. A cancellation counts when the
    /// window (not the caller) ended it.
    /// </summary>
    private static bool IsWorthRetrying(Exception ex, CancellationToken window) => ex switch
    {
        OperationCanceledException => window.IsCancellationRequested,
        TallowException { InnerException: RelayException relay } => relay.Kind is RelayFailureKind.Unreachable or RelayFailureKind.Timeout
            or RelayFailureKind.NoSuchRoom or RelayFailureKind.RoomFull or RelayFailureKind.NameplateInUse or RelayFailureKind.Refused,
        TallowException tallow => tallow.Kind is FailureKind.Network or FailureKind.Authentication,
        RelayException relay => relay.Kind is RelayFailureKind.Unreachable or RelayFailureKind.Timeout,
        IOException or SocketException => true,
        _ => false,
    };

    private static TallowException WindowPassed(TimeSpan window, Exception? last)
    {
        string span = window >= TimeSpan.FromMinutes(1) ? $"{window.TotalMinutes:0.#} min" : $"{window.TotalSeconds:0.#} s";
        return new TallowException(FailureKind.Network,
            $"could not reconnect to the peer within {span} ({DescribeFailure(last)}): start again with a new code.", last);
    }

    /// <summary>What kept the last attempt from succeeding, in words that hold for both roles.</summary>
    private static string DescribeFailure(Exception? last) => last switch
    {
        null => "no attempt finished in time",
        TallowException { InnerException: RelayException relay } => relay.Kind switch
        {
            RelayFailureKind.NoSuchRoom => "the peer did not come back to the relay",
            RelayFailureKind.RoomFull or RelayFailureKind.NameplateInUse => "another connection held the room",
            RelayFailureKind.Refused => "the relay refused service",
            RelayFailureKind.Timeout => "the relay timed out",
            _ => "the relay could not be reached",
        },
        TallowException { Kind: FailureKind.Authentication } => "the secure handshake failed: not the same session, or tampering",
        OperationCanceledException or TimeoutException => "the peer did not come back to the relay",
        _ => "the connection broke",
    };
}
