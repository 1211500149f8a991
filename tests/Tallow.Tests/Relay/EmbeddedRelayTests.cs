// The relay `send` runs in its own process listens on every interface of the LAN (issue 13, item
// 11): it must serve the sender's session and nothing else. With its options a real relay opens
// exactly one room in its lifetime, refuses every other Allocate (also after that room closed)
// and every Claim of another nameplate, and blocks an address after a few wrong claims.
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
}
