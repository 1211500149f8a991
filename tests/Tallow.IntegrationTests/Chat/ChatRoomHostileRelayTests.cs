// A hostile relay against a chat room of three real `tallow chat` processes (protocol.md "Chat
// rooms"): once everyone is in, it tampers with one frame alice sends to bob — drops it,
// duplicates it, replays an old one in front of it, stamps it as carol's, or delivers it to carol.
// Every case must be detected by a member (a warning naming whose session broke), and no member
// may ever show a message its sender did not send, or show one twice.
using Tallow.IntegrationTests.Hostile;

namespace Tallow.IntegrationTests.Chat;

public enum RoomTamper
{
    Drop,
    Duplicate,
    ReplayOld,
    RewriteFrom,
    Misroute,
}

[Collection(ChatCollection.Name)]
public sealed class ChatRoomHostileRelayTests
{
    private const byte Alice = 0;
    private const byte Bob = 1;
    private const byte Carol = 2;

    [Theory]
    [InlineData(RoomTamper.Drop)]
    [InlineData(RoomTamper.Duplicate)]
    [InlineData(RoomTamper.ReplayOld)]
    [InlineData(RoomTamper.RewriteFrom)]
    [InlineData(RoomTamper.Misroute)]
    public async Task A_relay_that_tampers_with_one_frame_between_two_members_is_detected_and_nothing_false_is_shown(RoomTamper tamper)
    {
        var state = new TamperState();
        await using HostileRoomRelay relay = HostileRoomRelay.Start(route => state.Apply(route, tamper));
        (RoomMember alice, string code) = await RoomMember.OpenAsync(relay.Address, "alice");
        await using (alice)
        await using (RoomMember bob = RoomMember.Join(relay.Address, code, "bob"))
        {
            await bob.WaitForJoinsAsync(1); // bob is member 1, carol member 2
            await using RoomMember carol = RoomMember.Join(relay.Address, code, "carol");
            RoomMember[] all = [alice, bob, carol];
            foreach (RoomMember m in all)
            {
                await m.WaitForJoinsAsync(2);
            }

            alice.Say("before");
            await bob.WaitForMessageAsync("alice", "before");
            await carol.WaitForMessageAsync("alice", "before");
            state.Arm();
            alice.Say("first");
            await Task.Delay(300);
            alice.Say("second");
            if (tamper != RoomTamper.Misroute)
            {
                await carol.WaitForMessageAsync("alice", "second"); // carol's channel with alice was not touched
            }

            // Who notices: bob always (his channel with alice lost or gained a record); carol when
            // the frame was pushed into one of her channels.
            RoomMember[] witnesses = tamper == RoomTamper.Misroute ? [bob, carol] : [bob];
            foreach (RoomMember witness in witnesses)
            {
                await witness.WaitUntilAsync(m => m.Events("warning").Any(w => w.GetProperty("message").GetString()!.Contains("broke", StringComparison.Ordinal)),
                    "a warning that a member's session broke");
            }

            Assert.DoesNotContain(("alice", "second"), bob.Messages);
            if (tamper == RoomTamper.Misroute)
            {
                Assert.DoesNotContain(("alice", "second"), carol.Messages); // her channel with alice took bob's frame and broke
            }

            Assert.True(state.Tampered, "the relay never got a frame to tamper with");
            foreach (RoomMember m in all)
            {
                Assert.Equal(m.Messages.Count, m.Messages.Distinct().Count());
                Assert.All(m.Messages, x => Assert.Contains(x.Text, (string[])["before", "first", "second"]));
                Assert.All(m.Messages, x => Assert.Equal("alice", x.From));
            }
        }
    }

    [Fact]
    public async Task A_member_the_relay_keeps_after_it_left_cannot_open_what_the_others_say_later()
    {
        bool copyToBob = false;
        await using HostileRoomRelay relay = HostileRoomRelay.Start(route =>
            Volatile.Read(ref copyToBob) && route.From == Alice && route.To == Carol
                ? [new RoomDelivery(Carol, Alice, route.Payload), new RoomDelivery(Bob, Alice, route.Payload)]
                : [new RoomDelivery(route.To, route.From, route.Payload)]);
        (RoomMember alice, string code) = await RoomMember.OpenAsync(relay.Address, "alice");
        await using (alice)
        await using (RoomMember bob = RoomMember.Join(relay.Address, code, "bob"))
        {
            await bob.WaitForJoinsAsync(1);
            await using RoomMember carol = RoomMember.Join(relay.Address, code, "carol");
            foreach (RoomMember m in new[] { alice, bob, carol })
            {
                await m.WaitForJoinsAsync(2);
            }

            alice.Say("before");
            await bob.WaitForMessageAsync("alice", "before");

            // The relay tells alice and carol that bob left, keeps bob connected, and copies to him
            // everything alice sends carol, stamped as alice's.
            await relay.FakeDepartureAsync(Bob);
            await alice.WaitUntilAsync(m => m.Events("peer_left").Any(), "bob reported gone");
            await carol.WaitUntilAsync(m => m.Events("peer_left").Any(), "bob reported gone");
            Volatile.Write(ref copyToBob, true);
            alice.Say("for carol only");
            await carol.WaitForMessageAsync("alice", "for carol only");
            await bob.WaitUntilAsync(m => m.Events("warning").Any(w => w.GetProperty("message").GetString()!.Contains("broke", StringComparison.Ordinal)),
                "bob's channel with alice rejecting carol's traffic");
            Assert.DoesNotContain(bob.Messages, x => x.Text == "for carol only");
            Assert.True(relay.Routes.Any(r => r.From == Alice && r.To == Carol), "nothing was copied to bob");
        }
    }

    /// <summary>Tampers with the first frame alice routes to bob after Arm.</summary>
    private sealed class TamperState
    {
        private readonly List<byte[]> _history = [];
        private volatile bool _armed;
        private int _done;

        public bool Tampered => Volatile.Read(ref _done) != 0;

        public void Arm() => _armed = true;

        public IEnumerable<RoomDelivery> Apply(RoomRoute route, RoomTamper tamper)
        {
            var honest = new RoomDelivery(route.To, route.From, route.Payload);
            if (route.From != Alice || route.To != Bob)
            {
                return [honest];
            }

            lock (_history)
            {
                _history.Add(route.Payload);
            }

            if (!_armed || Interlocked.Exchange(ref _done, 1) != 0)
            {
                return [honest];
            }

            return tamper switch
            {
                RoomTamper.Drop => [],
                RoomTamper.Duplicate => [honest, honest],
                RoomTamper.ReplayOld => [new RoomDelivery(Bob, Alice, OldPayload()), honest],
                RoomTamper.RewriteFrom => [new RoomDelivery(Bob, Carol, route.Payload)],
                RoomTamper.Misroute => [new RoomDelivery(Carol, Alice, route.Payload)],
                _ => [honest],
            };
        }

        /// <summary>A frame alice sent bob long before (after the handshake: a sealed record).</summary>
        private byte[] OldPayload()
        {
            lock (_history)
            {
                return _history[Math.Min(4, _history.Count - 2)];
            }
        }
    }
}
