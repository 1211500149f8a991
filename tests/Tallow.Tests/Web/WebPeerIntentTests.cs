// A web page's P2P intent (version 0x80, intent 0; protocol.md "Web peers"): the negotiator
// reports WebPeer at once and stays on the relay, also when this side would not have tried
// (--no-p2p, small content); an older CLI's rule (any other version = disabled by peer) still
// holds for other versions. Runs over a real record session pair on loopback TCP.
using System.Net;
using Tallow.Net.Direct;
using Tallow.Protocol.Session;
using Tallow.Tests.Protocol;
using Tallow.Wire;

namespace Tallow.Tests.Web;

public class WebPeerIntentTests
{
    private sealed class Observer : IP2PObserver
    {
        public List<string> Events { get; } = [];

        public void Attempting() => Events.Add("attempting");

        public void Upgraded(IPEndPoint peer, HandshakeRtt rtt) => Events.Add("upgraded");

        public void FellBack(P2PFallbackReason reason) => Events.Add("fellback:" + reason);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task A_web_intent_is_reported_at_once_and_keeps_the_relay(bool enabled, bool notNeeded)
    {
        (List<string> events, byte[] sent) = await NegotiateAgainstAsync([P2PIntentMessage.WebVersion, 0], enabled, notNeeded);
        Assert.Equal(["fellback:" + P2PFallbackReason.WebPeer], events);
        Assert.Equal(P2PIntentMessage.CurrentVersion, sent[0]);
    }

    [Fact]
    public async Task Another_unknown_version_is_still_disabled_by_peer_as_before()
    {
        (List<string> events, _) = await NegotiateAgainstAsync([0x7F, 0], enabled: true, notNeeded: false);
        Assert.Equal(["fellback:" + P2PFallbackReason.DisabledByPeer], events);
    }

    [Fact]
    public void The_web_reason_never_parses_from_a_P2PSelect_and_has_its_own_words()
    {
        Assert.False(P2PSelectMessage.TryParse([0, (byte)P2PFallbackReason.WebPeer], out _));
        Assert.Equal("the peer is a web browser", P2PFallbackReasons.Describe(P2PFallbackReason.WebPeer));
        Assert.True(P2PIntentMessage.TryParse([P2PIntentMessage.WebVersion, 0], out P2PIntentMessage web) && web.FromWebPeer && !web.Enabled);
    }

    private static async Task<(List<string> Events, byte[] Sent)> NegotiateAgainstAsync(byte[] peerIntent, bool enabled, bool notNeeded)
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        await using SocketPair spare = await SocketPair.ConnectAsync();
        using var key = new DirectPathKey(new byte[32], isInitiator: true);
        await using var transport = new PathSwitchingTransport(spare.A, spare.ReaderA, key);
        RecordPort local = pair.InitiatorRecords.Port(RecordGroup.Path);
        RecordPort peer = pair.ResponderRecords.Port(RecordGroup.Path);
        await peer.SendAsync(RecordKind.P2PIntent, peerIntent, CancellationToken.None);
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var context = new P2PContext(enabled, IsInitiator: true, Listener: listener, new IPEndPoint(IPAddress.Loopback, 1), new IPEndPoint(IPAddress.Loopback, 2), 0, new PunchOptions())
        {
            NotNeeded = notNeeded,
        };
        var observer = new Observer();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        DirectConnection? direct = await P2PNegotiator.NegotiateAsync(local, transport, key, context, observer, timeout.Token);
        Assert.Null(direct);
        Tallow.Protocol.Records.Record sent = await peer.ReceiveAsync(timeout.Token);
        Assert.Equal(RecordKind.P2PIntent, sent.Kind);
        return (observer.Events, sent.Body.ToArray());
    }
}
