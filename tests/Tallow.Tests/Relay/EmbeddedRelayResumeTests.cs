// The sender's embedded relay serves one room in its lifetime (EmbeddedRelayTests), and also the
// rooms that resume that session (RelayServer.PermitNameplate, called by OpenSession.ReconnectAsync
// with the nameplate derived from the session's resumption secret): exactly that nameplate opens
// again, as often as a resume needs, while every other Allocate stays refused.
using System.Net;
using Tallow.Cli.Hosting;
using Tallow.Net;
using Tallow.Relay;
using Tallow.Wire;

namespace Tallow.Tests.Relay;

public class EmbeddedRelayResumeTests
{
    private const uint Resumed = 4_242_424;

    [Fact]
    public async Task Only_the_permitted_resumed_nameplate_opens_again_on_the_single_room_relay()
    {
        CancellationToken token = RelayTestKit.Deadline(20);
        await using RelayServer server = await RelayTestKit.StartAsync(EmbeddedRelay.Options(new IPEndPoint(IPAddress.Loopback, 0)));
        RelayConnection first = await RelayTestKit.ConnectFromAsync(server, "127.0.0.2", token);
        await first.AllocateAsync(0, token);
        await first.DisposeAsync();
        await RelayTestKit.EventuallyAsync(() => server.Metrics.RoomsActive == 0, token, "the first room closed");

        await AssertRefusedAsync(server, Resumed, token); // not yet permitted: like any other room
        server.PermitNameplate(Resumed);
        await AssertRefusedAsync(server, Resumed + 1, token);
        await AssertRefusedAsync(server, 0, token);

        // The permitted room opens and pairs, and opens again after it closed (the resume's next attempt).
        for (int round = 0; round < 2; round++)
        {
            RelayConnection creator = await RelayTestKit.ConnectFromAsync(server, "127.0.0.2", token);
            Assert.Equal(Resumed, await creator.AllocateAsync(Resumed, token));
            RelayConnection joiner = await RelayTestKit.ConnectFromAsync(server, "127.0.0.3", token);
            await joiner.ClaimAsync(Resumed, token);
            Assert.Equal(0, (await creator.WaitForPeerAsync(token)).Index);
            await creator.DisposeAsync();
            await joiner.DisposeAsync();
            await RelayTestKit.EventuallyAsync(() => server.Metrics.RoomsActive == 0, token, "the resumed room closed");
        }

        await AssertRefusedAsync(server, Resumed + 1, token);
    }

    private static async Task AssertRefusedAsync(RelayServer server, uint nameplate, CancellationToken token)
    {
        await using RelayConnection neighbour = await RelayTestKit.ConnectFromAsync(server, "127.0.0.5", token);
        RelayException refused = await Assert.ThrowsAsync<RelayException>(() => neighbour.AllocateAsync(nameplate, token));
        Assert.Equal(RelayErrorCode.TooManyRooms, refused.Code);
    }
}
