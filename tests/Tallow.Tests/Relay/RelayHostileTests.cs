// Hostile or confused clients before pairing (DESIGN.md §4, §5.5): oversized frames, garbage,
// a 2 GB length prefix, wrong frame order. The relay answers Error and closes, and keeps
// serving well-behaved clients meanwhile.
using Tallow.Net;
using Tallow.Relay;
using Tallow.Wire;

namespace Tallow.Tests.Relay;

public class RelayHostileTests
{
    [Fact]
    public async Task A_frame_over_1_KiB_before_pairing_gets_FrameTooLarge()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync();
        await using RawClient client = await RawClient.ConnectAsync(server, token);
        await client.HelloAsync(token);
        await client.SendAsync(FrameType.Allocate, new byte[Frame.MaxUnpairedLength], token);
        await client.ExpectErrorThenCloseAsync(RelayErrorCode.FrameTooLarge, token);
        Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.FrameTooLarge));
    }

    [Fact]
    public async Task A_2_GB_length_prefix_and_garbage_are_refused_while_a_good_pair_keeps_working()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync();
        (RelayConnection creator, RelayConnection joiner) = await RelayTestKit.PairAsync(server, token);
        await using (creator)
        await using (joiner)
        {
            await using (RawClient huge = await RawClient.ConnectAsync(server, token))
            {
                await huge.SendRawAsync([0x80, 0x00, 0x00, 0x00, (byte)FrameType.Hello, 1, 2, 3], token);
                await huge.ExpectErrorThenCloseAsync(RelayErrorCode.FrameTooLarge, token);
            }

            await using (RawClient http = await RawClient.ConnectAsync(server, token))
            {
                await http.SendRawAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), token);
                await http.ExpectErrorThenCloseAsync(RelayErrorCode.FrameTooLarge, token);
            }

            await using (RawClient zero = await RawClient.ConnectAsync(server, token))
            {
                await zero.SendRawAsync(new byte[64], token);
                await zero.ExpectErrorThenCloseAsync(RelayErrorCode.BadRequest, token);
            }

            await using (RawClient wrongFirst = await RawClient.ConnectAsync(server, token))
            {
                await wrongFirst.SendAsync(FrameType.Claim, [0, 0, 0, 1], token);
                await wrongFirst.ExpectErrorThenCloseAsync(RelayErrorCode.BadRequest, token);
            }

            await creator.Stream.WriteAsync("ok"u8.ToArray(), token);
            byte[] got = new byte[2];
            await RelayTestKit.ReadExactlyAsync(joiner, got, token);
            Assert.Equal("ok"u8.ToArray(), got);

            await using RelayConnection late = await RelayTestKit.ConnectAsync(server, token: token);
            Assert.Equal(2u, await late.AllocateAsync(0, token));
        }
    }

    [Theory]
    [InlineData(2, 3, "serves no chat rooms")]              // a relay with --room-capacity 2
    [InlineData(20, 21, "malformed Allocate")]              // beyond the protocol's 20
    [InlineData(20, 1, "malformed Allocate")]
    public async Task Rooms_beyond_the_relays_capacity_are_refused(int relayCapacity, int requested, string text)
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { MaxRoomMembers = relayCapacity });
        await using RawClient client = await RawClient.ConnectAsync(server, token);
        await client.HelloAsync(token);
        byte[] allocate = new byte[AllocateMessage.Size];
        allocate[0] = (byte)requested; // the capacity byte, raw: the relay decides what it accepts
        await client.SendAsync(FrameType.Allocate, allocate, token);
        ErrorMessage error = await client.ExpectErrorThenCloseAsync(RelayErrorCode.BadRequest, token);
        Assert.Contains(text, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.Metrics.RoomsActive);
    }

    [Fact]
    public async Task A_different_protocol_version_gets_VersionMismatch()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync();
        await using RawClient client = await RawClient.ConnectAsync(server, token);
        byte[] hello = new byte[HelloMessage.Size];
        new HelloMessage(99).Write(hello);
        await client.SendAsync(FrameType.Hello, hello, token);
        await client.ExpectErrorThenCloseAsync(RelayErrorCode.VersionMismatch, token);
    }

    [Fact]
    public async Task A_waiting_creator_may_only_send_Ping()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync();
        await using RawClient client = await RawClient.ConnectAsync(server, token);
        await client.HelloAsync(token);
        byte[] allocate = new byte[AllocateMessage.Size];
        new AllocateMessage(2, 0).Write(allocate);
        await client.SendAsync(FrameType.Allocate, allocate, token);
        (FrameType type, _) = await client.ReadFrameAsync(token);
        Assert.Equal(FrameType.Opened, type);
        await client.SendAsync(FrameType.Ping, [], token);
        await client.SendAsync(FrameType.Record, [1, 2, 3], token);
        await client.ExpectErrorThenCloseAsync(RelayErrorCode.BadRequest, token);
        await RelayTestKit.EventuallyAsync(() => server.Metrics.RoomsActive == 0, token, "room freed");
    }
}
