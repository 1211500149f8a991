// Routing in chat rooms on a real relay over loopback sockets (docs/protocol.md "Chat rooms"):
// Route → Routed with the sender stamped by the relay, dropped routes, refusing only the member
// that sends a bad frame, and the idle timeout; pacing and slow members are in
// RoutingRoomLimitTests.
using System.Net;
using System.Security.Cryptography;
using Tallow.Relay;
using Tallow.Wire;

namespace Tallow.Tests.Relay;

public class RoutingRoomRoutingTests
{
    /// <summary>A room of three whose MemberJoined frames were read: members 0, 1, 2.</summary>
    private static async Task<(RoomMember A, RoomMember B, RoomMember C)> RoomOfThreeAsync(RelayServer server, CancellationToken token)
    {
        RoomMember a = await RoomMember.CreateAsync(server, 5, token);
        RoomMember b = await RoomMember.JoinAsync(server, a.Nameplate, token);
        RoomMember c = await RoomMember.JoinAsync(server, a.Nameplate, token);
        Assert.Equal(1, await a.ExpectMemberAsync(FrameType.MemberJoined, token));
        Assert.Equal(2, await a.ExpectMemberAsync(FrameType.MemberJoined, token));
        Assert.Equal(2, await b.ExpectMemberAsync(FrameType.MemberJoined, token));
        return (a, b, c);
    }

    [Fact]
    public async Task Route_reaches_only_its_target_as_Routed_with_the_relay_stamped_sender_and_the_payload_verbatim()
    {
        CancellationToken token = RelayTestKit.Deadline(20);
        await using RelayServer server = await RelayTestKit.StartAsync();
        (RoomMember a, RoomMember b, RoomMember c) = await RoomOfThreeAsync(server, token);
        await using (a)
        await using (b)
        await using (c)
        {
            byte[] big = RandomNumberGenerator.GetBytes(RoomProtocol.MaxRoutedPayload);
            await c.RouteAsync(1, big, token);
            (byte from, byte[] payload) = await b.ExpectRoutedAsync(token);
            Assert.Equal(2, from);
            Assert.Equal(big, payload);

            // The payload's first byte looks like a sender id: the relay neither reads nor trusts it.
            await c.RouteAsync(0, [1, 0xAA], token);
            (from, payload) = await a.ExpectRoutedAsync(token);
            Assert.Equal(2, from);
            Assert.Equal(new byte[] { 1, 0xAA }, payload);

            // B received nothing else: its next frame is the one A sends it now.
            await a.RouteAsync(1, [7], token);
            await ExpectRoutedAsync(b, 0, [7], token);
            // Counted once the write to the member completed, which may be just after it was read.
            await RelayTestKit.EventuallyAsync(() => server.Metrics.RoutedFramesTotal == 3, token, "3 frames counted");
            long expectedBytes = 3 * RoutedFrame.PrefixSize + big.Length + 2 + 1;
            Assert.Equal(expectedBytes, server.Metrics.RoutedBytesTotal);
            Assert.Equal(expectedBytes, server.Metrics.BytesForwarded);
        }
    }

    [Fact]
    public async Task Routes_to_an_unknown_id_or_to_the_sender_itself_are_dropped_and_counted()
    {
        CancellationToken token = RelayTestKit.Deadline(20);
        await using RelayServer server = await RelayTestKit.StartAsync();
        (RoomMember a, RoomMember b, RoomMember c) = await RoomOfThreeAsync(server, token);
        await using (a)
        await using (b)
        await using (c)
        {
            await b.RouteAsync(1, [1], token);    // itself
            await b.RouteAsync(9, [2], token);    // nobody
            await b.RouteAsync(255, [3], token);  // nobody
            await b.RouteAsync(0, [4], token);
            await b.RouteAsync(1, [5], token);    // itself again
            await b.RouteAsync(2, [6], token);

            await ExpectRoutedAsync(a, 1, new byte[] { 4 }, token);
            await ExpectRoutedAsync(c, 1, new byte[] { 6 }, token);
            await b.SendAsync(FrameType.Ping, [], token);
            await a.RouteAsync(1, [8], token);
            await ExpectRoutedAsync(b, 0, new byte[] { 8 }, token); // nothing of its own came back to B
            Assert.Equal(4, server.Metrics.RoutesDroppedTotal);
            await RelayTestKit.EventuallyAsync(() => server.Metrics.RoutedFramesTotal == 3, token, "3 frames counted");
            await Task.Delay(100, token);
            Assert.Equal(3, server.Metrics.RoutedFramesTotal);
        }
    }

