// Chat (routing) rooms on a real relay over loopback sockets (docs/protocol.md "Chat rooms"):
// member ids and the order of RoomMembers/MemberJoined, MemberLeft, capacity and RoomClose,
// the room's life (creator leaving, last member leaving) and the per-address accounting.
using Tallow.Relay;
using Tallow.Wire;

namespace Tallow.Tests.Relay;

public class RoutingRoomMembershipTests
{
    [Fact]
    public async Task Members_get_ids_in_order_with_RoomMembers_first_and_MemberJoined_to_everyone_already_there()
    {
        CancellationToken token = RelayTestKit.Deadline(20);
        await using RelayServer server = await RelayTestKit.StartAsync();
        await using RoomMember creator = await RoomMember.CreateAsync(server, 5, token);
        Assert.Equal(0, creator.Id);
        Assert.Empty(creator.OthersAtJoin);
        Assert.Equal(1, server.Metrics.RoutingRoomsActive);

        await using RoomMember first = await RoomMember.JoinAsync(server, creator.Nameplate, token);
        Assert.Equal(1, first.Id);
        Assert.Equal(new byte[] { 0 }, first.OthersAtJoin);
        Assert.Equal(1, await creator.ExpectMemberAsync(FrameType.MemberJoined, token));

        await using RoomMember second = await RoomMember.JoinAsync(server, creator.Nameplate, token);
        Assert.Equal(2, second.Id);
        Assert.Equal(new byte[] { 0, 1 }, second.OthersAtJoin);
        Assert.Equal(2, await creator.ExpectMemberAsync(FrameType.MemberJoined, token));
        Assert.Equal(2, await first.ExpectMemberAsync(FrameType.MemberJoined, token));
        Assert.Equal(3, server.Metrics.RoomMembersActive);
        Assert.Equal(0, server.Metrics.PairingsTotal); // a chat room is not a pair
    }

    [Fact]
    public async Task Nothing_overtakes_a_joiners_RoomMembers_and_MemberJoined_comes_before_the_joiners_first_frame()
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        await using RelayServer server = await RelayTestKit.StartAsync();
        await using RoomMember creator = await RoomMember.CreateAsync(server, 4, token);

        // The creator floods Route{to 1} before member 1 exists: dropped until it is admitted, then
        // delivered, but never ahead of member 1's Opened and RoomMembers. 3000 at once, then one a
        // millisecond until the joiner has seen one (on a busy machine the joiner may connect only
        // after the first 3000 are gone), within the test's deadline.
        bool stop = false;
        Task flood = Task.Run(async () =>
        {
            for (int i = 0; i < 100_000 && !Volatile.Read(ref stop); i++)
            {
                await creator.RouteAsync(1, [(byte)i], token);
                if (i >= 3000)
                {
                    await Task.Delay(1, token);
                }
            }
        }, CancellationToken.None);

        // The joiner sends a Route to the creator in the same write as its Claim.
        RawClient raw = await RoomMember.ConnectAsync(server, token);
        await raw.SendRawAsync([.. Frame.Encode(FrameType.Claim, RoomMember.ClaimPayload(creator.Nameplate)),
            .. RoutedFrame.Encode(FrameType.Route, 0, "hello from 1"u8)], token);
        (FrameType type, _) = await raw.ReadFrameAsync(token);
        Assert.Equal(FrameType.Opened, type);
        (type, byte[] payload) = await raw.ReadFrameAsync(token);
        Assert.Equal(FrameType.RoomMembers, type);
        Assert.True(RoomMembersMessage.TryParse(payload, out RoomMembersMessage members));
        Assert.Equal(1, members.Self);
        (type, _) = await raw.ReadFrameAsync(RoomProtocol.MaxFrameLength, token);
        Assert.Equal(FrameType.Routed, type); // the flood reaches the new member once it is in

