// DESIGN.md §9.3–9.4 on loopback: two punchers on their own shared ports P dial each other's host
// candidate while accepting; the initiator takes the first proven connection and the responder
// finds the same one by its id. With nothing to reach, the initiator gives up in bounded time.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tallow.Net.Direct;
using Tallow.Tests.Protocol;
using Tallow.Wire;

namespace Tallow.Tests.Net;

public class HolePuncherTests
{
    private static readonly PunchOptions Options = new()
    {
        CandidateTimeout = TimeSpan.FromSeconds(2),
        OverallTimeout = TimeSpan.FromSeconds(6),
        AcceptGrace = TimeSpan.FromMilliseconds(500),
        ProofTimeout = TimeSpan.FromSeconds(2),
        RetryDelay = TimeSpan.FromMilliseconds(100),
        FirstSynTtl = 0,
    };

    private static Socket Listen()
    {
        Socket listener = ReusableSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        return listener;
    }

    private static Candidate HostCandidate(Socket listener) => new(CandidateType.Host, (IPEndPoint)listener.LocalEndPoint!);

    [Fact]
    public async Task Two_punchers_on_loopback_agree_on_one_proven_connection()
    {
        byte[] key = DirectTestKit.RandomKey();
        Socket listenerI = Listen();
        Socket listenerR = Listen();
        using var keyI = new DirectPathKey(key, isInitiator: true);
        using var keyR = new DirectPathKey(key, isInitiator: false);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var initiator = new HolePuncher(listenerI, keyI, Options, cts.Token);
        await using var responder = new HolePuncher(listenerR, keyR, Options, cts.Token);
        initiator.Start([HostCandidate(listenerR)]);
        responder.Start([HostCandidate(listenerI)]);

        DirectConnection? chosen = await initiator.WaitForFirstAsync(cts.Token).WithTimeout(15);
        Assert.NotNull(chosen);
        await using (chosen)
        {
            DirectConnection? match = await responder.TakeAsync(chosen!.Id, cts.Token).WithTimeout(15);
            Assert.NotNull(match);
            await using (match)
            {
                Assert.Equal(chosen.Id, match!.Id);
                Assert.Equal(IPAddress.Loopback, chosen.RemoteEndPoint.Address);
                Assert.True(initiator.ConnectsCompleted >= 1);

                // Taken once: a second take finds nothing.
                Assert.Null(responder.Take(chosen.Id));

                // The two are the two ends of one TCP connection.
                await chosen.Stream.WriteAsync(Frame.Encode(FrameType.Ping, [1, 2, 3]), cts.Token);
                FrameReadResult read = await match.Reader.ReadAsync(Frame.MaxUnpairedLength, cts.Token).AsTask().WithTimeout(10);
                Assert.True(read.IsFrame);
                Assert.Equal(new byte[] { 1, 2, 3 }, match.Reader.CurrentPayload.ToArray());
                await match.Stream.WriteAsync(Frame.Encode(FrameType.Ping, [4]), cts.Token);
                read = await chosen.Reader.ReadAsync(Frame.MaxUnpairedLength, cts.Token).AsTask().WithTimeout(10);
                Assert.True(read.IsFrame);
                Assert.Equal(new byte[] { 4 }, chosen.Reader.CurrentPayload.ToArray());
            }
        }
    }