    [Theory]
    [InlineData("oversized")]
    [InlineData("empty route")]
    [InlineData("unexpected type")]
    [InlineData("zero length")]
    public async Task A_bad_frame_refuses_only_its_sender_and_the_others_keep_routing(string bad)
    {
        CancellationToken token = RelayTestKit.Deadline(20);
        await using RelayServer server = await RelayTestKit.StartAsync();
        (RoomMember a, RoomMember b, RoomMember c) = await RoomOfThreeAsync(server, token);
        await using (a)
        await using (b)
        await using (c)
        {
            (byte[] frame, RelayErrorCode code, RelayRejectionReason reason) = bad switch
            {
                "oversized" => (Header(FrameType.Route, RoomProtocol.MaxFrameLength + 1), RelayErrorCode.FrameTooLarge, RelayRejectionReason.FrameTooLarge),
                "empty route" => (Frame.Encode(FrameType.Route, [0]), RelayErrorCode.BadRequest, RelayRejectionReason.BadRequest),
                "unexpected type" => (Frame.Encode(FrameType.Claim, RoomMember.ClaimPayload(a.Nameplate)), RelayErrorCode.BadRequest, RelayRejectionReason.BadRequest),
                _ => (new byte[Frame.HeaderSize], RelayErrorCode.BadRequest, RelayRejectionReason.BadRequest),
            };
            await c.Client.SendRawAsync(frame, token);
            await c.ExpectErrorThenCloseAsync(code, token);
            Assert.Equal(2, await a.ExpectMemberAsync(FrameType.MemberLeft, token));
            Assert.Equal(2, await b.ExpectMemberAsync(FrameType.MemberLeft, token));
            Assert.Equal(1, server.Metrics.Rejections(reason));

            await a.RouteAsync(1, "after"u8.ToArray(), token);
            await ExpectRoutedAsync(b, 0, "after"u8.ToArray(), token);
            Assert.Equal(2, server.Metrics.RoomMembersActive);
        }
    }

    private static async Task ExpectRoutedAsync(RoomMember member, byte from, byte[] payload, CancellationToken token)
    {
        (byte gotFrom, byte[] got) = await member.ExpectRoutedAsync(token);
        Assert.Equal(from, gotFrom);
        Assert.Equal(payload, got);
    }

    private static byte[] Header(FrameType type, int length)
    {
        byte[] header = new byte[Frame.HeaderSize];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(header, (uint)length);
        header[4] = (byte)type;
        return header;
    }

    [Fact]
    public async Task A_chat_room_is_idle_closed_unless_Route_or_Ping_keeps_it_active()
    {
        CancellationToken token = RelayTestKit.Deadline(20);
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { IdleTimeout = TimeSpan.FromMilliseconds(800) });
        await using RoomMember a = await RoomMember.CreateAsync(server, 3, token);
        await using RoomMember b = await RoomMember.JoinAsync(server, a.Nameplate, token);
        Assert.Equal(1, await a.ExpectMemberAsync(FrameType.MemberJoined, token));

        // Pings for twice the timeout keep it open.
        for (int i = 0; i < 8; i++)
        {
            await b.SendAsync(FrameType.Ping, [], token);
            await Task.Delay(200, token);
        }

        Assert.Equal(1, server.Metrics.RoutingRoomsActive);
        await a.RouteAsync(1, [1], token);
        await ExpectRoutedAsync(b, 0, new byte[] { 1 }, token);

        // Then silence: the relay closes every member.
        await a.Client.ExpectClosedAsync(token);
        await b.Client.ExpectClosedAsync(token);
        await RelayTestKit.EventuallyAsync(() => server.Metrics.RoutingRoomsActive == 0 && server.Metrics.RoomMembersActive == 0, token, "idle room closed");
        Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.IdleTimeout));
    }

    [Fact]
    public async Task Metrics_endpoint_shows_chat_room_counters()
    {
        CancellationToken token = RelayTestKit.Deadline(20);
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { MetricsBind = new IPEndPoint(IPAddress.Loopback, 0) });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var url = new Uri($"http://{server.MetricsEndPoint}/metrics");
        (RoomMember a, RoomMember b, RoomMember c) = await RoomOfThreeAsync(server, token);
        await using (a)
        await using (b)
        await using (c)
        {
            await a.RouteAsync(2, new byte[1000], token);
            await c.ExpectRoutedAsync(token);
            await a.RouteAsync(0, [1], token);
            await a.RouteAsync(1, [2], token);
            await b.ExpectRoutedAsync(token);
            await RelayTestKit.EventuallyAsync(() => server.Metrics.RoutedFramesTotal == 2, token, "2 frames counted");
            string text = await http.GetStringAsync(url, token);
            Assert.Contains("tallow_relay_routing_rooms_active 1\n", text, StringComparison.Ordinal);
            Assert.Contains("tallow_relay_room_members_active 3\n", text, StringComparison.Ordinal);
            Assert.Contains("tallow_relay_routed_frames_total 2\n", text, StringComparison.Ordinal);
            Assert.Contains($"tallow_relay_routed_bytes_total {(2 * RoutedFrame.PrefixSize) + 1001}\n", text, StringComparison.Ordinal);
            Assert.Contains($"tallow_relay_bytes_forwarded_total {(2 * RoutedFrame.PrefixSize) + 1001}\n", text, StringComparison.Ordinal);
            Assert.Contains("tallow_relay_routes_dropped_total 1\n", text, StringComparison.Ordinal);
            Assert.Contains("tallow_relay_slow_members_total 0\n", text, StringComparison.Ordinal);
            Assert.Contains("tallow_relay_rejections_total{reason=\"room_capacity\"} 0\n", text, StringComparison.Ordinal);
            Assert.Contains("tallow_relay_rooms_active 1\n", text, StringComparison.Ordinal);
        }
    }
}
