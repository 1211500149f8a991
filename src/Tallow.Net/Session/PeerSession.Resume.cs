// Resuming a lost session without a new code (protocol.md "Resumption", DESIGN.md §13). Each side
// keeps a ResumptionTicket taken right after the handshake; after the connection was lost, both
// go back to the same relay: the old creator re-creates the room under the ticket's nameplate, the
// old joiner claims it, and the ticket's one-time code runs the normal handshake (CPace + ML-KEM +
// X25519), so the new session has fresh keys and its own ticket. To the relay this is a room like
// any custom-code room: it sees only a nameplate. Attempts repeat with a back-off (1 s doubling to
// 10 s) until one succeeds or SessionOptions.ResumeWindow has passed. A ticket is spent (zeroed) by
// the resume that succeeded with it.
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
    /// A copy of this session's resumption secret and role, to resume it after the connection is lost
    /// (take it right after EstablishAsync: it outlives this session). The caller disposes it.
    /// </summary>
    public ResumptionTicket TakeResumptionTicket() =>
        _keys is null ? throw new InvalidOperationException("establish the session first") : ResumptionTicket.Create(_keys, _isInitiator);

    /// <summary>
    /// Opens a new session with the same peer, in the same role, on <paramref name="options"/>' relay
    /// (its password and TLS pin apply as for the first connection). Retries until it succeeds or
    /// ResumeWindow passes (then TallowException of FailureKind.Network). On success the ticket is
    /// spent (disposed); take the new session's ticket for the next reconnect.
    /// </summary>
    public static async Task<PeerSession> ResumeAsync(ResumptionTicket ticket, SessionOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(ticket.IsDisposed, ticket);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.ResumeWindow, TimeSpan.Zero);

        byte[] code = GC.AllocateArray<byte>(ResumptionTicket.CodeSize, pinned: true);
        using var windowTimer = new CancellationTokenSource(options.ResumeWindow, options.Time);
        using var window = CancellationTokenSource.CreateLinkedTokenSource(ct, windowTimer.Token);
        try
        {
            ticket.DeriveCode(code);
            TimeSpan pause = FirstResumePause;
            Exception? last = null;
            while (true)
            {
                try
                {
                    PeerSession session = await AttemptResumeAsync(ticket, code, options, window.Token).ConfigureAwait(false);
                    ticket.Dispose();
                    return session;
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

    /// <summary>One attempt: enter the ticket's room in the ticket's role and run the handshake with its code.</summary>
    private static async Task<PeerSession> AttemptResumeAsync(ResumptionTicket ticket, byte[] code, SessionOptions options, CancellationToken ct)
    {
        PeerSession session = ticket.IsInitiator
            ? await CreateRoomAsync(options, ticket.Nameplate, ct).ConfigureAwait(false)
            : await JoinRoomAsync(options, ticket.Nameplate, ct).ConfigureAwait(false);
        try
        {
            await session.EstablishAsync(code, options, ct).ConfigureAwait(false);
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
    /// broke or failed (someone else in the room). Not: a wrong relay password, TLS or protocol
    /// mismatches, usage errors. A cancellation counts when the window (not the caller) ended it.
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
        OperationCanceledException => "the peer did not come back to the relay",
        _ => "the connection broke",
    };
}