    [Fact]
    public async Task Punchers_with_different_keys_prove_nothing()
    {
        Socket listenerI = Listen();
        Socket listenerR = Listen();
        using var keyI = new DirectPathKey(DirectTestKit.RandomKey(), isInitiator: true);
        using var keyR = new DirectPathKey(DirectTestKit.RandomKey(), isInitiator: false);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var initiator = new HolePuncher(listenerI, keyI, Options, cts.Token);
        await using var responder = new HolePuncher(listenerR, keyR, Options, cts.Token);
        initiator.Start([HostCandidate(listenerR)]);
        responder.Start([HostCandidate(listenerI)]);

        var clock = Stopwatch.StartNew();
        Assert.Null(await initiator.WaitForFirstAsync(cts.Token).WithTimeout(20));
        Assert.True(clock.Elapsed < Options.OverallTimeout + TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
        Assert.True(initiator.ConnectsCompleted >= 1); // the TCP connection formed; only the proof failed
    }

    [Fact]
    public async Task A_closed_port_and_no_peer_give_up_within_the_candidate_timeout_and_grace()
    {
        int closedPort;
        using (Socket probe = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            closedPort = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        Socket listener = Listen();
        using var key = new DirectPathKey(DirectTestKit.RandomKey(), isInitiator: true);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var puncher = new HolePuncher(listener, key, Options, cts.Token);
        var clock = Stopwatch.StartNew();
        puncher.Start([new Candidate(CandidateType.Host, new IPEndPoint(IPAddress.Loopback, closedPort))]);
        DirectConnection? c = await puncher.WaitForFirstAsync(cts.Token).WithTimeout(20);
        Assert.Null(c);
        TimeSpan bound = Options.CandidateTimeout + Options.AcceptGrace + TimeSpan.FromSeconds(1);
        Assert.True(clock.Elapsed < bound, $"took {clock.Elapsed}, bound {bound}");
        Assert.True(clock.Elapsed >= Options.CandidateTimeout - TimeSpan.FromMilliseconds(200), $"gave up early: {clock.Elapsed}");
    }

    [Fact]
    public async Task No_candidates_give_up_within_the_candidate_timeout_and_grace()
    {
        Socket listener = Listen();
        using var key = new DirectPathKey(DirectTestKit.RandomKey(), isInitiator: true);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var puncher = new HolePuncher(listener, key, Options, cts.Token);
        var clock = Stopwatch.StartNew();
        puncher.Start([]);
        Assert.Null(await puncher.WaitForFirstAsync(cts.Token).WithTimeout(20));
        Assert.True(clock.Elapsed < Options.CandidateTimeout + Options.AcceptGrace + TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task The_responder_waits_only_the_proof_timeout_for_an_unknown_id()
    {
        Socket listener = Listen();
        using var key = new DirectPathKey(DirectTestKit.RandomKey(), isInitiator: false);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var puncher = new HolePuncher(listener, key, Options, cts.Token);
        puncher.Start([]);
        var clock = Stopwatch.StartNew();
        Assert.Null(await puncher.TakeAsync(DirectPathKey.NewNonce(), cts.Token).WithTimeout(20));
        Assert.True(clock.Elapsed < Options.ProofTimeout + TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task The_responder_dials_late_so_the_initiators_syn_meets_its_listener_not_its_syn()
    {
        await using var pair = new PuncherPair(Options with { ResponderDialDelay = TimeSpan.FromSeconds(3) });
        var clock = Stopwatch.StartNew();
        pair.Initiator.Start([HostCandidate(pair.ListenerR)]);
        pair.Responder.Start([HostCandidate(pair.ListenerI)]);

        await using DirectConnection? chosen = await pair.Initiator.WaitForFirstAsync(pair.Token).WithTimeout(15);
        Assert.NotNull(chosen);
        Assert.True(clock.Elapsed < pair.Options.ResponderDialDelay, $"took {clock.Elapsed}: the initiator's own dial should have done it");
        await using DirectConnection? match = await pair.Responder.TakeAsync(chosen!.Id, pair.Token).WithTimeout(15);
        Assert.NotNull(match);
        Assert.Equal(1, pair.Responder.ConnectsCompleted); // the accepted one: the responder had not dialed yet
    }

    [Fact]
    public async Task Where_only_the_responder_can_reach_the_peer_its_dial_comes_after_the_delay()
    {
        await using var pair = new PuncherPair(Options with { ResponderDialDelay = TimeSpan.FromSeconds(1) });
        var clock = Stopwatch.StartNew();
        pair.Initiator.Start([]); // as if a NAT dropped everything the initiator sent
        pair.Responder.Start([HostCandidate(pair.ListenerI)]);

        await using DirectConnection? chosen = await pair.Initiator.WaitForFirstAsync(pair.Token).WithTimeout(15);
        Assert.NotNull(chosen);
        Assert.True(clock.Elapsed >= pair.Options.ResponderDialDelay - TimeSpan.FromMilliseconds(50), $"connected after {clock.Elapsed}, before the responder's delay");
        await using DirectConnection? match = await pair.Responder.TakeAsync(chosen!.Id, pair.Token).WithTimeout(15);
        Assert.NotNull(match);
    }

    /// <summary>An initiator and a responder with one session key, each on its own shared port.</summary>
    private sealed class PuncherPair : IAsyncDisposable
    {
        private readonly DirectPathKey _keyI;
        private readonly DirectPathKey _keyR;
        private readonly CancellationTokenSource _cts = new(TimeSpan.FromSeconds(30));

        public PuncherPair(PunchOptions options)
        {
            byte[] key = DirectTestKit.RandomKey();
            Options = options;
            (_keyI, _keyR) = (new DirectPathKey(key, isInitiator: true), new DirectPathKey(key, isInitiator: false));
            Initiator = new HolePuncher(ListenerI, _keyI, options, _cts.Token);
            Responder = new HolePuncher(ListenerR, _keyR, options, _cts.Token);
        }

        public PunchOptions Options { get; }

        public Socket ListenerI { get; } = Listen();

        public Socket ListenerR { get; } = Listen();

        public HolePuncher Initiator { get; }

        public HolePuncher Responder { get; }

        public CancellationToken Token => _cts.Token;

        public async ValueTask DisposeAsync()
        {
            await Initiator.DisposeAsync();
            await Responder.DisposeAsync();
            _keyI.Dispose();
            _keyR.Dispose();
            _cts.Dispose();
        }
    }
}
