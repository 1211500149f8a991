// OpenSession.ReconnectAsync (DESIGN.md §13) as a long-lived command uses it (a keeper per side
// that reconnects whenever the session is lost): the creator runs the real embedded relay (bound
// to loopback), the joiner reaches it through a forwarder whose connections are cut (a network
// failure), also in the middle of a resume: at its first record, and at the handshake's Confirm.
// Both sides reconnect without a new code on the same embedded relay (which must let the resumed
// rooms open) and tell the user; a peer that left on purpose is not reconnected.
using System.Collections.Concurrent;
using System.Net;
using Tallow.Cli.Commands;
using Tallow.Cli.Hosting;
using Tallow.Cli.Output;
using Tallow.Crypto;
using Tallow.Net.Session;
using Tallow.Protocol;
using Tallow.Relay;
using Tallow.Tests.Net;
using Tallow.Tests.Protocol;
using Tallow.Wire;

namespace Tallow.Tests.Cli;

public class OpenSessionReconnectTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Both_sides_reconnect_on_the_embedded_relay_after_network_cuts_and_say_so()
    {
        CancellationToken ct = new CancellationTokenSource(TimeSpan.FromSeconds(150)).Token;
        EmbeddedRelay embedded = await EmbeddedRelay.StartAsync(IPAddress.Loopback, IPAddress.Loopback, ct);
        var creatorOptions = new SessionOptions { Relay = embedded.Local, DirectEnabled = false, ResumeWindow = Window };
        await using var network = new CuttableForwarder(new IPEndPoint(IPAddress.Loopback, embedded.Local.Port));
        SessionOptions joinerOptions = creatorOptions with { Relay = new RelayAddress("127.0.0.1", network.Port) };

        var creatorLines = new ConcurrentQueue<string>();
        var joinerLines = new ConcurrentQueue<string>();
        var creatorReporter = new Reporter(json: false, quiet: false) { Lines = creatorLines.Enqueue };
        var joinerReporter = new Reporter(json: false, quiet: false) { Lines = joinerLines.Enqueue };
        await using var creator = new OpenSession(await PeerSession.CreateRoomAsync(creatorOptions, 7, ct), embedded, null);
        await using var joiner = new OpenSession(await PeerSession.JoinRoomAsync(joinerOptions, 7, ct), null, null);
        string code = CodePhrase.Generate(7, 3);
        await Task.WhenAll(EstablishAsync(creator, code, creatorReporter, ct), EstablishAsync(joiner, code, joinerReporter, ct)).WithTimeout();
        await ResumeKit.ExchangeAsync(creator.Peer, joiner.Peer, "before the cut", ct);

        await using var creatorKeeper = new Keeper(creator, creatorReporter);
        await using var joinerKeeper = new Keeper(joiner, joinerReporter);
        uint first = creator.Peer.Nameplate;
        network.CutAll();
        await EventuallyExchangeAsync(creator, joiner, [creatorKeeper, joinerKeeper], first, "after the cut", ct);
        Assert.InRange(creator.Peer.Nameplate, CodePhrase.MinMappedNameplate, CodePhrase.MaxMappedNameplate);
        foreach (ConcurrentQueue<string> lines in new[] { creatorLines, joinerLines })
        {
            Assert.Single(lines, l => l.StartsWith("Connection lost (", StringComparison.Ordinal) && l.EndsWith("); reconnecting...", StringComparison.Ordinal));
            Assert.Single(lines, l => l == "Reconnected.");
            Assert.DoesNotContain(lines, l => l.Contains("safety", StringComparison.OrdinalIgnoreCase)); // no --verify prompt
        }

        // A second cut: the next reconnect runs on the resumed session's own ticket (a new room).
        uint second = creator.Peer.Nameplate;
        network.CutAll();
        await EventuallyExchangeAsync(creator, joiner, [creatorKeeper, joinerKeeper], second, "after the second cut", ct);

        // A third cut, and the resumed session is cut again at the creator's first record (its P2P
        // intent): the creator has to resume once more.
        uint third = creator.Peer.Nameplate;
        int creatorReconnects = creatorLines.Count(l => l == "Reconnected.");
        network.CutAtNextFrame(FrameType.Record, towardClient: true);
        network.CutAll();
        await EventuallyExchangeAsync(creator, joiner, [creatorKeeper, joinerKeeper], third, "after the cut during the upgrade", ct);
        Assert.True(creatorLines.Count(l => l == "Reconnected.") >= creatorReconnects + 2);

        // A fourth cut, and the resumed handshake's Confirm never reaches the joiner: the creator has
        // the new session, the joiner still the old ticket. The creator, unsure, also tries the old room.
        uint heldByBoth;
        using (ResumptionTicket current = creator.Peer.TakeResumptionTicket())
        {
            heldByBoth = current.Nameplate;
        }

        network.CutAtNextFrame(FrameType.HandshakeConfirm, towardClient: true);
        network.CutAll();
        await EventuallyExchangeAsync(creator, joiner, [creatorKeeper, joinerKeeper], creator.Peer.Nameplate, "after the lost Confirm", ct);
        Assert.Equal(heldByBoth, creator.Peer.Nameplate); // back in the room of the ticket the joiner kept
    }

    [Fact]
    public async Task A_peer_that_left_is_not_reconnected()
    {
        CancellationToken ct = new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;
        await using RelayServer relay = await ResumeKit.StartRelayAsync();
        SessionOptions options = ResumeKit.Options(relay.LocalEndPoint.Port, Window);
        var lines = new ConcurrentQueue<string>();
        var reporter = new Reporter(json: false, quiet: false) { Lines = lines.Enqueue };
        await using var creator = new OpenSession(await PeerSession.CreateRoomAsync(options, 0, ct), null, null);
        var joiner = new OpenSession(await PeerSession.JoinRoomAsync(options, creator.Peer.Nameplate, ct), null, null);
        string code = CodePhrase.Generate(creator.Peer.Nameplate, 3);
        await Task.WhenAll(EstablishAsync(creator, code, reporter, ct), EstablishAsync(joiner, code, reporter, ct)).WithTimeout();

        await joiner.Records.LeaveAsync("done", ct);
        await joiner.DisposeAsync();
        await ResumeKit.EndedAsync(creator.Peer);
        Assert.False(creator.ConnectionLost);
        TallowException left = await Assert.ThrowsAsync<TallowException>(() => creator.ReconnectAsync(reporter, ct));
        Assert.Equal(FailureKind.Declined, left.Kind);
        Assert.DoesNotContain(lines, l => l.Contains("reconnecting", StringComparison.Ordinal));
    }

    /// <summary>
    /// Waits until both sides are on a new live session (not in room <paramref name="before"/>) and a
    /// chat message passes each way on it; a keeper that failed fails the test.
    /// </summary>
    private static async Task EventuallyExchangeAsync(OpenSession creator, OpenSession joiner, Keeper[] keepers, uint before, string text, CancellationToken ct)
    {
        while (true)
        {
            foreach (Keeper keeper in keepers)
            {
                keeper.ThrowIfStopped();
            }

            PeerSession a = creator.Peer;
            PeerSession b = joiner.Peer;
            if (a.Nameplate != before && a.Nameplate == b.Nameplate && a.Records is { Ended.IsCompleted: false } && b.Records is { Ended.IsCompleted: false })
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                attempt.CancelAfter(TimeSpan.FromSeconds(5));
                try
                {
                    await ResumeKit.ExchangeAsync(a, b, text, attempt.Token);
                    return;
                }
                catch (Exception e) when (e is TallowException or OperationCanceledException && !ct.IsCancellationRequested)
                {
                    // that session was lost again: its keeper reconnects
                }
            }

            await Task.Delay(50, ct);
        }
    }

    /// <summary>Keeps one side up as a long-lived command does: whenever its session is lost, ReconnectAsync.</summary>
    private sealed class Keeper : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public Keeper(OpenSession open, Reporter reporter) => _loop = Task.Run(() => RunAsync(open, reporter, _stop.Token));

        /// <summary>Throws what ended the loop (a failed reconnect) once it ended.</summary>
        public void ThrowIfStopped()
        {
            if (_loop.IsCompleted)
            {
                _loop.GetAwaiter().GetResult();
                Assert.Fail("the session was not lost but ended");
            }
        }

        private static async Task RunAsync(OpenSession open, Reporter reporter, CancellationToken stop)
        {
            while (true)
            {
                await open.Records.Ended.WaitAsync(stop);
                Assert.True(open.ConnectionLost);
                await open.ReconnectAsync(reporter, stop);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _loop.WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (OperationCanceledException)
            {
            }

            _stop.Dispose();
        }
    }

    /// <summary>What SessionSetup does after it entered the room (the handshake, then the shared "connected" steps), then the upgrade a long-lived command runs at once.</summary>
    private static async Task EstablishAsync(OpenSession open, string code, Reporter reporter, CancellationToken ct)
    {
        await open.Peer.EstablishAsync(code, open.Peer.Options, ct);
        await SessionSetup.ConnectedAsync(open, reporter, verify: false, ct);
        await open.UpgradeAsync(reporter, bytesLeft: null, ct);
    }
}
