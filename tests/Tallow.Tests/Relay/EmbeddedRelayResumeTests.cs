// The sender's embedded relay serves one room in its lifetime (EmbeddedRelayTests), and also the
// rooms that resume that session (RelayServer.PermitNameplates, called by OpenSession.ReconnectAsync
// with the nameplate derived from the session's resumption secret): exactly that nameplate opens
// again, as often as a resume needs, while every other Allocate stays refused; and the returning
// peer's claims of it that come before its room are not counted as failed claims.
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
        server.PermitNameplates(Resumed);
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

    [Fact]
    public async Task Claims_of_the_permitted_nameplate_before_its_room_exists_do_not_block_the_returning_peer()
    {
        CancellationToken token = RelayTestKit.Deadline(20);
        await using RelayServer server = await RelayTestKit.StartAsync(EmbeddedRelay.Options(new IPEndPoint(IPAddress.Loopback, 0)));
        server.PermitNameplates(Resumed);

        // The peer noticed the loss first: more early claims than the 5 wrong ones that block an address.
        for (int attempt = 0; attempt < 8; attempt++)
        {
            await using RelayConnection early = await RelayTestKit.ConnectFromAsync(server, "127.0.0.3", token);
            RelayException missing = await Assert.ThrowsAsync<RelayException>(() => early.ClaimAsync(Resumed, token));
            Assert.Equal(RelayErrorCode.NoSuchRoom, missing.Code);
        }

        RelayConnection creator = await RelayTestKit.ConnectFromAsync(server, "127.0.0.2", token);
        Assert.Equal(Resumed, await creator.AllocateAsync(Resumed, token));
        await using RelayConnection joiner = await RelayTestKit.ConnectFromAsync(server, "127.0.0.3", token);
        await joiner.ClaimAsync(Resumed, token);
        Assert.Equal(1, (await joiner.WaitForPeerAsync(token)).Index);
        await creator.DisposeAsync();

        // Claims of any other nameplate still count: the address is blocked after 5 of them.
        RelayErrorCode[] codes = new RelayErrorCode[6];
        for (int attempt = 0; attempt < codes.Length; attempt++)
        {
            await using RelayConnection guesser = await RelayTestKit.ConnectFromAsync(server, "127.0.0.4", token);
            codes[attempt] = (await Assert.ThrowsAsync<RelayException>(() => guesser.ClaimAsync(Resumed + 1, token))).Code!.Value;
        }

        Assert.Equal([.. Enumerable.Repeat(RelayErrorCode.NoSuchRoom, 5), RelayErrorCode.RateLimited], codes);
    }

    private static async Task AssertRefusedAsync(RelayServer server, uint nameplate, CancellationToken token)
    {
        await using RelayConnection neighbour = await RelayTestKit.ConnectFromAsync(server, "127.0.0.5", token);
        RelayException refused = await Assert.ThrowsAsync<RelayException>(() => neighbour.AllocateAsync(nameplate, token));
        Assert.Equal(RelayErrorCode.TooManyRooms, refused.Code);
    }
}
