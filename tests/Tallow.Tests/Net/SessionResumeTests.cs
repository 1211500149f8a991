// Resuming a lost session without a new code (PeerSession.ResumeAsync, protocol.md "Resumption"),
// with real PeerSessions and a real relay on 127.0.0.1: across relay restarts on the same port
// (twice, the second time with the resumed session's own tickets), a joiner that comes back
// before the creator, spent and copied tickets, a ticket of another session, an initiator unsure
// which ticket its peer holds, and the time bound.
using System.Diagnostics;
using Tallow.Crypto;
using Tallow.Net.Session;
using Tallow.Protocol;
using Tallow.Protocol.Session;
using Tallow.Relay;
using Tallow.Tests.Protocol;
using Tallow.Tests.Relay;

namespace Tallow.Tests.Net;

public class SessionResumeTests
{
    private static CancellationToken Deadline(int seconds = 120) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Fact]
    public async Task Both_sides_resume_after_the_relay_restarts_on_the_same_port_and_again_with_the_new_tickets()
    {
        CancellationToken ct = Deadline();
        RelayServer relay = await ResumeKit.StartRelayAsync();
        int port = relay.LocalEndPoint.Port;
        SessionOptions options = ResumeKit.Options(port);
        var sessions = new List<PeerSession>();
        try
        {
            (PeerSession creator, PeerSession joiner) = await ResumeKit.OpenPairAsync(options, ct);
            sessions.AddRange([creator, joiner]);
            await ResumeKit.ExchangeAsync(creator, joiner, "before", ct);
            using ResumptionTicket creatorTicket = creator.TakeResumptionTicket();
            using ResumptionTicket joinerTicket = joiner.TakeResumptionTicket();
            Assert.True(creatorTicket.IsInitiator);
            Assert.False(joinerTicket.IsInitiator);
            Assert.Equal(creatorTicket.Nameplate, joinerTicket.Nameplate);
            Assert.InRange(creatorTicket.Nameplate, CodePhrase.MinMappedNameplate, CodePhrase.MaxMappedNameplate);

            // The relay goes away: both connections drop, and both sides see a lost (not a left) session.
            await relay.DisposeAsync();
            await ResumeKit.EndedAsync(creator);
            await ResumeKit.EndedAsync(joiner);
            Assert.True(ConnectionLoss.IsLost(creator.Records!));
            Assert.True(ConnectionLoss.IsLost(joiner.Records!));
            await creator.DisposeAsync();
            await joiner.DisposeAsync();

            relay = await ResumeKit.StartRelayAsync(port);
            (PeerSession creator2, PeerSession joiner2) = await ResumeKit.ResumePairAsync(creatorTicket, joinerTicket, options, ct);
            sessions.AddRange([creator2, joiner2]);
            Assert.Same(creatorTicket, creator2.ResumedWith);
            Assert.Same(joinerTicket, joiner2.ResumedWith);
            Assert.True(creator2.IsInitiator);
            Assert.False(joiner2.IsInitiator);
            Assert.Equal(creatorTicket.Nameplate, creator2.Nameplate);
            Assert.Equal(creator2.SafetyDigits, joiner2.SafetyDigits);
            await ResumeKit.ExchangeAsync(creator2, joiner2, "after the first restart", ct);

            // The next reconnect runs on the resumed session's own secret: a new nameplate, a new code.
            using ResumptionTicket creatorTicket2 = creator2.TakeResumptionTicket();
            using ResumptionTicket joinerTicket2 = joiner2.TakeResumptionTicket();
            Assert.Equal(creatorTicket2.Nameplate, joinerTicket2.Nameplate);
            Assert.NotEqual(creatorTicket.Nameplate, creatorTicket2.Nameplate);
            await relay.DisposeAsync();
            await ResumeKit.EndedAsync(creator2);
            await ResumeKit.EndedAsync(joiner2);
            Assert.True(ConnectionLoss.IsLost(joiner2.Records!));

            relay = await ResumeKit.StartRelayAsync(port);
            (PeerSession creator3, PeerSession joiner3) = await ResumeKit.ResumePairAsync(creatorTicket2, joinerTicket2, options, ct);
            sessions.AddRange([creator3, joiner3]);
            Assert.Equal(creatorTicket2.Nameplate, joiner3.Nameplate);
            await ResumeKit.ExchangeAsync(creator3, joiner3, "after the second restart", ct);
        }
        finally
        {
            await DisposeAllAsync(sessions);
            await relay.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_joiner_that_comes_back_first_retries_until_the_creator_has_made_the_room()
    {
        CancellationToken ct = Deadline();
        await using RelayServer relay = await ResumeKit.StartRelayAsync();
        SessionOptions options = ResumeKit.Options(relay.LocalEndPoint.Port);
        (PeerSession creator, PeerSession joiner) = await ResumeKit.OpenPairAsync(options, ct);
        using ResumptionTicket creatorTicket = creator.TakeResumptionTicket();
        using ResumptionTicket joinerTicket = joiner.TakeResumptionTicket();
        await creator.DisposeAsync();
        await joiner.DisposeAsync();
        await RelayTestKit.EventuallyAsync(() => relay.Metrics.RoomsActive == 0, ct, "the old room closed");

        long refusedBefore = relay.Metrics.Rejections(RelayRejectionReason.NoSuchRoom);
        Task<PeerSession> joining = PeerSession.ResumeAsync(joinerTicket, options, ct);
        await RelayTestKit.EventuallyAsync(
            () => relay.Metrics.Rejections(RelayRejectionReason.NoSuchRoom) >= refusedBefore + 2, ct, "two claims before the room existed");
        Assert.False(joining.IsCompleted);

        Task<PeerSession> creating = PeerSession.ResumeAsync(creatorTicket, options, ct);
        await using PeerSession joined = await joining.WithTimeout(60);
        await using PeerSession created = await creating.WithTimeout(60);
        await ResumeKit.ExchangeAsync(created, joined, "late creator", ct);
    }

    [Fact]
    public async Task A_spent_ticket_and_copies_of_it_get_no_session()
    {
        CancellationToken ct = Deadline();
        await using RelayServer relay = await ResumeKit.StartRelayAsync();
        SessionOptions options = ResumeKit.Options(relay.LocalEndPoint.Port);
        SessionOptions thiefOptions = options with { ResumeWindow = TimeSpan.FromSeconds(3) };
        (PeerSession creator, PeerSession joiner) = await ResumeKit.OpenPairAsync(options, ct);
        using ResumptionTicket creatorTicket = creator.TakeResumptionTicket();
        using ResumptionTicket joinerTicket = joiner.TakeResumptionTicket();
        using ResumptionTicket stolenJoiner = joiner.TakeResumptionTicket(); // someone else holds a copy of each old ticket
        using ResumptionTicket stolenCreator = creator.TakeResumptionTicket();
        await creator.DisposeAsync();
        await joiner.DisposeAsync();

        (PeerSession creator2, PeerSession joiner2) = await ResumeKit.ResumePairAsync(creatorTicket, joinerTicket, options, ct);
        using ResumptionTicket creatorTicket2 = creator2.TakeResumptionTicket();
        using ResumptionTicket joinerTicket2 = joiner2.TakeResumptionTicket();
        await using (creator2)
        await using (joiner2)
        {
            // While the resumed session runs, its room is full: the copy gets nothing.
            TallowException full = await Assert.ThrowsAsync<TallowException>(() => PeerSession.ResumeAsync(stolenJoiner, thiefOptions, ct));
            Assert.Equal(FailureKind.Network, full.Kind);
            Assert.Contains("another connection held the room", full.Message, StringComparison.Ordinal);
            await ResumeKit.ExchangeAsync(creator2, joiner2, "undisturbed", ct);
        }

        // The resumed session is lost too; the pair resumes on the new tickets, the old copy finds no room.
        await RelayTestKit.EventuallyAsync(() => relay.Metrics.RoomsActive == 0, ct, "the resumed room closed");
        Task<PeerSession> thief = PeerSession.ResumeAsync(stolenJoiner, thiefOptions, ct);
        (PeerSession creator3, PeerSession joiner3) = await ResumeKit.ResumePairAsync(creatorTicket2, joinerTicket2, options, ct);
        await using (creator3)
        await using (joiner3)
        {
            TallowException gone = await Assert.ThrowsAsync<TallowException>(() => thief);
            Assert.Contains("the peer did not come back", gone.Message, StringComparison.Ordinal);

            // A copy of the old creator's ticket opens the old room again, but nobody comes to it.
            TallowException alone = await Assert.ThrowsAsync<TallowException>(() => PeerSession.ResumeAsync(stolenCreator, thiefOptions, ct));
            Assert.Contains("the peer did not come back", alone.Message, StringComparison.Ordinal);
            await ResumeKit.ExchangeAsync(creator3, joiner3, "still ours", ct);
        }
    }

    [Fact]
    public async Task A_ticket_of_another_session_fails_the_handshake_and_never_connects()
    {
        CancellationToken ct = Deadline();
        await using RelayServer relay = await ResumeKit.StartRelayAsync();
        SessionOptions options = ResumeKit.Options(relay.LocalEndPoint.Port);
        (PeerSession creatorS, PeerSession joinerS) = await ResumeKit.OpenPairAsync(options, ct);
        (PeerSession creatorT, PeerSession joinerT) = await ResumeKit.OpenPairAsync(options, ct);
        using ResumptionTicket ticketS = creatorS.TakeResumptionTicket();
        using ResumptionTicket joinerTicketS = joinerS.TakeResumptionTicket();
        using ResumptionTicket otherTicket = joinerT.TakeResumptionTicket();
        await DisposeAllAsync([creatorS, joinerS, creatorT, joinerT]);
        await RelayTestKit.EventuallyAsync(() => relay.Metrics.RoomsActive == 0, ct, "the old rooms closed");

        // The other session's joiner resumes on its own nameplate: no one is there.
        TallowException nobody = await Assert.ThrowsAsync<TallowException>(
            () => PeerSession.ResumeAsync(otherTicket, options with { ResumeWindow = TimeSpan.FromSeconds(2) }, ct));
        Assert.Contains("the peer did not come back", nobody.Message, StringComparison.Ordinal);

        // One who learned S's nameplate (the relay sees it) claims S's resumed room with T's code.
        Task<PeerSession> creating = PeerSession.ResumeAsync(ticketS, options, ct);
        await RelayTestKit.EventuallyAsync(() => relay.Metrics.RoomsActive == 1, ct, "the resumed room exists");
        await using (PeerSession impostor = await PeerSession.JoinRoomAsync(options, ticketS.Nameplate, ct))
        {
            byte[] wrongCode = new byte[ResumptionTicket.CodeSize];
            otherTicket.DeriveCode(wrongCode);
            TallowException refused = await Assert.ThrowsAsync<TallowException>(() => impostor.EstablishAsync(wrongCode, options, ct));
            Assert.Equal(FailureKind.Authentication, refused.Kind);
            Assert.Null(impostor.Records);
        }

        Assert.False(creating.IsCompleted); // the creator did not take the impostor, it made the room again

        await using PeerSession joined = await PeerSession.ResumeAsync(joinerTicketS, options, ct).WithTimeout(60);
        await using PeerSession created = await creating.WithTimeout(60);
        await ResumeKit.ExchangeAsync(created, joined, "the real peer", ct);
    }

    [Fact]
    public async Task Past_the_resume_window_each_side_gives_up_with_a_clear_error()
    {
        CancellationToken ct = Deadline();
        RelayServer relay = await ResumeKit.StartRelayAsync();
        SessionOptions options = ResumeKit.Options(relay.LocalEndPoint.Port);
        (PeerSession creator, PeerSession joiner) = await ResumeKit.OpenPairAsync(options, ct);
        using ResumptionTicket creatorTicket = creator.TakeResumptionTicket();
        using ResumptionTicket joinerTicket = joiner.TakeResumptionTicket();
        await DisposeAllAsync([creator, joiner]);

        var clock = Stopwatch.StartNew();
        TallowException joinerGaveUp = await Assert.ThrowsAsync<TallowException>(
            () => PeerSession.ResumeAsync(joinerTicket, options with { ResumeWindow = TimeSpan.FromSeconds(3) }, ct));
        TimeSpan joinerTook = clock.Elapsed;
        Assert.Equal(FailureKind.Network, joinerGaveUp.Kind);
        Assert.Equal("could not reconnect to the peer within 3 s (the peer did not come back to the relay): start again with a new code.", joinerGaveUp.Message);
        Assert.InRange(joinerTook, TimeSpan.FromSeconds(2.9), TimeSpan.FromSeconds(8));

        TallowException creatorGaveUp = await Assert.ThrowsAsync<TallowException>(
            () => PeerSession.ResumeAsync(creatorTicket, options with { ResumeWindow = TimeSpan.FromSeconds(2) }, ct));
        Assert.Equal("could not reconnect to the peer within 2 s (the peer did not come back to the relay): start again with a new code.", creatorGaveUp.Message);

        await relay.DisposeAsync();
        TallowException noRelay = await Assert.ThrowsAsync<TallowException>(
            () => PeerSession.ResumeAsync(creatorTicket, options with { ResumeWindow = TimeSpan.FromSeconds(2) }, ct));
        Assert.Equal(FailureKind.Network, noRelay.Kind);
        Assert.Equal("could not reconnect to the peer within 2 s (the relay could not be reached): start again with a new code.", noRelay.Message);
    }

    [Fact]
    public async Task An_initiator_with_an_unconfirmed_ticket_meets_a_peer_that_holds_the_newest_one_in_its_room()
    {
        CancellationToken ct = Deadline();
        await using RelayServer relay = await ResumeKit.StartRelayAsync();
        SessionOptions options = ResumeKit.Options(relay.LocalEndPoint.Port);
        (PeerSession creator, PeerSession joiner) = await ResumeKit.OpenPairAsync(options, ct);
        using ResumptionTicket older = creator.TakeResumptionTicket();
        using ResumptionTicket joinerOlder = joiner.TakeResumptionTicket();
        await DisposeAllAsync([creator, joiner]);
        (PeerSession creator2, PeerSession joiner2) = await ResumeKit.ResumePairAsync(older, joinerOlder, options, ct);
        using ResumptionTicket newer = creator2.TakeResumptionTicket();
        using ResumptionTicket joinerNewer = joiner2.TakeResumptionTicket();
        await DisposeAllAsync([creator2, joiner2]);

        Assert.Throws<ArgumentException>(() => PeerSession.ResumeAsync(joinerNewer, joinerOlder, options, ct).GetAwaiter().GetResult());
        Task<PeerSession> creating = PeerSession.ResumeAsync(newer, older, options, ct);
        await using PeerSession joined = await PeerSession.ResumeAsync(joinerNewer, options, ct).WithTimeout(60);
        await using PeerSession created = await creating.WithTimeout(60);
        Assert.Same(newer, created.ResumedWith);
        await ResumeKit.ExchangeAsync(created, joined, "newest ticket first", ct);
    }

    [Fact]
    public async Task A_peer_that_left_or_a_session_closed_here_is_not_lost_but_a_vanished_peer_is()
    {
        CancellationToken ct = Deadline();
        await using RelayServer relay = await ResumeKit.StartRelayAsync();
        SessionOptions options = ResumeKit.Options(relay.LocalEndPoint.Port);

        (PeerSession creator, PeerSession joiner) = await ResumeKit.OpenPairAsync(options, ct);
        await joiner.Records!.LeaveAsync("done here", ct);
        await joiner.DisposeAsync();
        Exception left = await ResumeKit.EndedAsync(creator);
        Assert.Equal(FailureKind.Declined, Assert.IsType<TallowException>(left).Kind);
        Assert.False(ConnectionLoss.IsLost(creator.Records!));
        await creator.DisposeAsync();

        // Closed here (Ctrl-C) without Leave: not lost on this side; the peer, which got no Leave, lost it.
        (PeerSession closer, PeerSession other) = await ResumeKit.OpenPairAsync(options, ct);
        await closer.DisposeAsync();
        await closer.DisposeAsync(); // a second dispose does nothing
        Assert.False(ConnectionLoss.IsLost(closer.Records!));
        await ResumeKit.EndedAsync(other);
        Assert.True(ConnectionLoss.IsLost(other.Records!));
        await other.DisposeAsync();
    }

    [Fact]
    public void A_failure_is_described_by_what_happened_without_the_advice()
    {
        Assert.Equal("the peer sent nothing for 60 s",
            ConnectionLoss.Describe(new TallowException(FailureKind.Network, "the peer sent nothing for 60 s: the connection is lost. Try again.")));
        Assert.Equal("the connection to the peer was lost (Unable to read: Connection reset)",
            ConnectionLoss.Describe(new TallowException(FailureKind.Network, "the connection to the peer was lost (Unable to read: Connection reset): check the network and try again.")));
        Assert.Equal("no advice here", ConnectionLoss.Describe(new TallowException(FailureKind.Network, "no advice here.")));
    }

    private static async Task DisposeAllAsync(IEnumerable<PeerSession> sessions)
    {
        foreach (PeerSession session in sessions)
        {
            await session.DisposeAsync();
        }
    }
}
