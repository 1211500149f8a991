// The relay `send` runs in its own process listens on every interface of the LAN (issue 13, item
// 11): it must serve the sender's session and nothing else. With its options a real relay opens
// exactly one room in its lifetime, refuses every other Allocate (also after that room closed)
// and every Claim of another nameplate, and blocks an address after a few wrong claims.
// mDNS announces it by A and AAAA records, so it must answer on IPv6 as on IPv4 (issue 15, item 6).
using System.Net;
using Tallow.Cli.Hosting;
using Tallow.Net;
using Tallow.Relay;
using Tallow.Wire;

namespace Tallow.Tests.Relay;

public class EmbeddedRelayTests
{
    [Fact]
    public async Task The_embedded_relay_serves_only_the_first_room_for_its_whole_life()
    {
        CancellationToken token = RelayTestKit.Deadline(20);
        await using RelayServer server = await RelayTestKit.StartAsync(EmbeddedRelay.Options(new IPEndPoint(IPAddress.Loopback, 0)));

        RelayConnection sender = await RelayTestKit.ConnectFromAsync(server, "127.0.0.2", token);
        uint nameplate = await sender.AllocateAsync(0, token);

        // A neighbour can neither open a room of its own nor join another nameplate.
        await using (RelayConnection neighbour = await RelayTestKit.ConnectFromAsync(server, "127.0.0.5", token))
        {
            RelayException refused = await Assert.ThrowsAsync<RelayException>(() => neighbour.AllocateAsync(0, token));
            Assert.Equal(RelayErrorCode.TooManyRooms, refused.Code);
        }

        await using (RelayConnection neighbour = await RelayTestKit.ConnectFromAsync(server, "127.0.0.5", token))
        {
            RelayException refused = await Assert.ThrowsAsync<RelayException>(() => neighbour.ClaimAsync(nameplate + 1, token));
            Assert.Equal(RelayErrorCode.NoSuchRoom, refused.Code);
        }

        // The sender's own receiver pairs as usual.
        RelayConnection receiver = await RelayTestKit.ConnectFromAsync(server, "127.0.0.3", token);
        await receiver.ClaimAsync(nameplate, token);
        Assert.Equal(0, (await sender.WaitForPeerAsync(token)).Index);
        Assert.Equal(1, (await receiver.WaitForPeerAsync(token)).Index);
        await sender.DisposeAsync();
        await receiver.DisposeAsync();
        await RelayTestKit.EventuallyAsync(() => server.Metrics.RoomsActive == 0, token, "the session's room closed");

        // Once the session is over the relay serves nobody else.
        await using RelayConnection late = await RelayTestKit.ConnectFromAsync(server, "127.0.0.5", token);
        RelayException afterwards = await Assert.ThrowsAsync<RelayException>(() => late.AllocateAsync(0, token));
        Assert.Equal(RelayErrorCode.TooManyRooms, afterwards.Code);
    }

    [Fact]
    public async Task A_general_relay_still_opens_a_new_room_after_one_closed()
    {
        CancellationToken token = RelayTestKit.Deadline(20);
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions());
        RelayConnection first = await RelayTestKit.ConnectAsync(server, token: token);
        await first.AllocateAsync(0, token);
        await first.DisposeAsync();
        await RelayTestKit.EventuallyAsync(() => server.Metrics.RoomsActive == 0, token, "the room closed");

        await using RelayConnection second = await RelayTestKit.ConnectAsync(server, token: token);
        Assert.True(await second.AllocateAsync(0, token) > 0);
    }

    [Fact]
    public async Task The_embedded_relay_answers_on_IPv6_too_so_a_late_receiver_there_hears_the_room_is_full()
    {
        Assert.True(System.Net.Sockets.Socket.OSSupportsIPv6, "this test needs IPv6 on loopback (::1)");
        CancellationToken token = RelayTestKit.Deadline(20);
        await using EmbeddedRelay relay = await EmbeddedRelay.StartAsync(token);
        int port = relay.Local.Port;

        await using RelayConnection sender = await RelayConnection.ConnectAsync("127.0.0.1", port, null, RelayTestKit.ConnectTimeout, token);
        uint nameplate = await sender.AllocateAsync(0, token);
        await using RelayConnection receiver = await RelayConnection.ConnectAsync("::1", port, null, RelayTestKit.ConnectTimeout, token);
        await receiver.ClaimAsync(nameplate, token);
        Assert.Equal(1, (await receiver.WaitForPeerAsync(token)).Index);

        // A second receiver that found the AAAA record: told the room is taken, not "connection refused".
        await using RelayConnection late = await RelayConnection.ConnectAsync("::1", port, null, RelayTestKit.ConnectTimeout, token);
        RelayException full = await Assert.ThrowsAsync<RelayException>(() => late.ClaimAsync(nameplate, token));
        Assert.Equal(RelayErrorCode.RoomFull, full.Code);
    }
}
