// The chat room pair handshake (protocol.md "Chat rooms"): the CPace channel id binds both member
// ids, so a relay that routes a handshake between other members than it claims (a rewritten
// `from`) fails key confirmation, and a room pair never shares keys with the 1:1 session of the
// same code and nameplate. Also the room record bodies: bounded, never throwing.
using System.Text;
using Tallow.Crypto;
using Tallow.Protocol;
using Tallow.Protocol.Handshake;
using Tallow.Wire;

namespace Tallow.Tests.Protocol;

public class RoomHandshakeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static Task<SessionKeys> Run(SocketPair pair, bool initiator, RoomPair ids) =>
        PeerHandshake.RunAsync(initiator ? pair.A : pair.B, initiator ? pair.ReaderA : pair.ReaderB, initiator,
            Encoding.UTF8.GetBytes(ChannelPair.Code), ChannelPair.Nameplate, ids, Timeout, CancellationToken.None);

    [Fact]
    public async Task Members_agreeing_on_both_ids_get_the_same_keys()
    {
        await using SocketPair pair = await SocketPair.ConnectAsync();
        Task<SessionKeys> i = Run(pair, true, new RoomPair(3, 0));
        Task<SessionKeys> r = Run(pair, false, new RoomPair(3, 0));
        using SessionKeys a = await i.WithTimeout();
        using SessionKeys b = await r.WithTimeout();
        Assert.Equal(a.Sas.ToArray(), b.Sas.ToArray());
        Assert.Equal(a.InitiatorToResponder.ToArray(), b.InitiatorToResponder.ToArray());
    }

    [Theory]
    [InlineData(3, 0, 4, 0)] // the responder thinks it talks to member 4
    [InlineData(3, 0, 3, 1)] // the initiator's frames were meant for member 0, routed to member 1
    [InlineData(3, 0, 0, 3)] // roles swapped
    public async Task A_pair_routed_between_other_members_than_it_thinks_fails_confirmation(byte i1, byte r1, byte i2, byte r2)
    {
        await using SocketPair pair = await SocketPair.ConnectAsync();
        Task<SessionKeys> i = Run(pair, true, new RoomPair(i1, r1));
        Task<SessionKeys> r = Run(pair, false, new RoomPair(i2, r2));
        var initiatorError = await Assert.ThrowsAsync<TallowException>(() => i.WithTimeout(20));
        var responderError = await Assert.ThrowsAsync<TallowException>(() => r.WithTimeout(20));
        Assert.Equal(FailureKind.Authentication, initiatorError.Kind);
        Assert.Equal(FailureKind.Authentication, responderError.Kind);
    }

    [Fact]
    public async Task A_room_pair_and_a_one_to_one_session_on_the_same_code_never_agree()
    {
        await using SocketPair pair = await SocketPair.ConnectAsync();
        Task<SessionKeys> i = Run(pair, true, new RoomPair(1, 0));
        Task<SessionKeys> r = PeerHandshake.RunAsync(pair.B, pair.ReaderB, false, ChannelPair.Code, ChannelPair.Nameplate, Timeout, CancellationToken.None);
        Assert.Equal(FailureKind.Authentication, (await Assert.ThrowsAsync<TallowException>(() => i.WithTimeout(20))).Kind);
        Assert.Equal(FailureKind.Authentication, (await Assert.ThrowsAsync<TallowException>(() => r.WithTimeout(20))).Kind);
    }

    [Fact]
    public void Room_messages_refuse_malformed_bodies_and_never_throw()
    {
        Assert.True(RoomMembersMessage.TryParse([5, 2, 0, 1], out RoomMembersMessage members));
        Assert.Equal((byte)5, members.Self);
        Assert.False(RoomMembersMessage.TryParse([5, 2, 0, 5], out _)); // lists itself
        Assert.False(RoomMembersMessage.TryParse([5, 2, 1, 1], out _)); // a duplicate
        Assert.False(RoomMembersMessage.TryParse([5, 3, 0, 1], out _)); // short
        Assert.False(RoomMembersMessage.TryParse([5, 20, .. Enumerable.Range(0, 20).Select(x => (byte)(x + 6))], out _)); // more than a room holds
        Assert.True(RoomViewMessage.TryParse([2, 0, 4], out byte[] ids));
        Assert.Equal([0, 4], ids);
        Assert.False(RoomViewMessage.TryParse([2, 4, 0], out _)); // not increasing
        Assert.False(RoomViewMessage.TryParse([1, 0, 4], out _)); // trailing
        Assert.True(RoomHelloMessage.TryParse(RoomHelloMessage.Write("zoë"), out string name));
        Assert.Equal("zoë", name);
        Assert.False(RoomHelloMessage.TryParse(RoomHelloMessage.Write("a\u001b[2Jb"), out _));
        Assert.False(RoomHelloMessage.TryParse(RoomHelloMessage.Write("   "), out _));
        Assert.False(RoomHelloMessage.TryParse(RoomHelloMessage.Write(new string('x', 65)), out _));
        Assert.False(RoutedFrame.TryParse([3], out _, out _)); // no payload

        var random = new Random(16);
        for (int n = 0; n < 20_000; n++)
        {
            byte[] body = new byte[random.Next(0, 40)];
            random.NextBytes(body);
            RoomMembersMessage.TryParse(body, out _);
            RoomViewMessage.TryParse(body, out _);
            RoomHelloMessage.TryParse(body, out _);
            MemberIdMessage.TryParse(body, out _);
            RoutedFrame.TryParse(body, out _, out _);
        }
    }
}
