// Test kit for PathSwitchingTransportTests: two SecureChannels over PathSwitchingTransports on a
// loopback "relay" TCP pair, with a proven loopback "direct" pair, switched exactly as
// P2PNegotiator does it (or left on the relay for a test that drives the switch itself).
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using Tallow.Crypto;
using Tallow.Net.Direct;
using Tallow.Protocol;
using Tallow.Protocol.Records;
using Tallow.Tests.Protocol;
using Tallow.Wire;
using Record = Tallow.Protocol.Records.Record;

namespace Tallow.Tests.Net;

/// <summary>A session moved to the direct path: I = initiator (A), R = responder (B).</summary>
internal sealed class SwitchedSession : IAsyncDisposable
{
    private SwitchedSession(SocketPair relay, PausableForwarder? forwarder, SessionKeys ki, SessionKeys kr)
    {
        Relay = relay;
        Forwarder = forwarder;
        KeysI = ki;
        KeysR = kr;
        TapI = new TapStream(relay.A);
        TapR = new TapStream(relay.B);
        ReaderI = new FrameReader(TapI);
        ReaderR = new FrameReader(TapR);
    }

    public SocketPair Relay { get; }

    public PausableForwarder? Forwarder { get; }

    public SessionKeys KeysI { get; }

    public SessionKeys KeysR { get; }

    /// <summary>What each side writes to the relay (tapping starts after the switch).</summary>
    public TapStream TapI { get; }

    public TapStream TapR { get; }

    public FrameReader ReaderI { get; }

    public FrameReader ReaderR { get; }

    public PathSwitchingTransport TI { get; private set; } = null!;

    public PathSwitchingTransport TR { get; private set; } = null!;

    public SecureChannel CI { get; private set; } = null!;

    public SecureChannel CR { get; private set; } = null!;

    public DirectConnection DI { get; private set; } = null!;

    public DirectConnection DR { get; private set; } = null!;

    public TaskCompletionSource FellBackI { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource FellBackR { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int FellBackCount;

    public static async Task<SwitchedSession> CreateAsync(PathTimings timings, bool viaForwarder = false, bool switchNow = true)
    {
        SocketPair relay = await SocketPair.ConnectAsync();
        (SessionKeys ki, SessionKeys kr) = await ChannelPair.HandshakeAsync(relay);
        var s = new SwitchedSession(relay, viaForwarder ? new PausableForwarder() : null, ki, kr);
        s.TI = new PathSwitchingTransport(s.TapI, s.ReaderI, new DirectPathKey(ki.DirectPath, isInitiator: true), timings);
        s.TR = new PathSwitchingTransport(s.TapR, s.ReaderR, new DirectPathKey(kr.DirectPath, isInitiator: false), timings);
        s.TI.FellBackToRelay += () =>
        {
            Interlocked.Increment(ref s.FellBackCount);
            s.FellBackI.TrySetResult();
        };
        s.TR.FellBackToRelay += () =>
        {
            Interlocked.Increment(ref s.FellBackCount);
            s.FellBackR.TrySetResult();
        };
        s.CI = new SecureChannel(s.TI, ki, isInitiator: true, null, TimeSpan.FromSeconds(30));
        s.CR = new SecureChannel(s.TR, kr, isInitiator: false, null, TimeSpan.FromSeconds(30));

        // The direct connection, proven with the session's direct-path key.
        (Socket a, Socket b) = s.Forwarder is null ? await DirectTestKit.ConnectedPairAsync() : await s.Forwarder.ConnectPairAsync();
        using var pi = new DirectPathKey(ki.DirectPath, isInitiator: true);
        using var pr = new DirectPathKey(kr.DirectPath, isInitiator: false);
        Task<DirectConnection?> di = DirectConnection.ProveAsync(a, pi, TimeSpan.FromSeconds(5), CancellationToken.None);
        Task<DirectConnection?> dr = DirectConnection.ProveAsync(b, pr, TimeSpan.FromSeconds(5), CancellationToken.None);
        s.DI = (await di.WithTimeout(10))!;
        s.DR = (await dr.WithTimeout(10))!;
        Assert.NotNull(s.DI);
        Assert.NotNull(s.DR);

        if (!switchNow)
        {
            return s; // the test drives the switch itself
        }

        await s.SwitchAsync();
        s.TapI.Tapping = true;
        s.TapR.Tapping = true;
        return s;
    }

    /// <summary>The switch, record for record as P2PNegotiator.DecideAsync / FollowAsync do it.</summary>
    public async Task SwitchAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        CancellationToken ct = cts.Token;
        Task initiator = Task.Run(async () =>
        {
            byte[] body = new byte[P2PSelectMessage.MaxSize];
            int length = new P2PSelectMessage(DI.Id, default).Write(body);
            await CI.SendAsync(RecordKind.P2PSelect, body.AsMemory(0, length), () => TI.SwitchWritesToDirect(DI), ct);
            Assert.True(TI.IsDirect);
            Record switched = await CI.ReceiveAsync(ct);
            Assert.Equal(RecordKind.P2PSwitched, switched.Kind);
            TI.SwitchReadsToDirect(DI);
        });
        Task responder = Task.Run(async () =>
        {
            Record select = await CR.ReceiveAsync(ct);
            Assert.Equal(RecordKind.P2PSelect, select.Kind);
            Assert.True(P2PSelectMessage.TryParse(select.Body.Span, out P2PSelectMessage message));
            Assert.Equal(DR.Id, message.ConnectionId);
            await CR.SendAsync(RecordKind.P2PSwitched, ReadOnlyMemory<byte>.Empty, () => TR.SwitchWritesToDirect(DR), ct);
            TR.SwitchReadsToDirect(DR);
            Assert.True(TR.IsDirect);
        });
        await Task.WhenAll(initiator, responder).WithTimeout(30);
    }

    public async ValueTask DisposeAsync()
    {
        await CI.DisposeAsync();
        await CR.DisposeAsync();
        await TI.DisposeAsync().AsTask().WithTimeout(15);
        await TR.DisposeAsync().AsTask().WithTimeout(15);
        await DI.DisposeAsync();
        await DR.DisposeAsync();
        if (Forwarder is not null)
        {
            await Forwarder.DisposeAsync();
        }

        ReaderI.Dispose();
        ReaderR.Dispose();
        await Relay.DisposeAsync();
        KeysI.Dispose();
        KeysR.Dispose();
    }
}
