// Per-member limits of chat rooms on a real relay over loopback sockets (docs/protocol.md "Chat
// rooms"): the frame rate paces a member without dropping anything, and a member that stops
// taking frames is disconnected after RelayOptions.SlowMemberTimeout while the others go on.
using System.Diagnostics;
using Tallow.Relay;
using Tallow.Wire;

namespace Tallow.Tests.Relay;

[Collection(SerialRelayCollection.Name)] // timing bounds: not next to the tests that saturate loopback
public class RoutingRoomLimitTests
{
    [Fact]
    public async Task A_member_over_its_frame_rate_is_slowed_down_and_nothing_is_dropped()
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { RoomFramesPerSecond = 40, RoomFrameBurst = 10 });
        await using RoomMember a = await RoomMember.CreateAsync(server, 3, token);
        await using RoomMember b = await RoomMember.JoinAsync(server, a.Nameplate, token);
        Assert.Equal(1, await a.ExpectMemberAsync(FrameType.MemberJoined, token));

        const int Frames = 50;
        byte[] burst = [.. Enumerable.Range(0, Frames).SelectMany(i => RoutedFrame.Encode(FrameType.Route, 1, [(byte)i]))];
        var clock = Stopwatch.StartNew();
        await a.Client.SendRawAsync(burst, token);

        // While A is paced, B is not: its frame reaches A at once.
        await b.RouteAsync(0, [0xB], token);
        (byte from, byte[] payload) = await a.ExpectRoutedAsync(token);
        Assert.Equal((1, 0xB), (from, payload.Single()));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(0.6), $"B's frame took {clock.Elapsed} behind A's paced ones");

        for (int i = 0; i < Frames; i++)
        {
            (from, payload) = await b.ExpectRoutedAsync(token);
            Assert.Equal((0, (byte)i), (from, payload.Single()));
        }

        // 10 at once, then 40 more at 40 per second: at least about a second.
        TimeSpan took = clock.Elapsed;
        Assert.True(took >= TimeSpan.FromSeconds(0.8), $"{Frames} frames took only {took}");
        Assert.True(took < TimeSpan.FromSeconds(10), $"{Frames} frames took {took}");
        Assert.Equal(0, server.Metrics.RoutesDroppedTotal);
        await RelayTestKit.EventuallyAsync(() => server.Metrics.RoutedFramesTotal == Frames + 1, token, "every frame counted as routed");
    }

    [Fact]
    public async Task A_member_that_stops_reading_is_disconnected_after_the_timeout_and_the_others_keep_working()
    {
        CancellationToken token = RelayTestKit.Deadline(60);
        TimeSpan timeout = TimeSpan.FromSeconds(1);
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { SlowMemberTimeout = timeout, RoomFramesPerSecond = 0 });
        await using RoomMember a = await RoomMember.CreateAsync(server, 3, token);
        await using RoomMember b = await RoomMember.JoinAsync(server, a.Nameplate, token);
        await using RoomMember c = await RoomMember.JoinAsync(server, a.Nameplate, token, receiveBuffer: 4096); // never reads again
        Assert.Equal(2, await b.ExpectMemberAsync(FrameType.MemberJoined, token));

        // A sends C 64 KiB frames until the relay gives up on C (its socket buffers fill, then nothing moves).
        bool stop = false;
        byte[] frame = RoutedFrame.Encode(FrameType.Route, 2, new byte[RoomProtocol.MaxRoutedPayload]);
        var clock = Stopwatch.StartNew();
        Task pump = Task.Run(async () =>
        {
            for (int i = 0; i < 1000 && !Volatile.Read(ref stop); i++)
            {
                await a.Client.SendRawAsync(frame, token);
            }
        }, CancellationToken.None);

        Assert.Equal(2, await b.ExpectMemberAsync(FrameType.MemberLeft, token));
        TimeSpan detected = clock.Elapsed;
        Volatile.Write(ref stop, true);
        await pump;
        Assert.True(detected >= timeout, $"C was dropped after {detected}, before the {timeout} timeout");
        Assert.Equal(1, server.Metrics.SlowMembersTotal);
        await RelayTestKit.EventuallyAsync(() => server.Metrics.RoomMembersActive == 2, token, "C out of the room");

        // A and B go on: B's frame reaches A behind A's membership frames.
        await b.RouteAsync(0, "still here"u8.ToArray(), token);
        Assert.Equal(1, await a.ExpectMemberAsync(FrameType.MemberJoined, token));
        Assert.Equal(2, await a.ExpectMemberAsync(FrameType.MemberJoined, token));
        Assert.Equal(2, await a.ExpectMemberAsync(FrameType.MemberLeft, token));
        (byte from, byte[] payload) = await a.ExpectRoutedAsync(token);
        Assert.Equal(1, from);
        Assert.Equal("still here"u8.ToArray(), payload);
        await c.Client.ExpectClosedAsync(token);
    }
}
