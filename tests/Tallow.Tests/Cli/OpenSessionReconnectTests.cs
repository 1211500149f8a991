// OpenSession.ReconnectAsync (DESIGN.md §13) as a long-lived command uses it: the creator runs the
// real embedded relay (bound to loopback), the joiner reaches it through a forwarder whose
// connections are cut (a network failure). Both sides see a lost session, reconnect without a new
// code on the same embedded relay (which must let the resumed room open) and tell the user; a peer
// that left on purpose is not reconnected.
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

namespace Tallow.Tests.Cli;

public class OpenSessionReconnectTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Both_sides_reconnect_on_the_embedded_relay_after_a_network_cut_and_say_so()
    {
        CancellationToken ct = new CancellationTokenSource(TimeSpan.FromSeconds(120)).Token;
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

        network.CutAll();
        await ResumeKit.EndedAsync(creator.Peer);
        await ResumeKit.EndedAsync(joiner.Peer);
        Assert.True(creator.ConnectionLost);
        Assert.True(joiner.ConnectionLost);

        await Task.WhenAll(creator.ReconnectAsync(creatorReporter, ct), joiner.ReconnectAsync(joinerReporter, ct)).WithTimeout(60);
        Assert.False(creator.ConnectionLost);
        Assert.Equal(creator.Peer.Nameplate, joiner.Peer.Nameplate);
        Assert.InRange(creator.Peer.Nameplate, CodePhrase.MinMappedNameplate, CodePhrase.MaxMappedNameplate);
        await ResumeKit.ExchangeAsync(creator.Peer, joiner.Peer, "after the cut", ct);

        foreach (ConcurrentQueue<string> lines in new[] { creatorLines, joinerLines })
        {
            Assert.Single(lines, l => l.StartsWith("Connection lost (", StringComparison.Ordinal) && l.EndsWith("); reconnecting...", StringComparison.Ordinal));
            Assert.Single(lines, l => l == "Reconnected.");
        }

        // A second cut: the next reconnect runs on the resumed session's own ticket.
        uint firstResumed = creator.Peer.Nameplate;
        network.CutAll();
        await ResumeKit.EndedAsync(joiner.Peer);
        await ResumeKit.EndedAsync(creator.Peer);
        await Task.WhenAll(creator.ReconnectAsync(creatorReporter, ct), joiner.ReconnectAsync(joinerReporter, ct)).WithTimeout(60);
        Assert.NotEqual(firstResumed, creator.Peer.Nameplate);
        await ResumeKit.ExchangeAsync(creator.Peer, joiner.Peer, "after the second cut", ct);
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

    /// <summary>What SessionSetup does after it entered the room: the handshake, then the shared "connected" steps.</summary>
    private static async Task EstablishAsync(OpenSession open, string code, Reporter reporter, CancellationToken ct)
    {
        await open.Peer.EstablishAsync(code, open.Peer.Options, ct);
        await SessionSetup.ConnectedAsync(open, reporter, verify: false, ct);
    }
}