        Volatile.Write(ref stop, true);
        await flood;
        Assert.Equal(1, await creator.ExpectMemberAsync(FrameType.MemberJoined, token));
        (byte from, byte[] hello) = await creator.ExpectRoutedAsync(token);
        Assert.Equal(1, from);
        Assert.Equal("hello from 1"u8.ToArray(), hello);
        await raw.DisposeAsync();
    }

    [Fact]
    public async Task A_member_that_disconnects_is_announced_with_MemberLeft_and_ids_are_never_reused()
    {
        CancellationToken token = RelayTestKit.Deadline(20);
        await using RelayServer server = await RelayTestKit.StartAsync();
        await using RoomMember creator = await RoomMember.CreateAsync(server, 3, token);
        RoomMember first = await RoomMember.JoinAsync(server, creator.Nameplate, token);
        await using RoomMember second = await RoomMember.JoinAsync(server, creator.Nameplate, token);
        Assert.Equal(1, await creator.ExpectMemberAsync(FrameType.MemberJoined, token));
        Assert.Equal(2, await creator.ExpectMemberAsync(FrameType.MemberJoined, token));

        await first.DisposeAsync();
        Assert.Equal(1, await creator.ExpectMemberAsync(FrameType.MemberLeft, token));
        Assert.Equal(1, await second.ExpectMemberAsync(FrameType.MemberLeft, token));
        await RelayTestKit.EventuallyAsync(() => server.Metrics.RoomMembersActive == 2, token, "member 1 gone");

        // The freed place is taken by a new id: 1 is not handed out again.
        await using RoomMember third = await RoomMember.JoinAsync(server, creator.Nameplate, token);
        Assert.Equal(3, third.Id);
        Assert.Equal(new byte[] { 0, 2 }, third.OthersAtJoin);
        Assert.Equal(3, await creator.ExpectMemberAsync(FrameType.MemberJoined, token));
        Assert.Equal(3, await second.ExpectMemberAsync(FrameType.MemberJoined, token));
    }

    [Fact]
    public async Task A_full_room_refuses_with_RoomFull_and_counts_a_failed_claim_while_admitted_claims_do_not()
    {
        CancellationToken token = RelayTestKit.Deadline(20);
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { MaxFailedClaimsPerAddress = 2 });
        await using RoomMember creator = await RoomMember.CreateAsync(server, 3, token);
        await using RoomMember first = await RoomMember.JoinAsync(server, creator.Nameplate, token);
        await using RoomMember second = await RoomMember.JoinAsync(server, creator.Nameplate, token);

        for (int attempt = 0; attempt < 2; attempt++)
        {
            await using RawClient late = await RoomMember.ConnectAsync(server, token);
            await late.SendAsync(FrameType.Claim, RoomMember.ClaimPayload(creator.Nameplate), token);
            ErrorMessage full = await late.ExpectErrorThenCloseAsync(RelayErrorCode.RoomFull, token);
            Assert.Contains("full (3 members)", full.Message, StringComparison.Ordinal);
        }

        Assert.Equal(2, server.Metrics.Rejections(RelayRejectionReason.RoomFull));
        // Two admitted claims and two refused ones from 127.0.0.1 with a limit of 2: only the refused ones counted.
        await using RawClient blocked = await RoomMember.ConnectAsync(server, token);
        await blocked.SendAsync(FrameType.Claim, RoomMember.ClaimPayload(creator.Nameplate), token);
        await blocked.ExpectErrorThenCloseAsync(RelayErrorCode.RateLimited, token);
    }

    [Fact]
    public async Task Admitted_claims_are_not_failed_claims()
    {
        CancellationToken token = RelayTestKit.Deadline(20);
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { MaxFailedClaimsPerAddress = 1 });
        await using RoomMember creator = await RoomMember.CreateAsync(server, 5, token);
        var members = new List<RoomMember>();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                members.Add(await RoomMember.JoinAsync(server, creator.Nameplate, token));
            }

            Assert.Equal(0, server.Metrics.Rejections(RelayRejectionReason.ClaimsBlocked));
            Assert.Equal(0, server.Metrics.AddressBlocksTotal);
        }
        finally
        {
            foreach (RoomMember member in members)
            {
                await member.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task RoomClose_from_any_member_stops_admissions_and_is_broadcast_to_every_member()
    {
        CancellationToken token = RelayTestKit.Deadline(20);
        await using RelayServer server = await RelayTestKit.StartAsync();
        await using RoomMember creator = await RoomMember.CreateAsync(server, 10, token);
        await using RoomMember first = await RoomMember.JoinAsync(server, creator.Nameplate, token);
        Assert.Equal(1, await creator.ExpectMemberAsync(FrameType.MemberJoined, token));

        await first.SendAsync(FrameType.RoomClose, [], token);
        Assert.Equal(FrameType.RoomClose, (await creator.ReadAsync(token)).Type);
        Assert.Equal(FrameType.RoomClose, (await first.ReadAsync(token)).Type);

        await using RawClient late = await RoomMember.ConnectAsync(server, token);
        await late.SendAsync(FrameType.Claim, RoomMember.ClaimPayload(creator.Nameplate), token);
        ErrorMessage refused = await late.ExpectErrorThenCloseAsync(RelayErrorCode.RoomFull, token);
        Assert.Contains("admits no one any more", refused.Message, StringComparison.Ordinal);

        // The members already in keep talking.
        await creator.RouteAsync(1, "still here"u8.ToArray(), token);
        Assert.Equal((byte)0, (await first.ExpectRoutedAsync(token)).From);
    }

    [Fact]
    public async Task The_creator_leaving_keeps_the_room_and_the_last_member_leaving_frees_the_nameplate()
    {
        CancellationToken token = RelayTestKit.Deadline(20);
        await using RelayServer server = await RelayTestKit.StartAsync();
        RoomMember creator = await RoomMember.CreateAsync(server, 4, token);
        RoomMember first = await RoomMember.JoinAsync(server, creator.Nameplate, token);
        RoomMember second = await RoomMember.JoinAsync(server, creator.Nameplate, token);
        Assert.Equal(2, await first.ExpectMemberAsync(FrameType.MemberJoined, token));

        await creator.DisposeAsync();
        Assert.Equal(0, await first.ExpectMemberAsync(FrameType.MemberLeft, token));
        Assert.Equal(0, await second.ExpectMemberAsync(FrameType.MemberLeft, token));
        await second.RouteAsync(1, "without the creator"u8.ToArray(), token);
        (byte from, byte[] payload) = await first.ExpectRoutedAsync(token);
        Assert.Equal(2, from);
        Assert.Equal("without the creator"u8.ToArray(), payload);

        // Still admits: a newcomer joins the room its creator left.
        RoomMember third = await RoomMember.JoinAsync(server, creator.Nameplate, token);
        Assert.Equal(new byte[] { 1, 2 }, third.OthersAtJoin);
        Assert.Equal(1, server.Metrics.RoomsActive);

        await first.DisposeAsync();
        await second.DisposeAsync();
        await third.DisposeAsync();
        await RelayTestKit.EventuallyAsync(() => server.Metrics.RoomsActive == 0 && server.Metrics.RoutingRoomsActive == 0
            && server.Metrics.RoomMembersActive == 0, token, "room closed with its last member");

        await using RawClient late = await RoomMember.ConnectAsync(server, token);
        await late.SendAsync(FrameType.Claim, RoomMember.ClaimPayload(creator.Nameplate), token);
        await late.ExpectErrorThenCloseAsync(RelayErrorCode.NoSuchRoom, token);
        await using RoomMember again = await RoomMember.CreateAsync(server, 3, token);
        Assert.Equal(creator.Nameplate, again.Nameplate);
    }

    [Fact]
    public async Task A_chat_room_counts_as_a_waiting_room_of_its_creators_address_until_its_first_joiner()
    {
        CancellationToken token = RelayTestKit.Deadline(20);
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { MaxUnpairedRoomsPerAddress = 1 });
        await using RoomMember creator = await RoomMember.CreateAsync(server, 3, token);

        await using (RawClient second = await RoomMember.ConnectAsync(server, token))
        {
            await second.SendAsync(FrameType.Allocate, RoomMember.AllocatePayload(3), token);
            await second.ExpectErrorThenCloseAsync(RelayErrorCode.TooManyRooms, token);
        }

        Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.AddressRoomLimit));
        await using RoomMember joiner = await RoomMember.JoinAsync(server, creator.Nameplate, token);
        await using RoomMember next = await RoomMember.CreateAsync(server, 3, token); // no longer waiting: the address may open another
        Assert.NotEqual(creator.Nameplate, next.Nameplate);
    }

    [Fact]
    public async Task A_capacity_above_the_relays_limit_is_refused_with_the_limit_in_the_text()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { MaxRoomMembers = 5 });
        await using RawClient client = await RoomMember.ConnectAsync(server, token);
        await client.SendAsync(FrameType.Allocate, RoomMember.AllocatePayload(6), token);
        ErrorMessage error = await client.ExpectErrorThenCloseAsync(RelayErrorCode.BadRequest, token);
        Assert.Contains("at most 5 members", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.RoomCapacity));
        Assert.Equal(0, server.Metrics.RoomsActive);

        await using RoomMember allowed = await RoomMember.CreateAsync(server, 5, token);
        Assert.Equal(0, allowed.Id);
    }

    [Fact]
    public async Task A_chat_room_nobody_joins_is_closed_after_the_unpaired_timeout_with_Error_Timeout()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { UnpairedTimeout = TimeSpan.FromMilliseconds(300) });
        await using RoomMember creator = await RoomMember.CreateAsync(server, 3, token);
        await creator.ExpectErrorThenCloseAsync(RelayErrorCode.Timeout, token);
        await RelayTestKit.EventuallyAsync(() => server.Metrics.RoomsActive == 0 && server.Metrics.RoomMembersActive == 0, token, "room closed");
        Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.UnpairedTimeout));
    }
}
