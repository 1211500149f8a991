// Relay limits and timeouts (DESIGN.md §5.5): each refusal arrives as Error{code} and is
// counted by reason; timeouts are shortened so the class stays fast.
using Tallow.Net;
using Tallow.Relay;
using Tallow.Wire;

namespace Tallow.Tests.Relay;

public class RelayLimitTests
{
    [Fact]
    public async Task Connections_beyond_MaxConnections_are_refused_with_TooManyConnections()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { MaxConnections = 2 });
        await using RelayConnection a = await RelayTestKit.ConnectAsync(server, token: token);
        await using RelayConnection b = await RelayTestKit.ConnectAsync(server, token: token);

        RelayException error = await Assert.ThrowsAsync<RelayException>(() => RelayTestKit.ConnectAsync(server, token: token));
        Assert.Equal(RelayFailureKind.Refused, error.Kind);
        Assert.Equal(RelayErrorCode.TooManyConnections, error.Code);
        Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.TooManyConnections));

        await a.DisposeAsync();
        await RelayTestKit.EventuallyAsync(() => server.Metrics.ConnectionsActive == 1, token, "slot released");
        await using RelayConnection c = await RelayTestKit.ConnectAsync(server, token: token);
        Assert.Equal(1u, await c.AllocateAsync(0, token));
    }

    [Fact]
    public async Task Rooms_beyond_MaxRooms_are_refused_with_TooManyRooms()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { MaxRooms = 1 });
        await using RelayConnection first = await RelayTestKit.ConnectAsync(server, token: token);
        Assert.Equal(1u, await first.AllocateAsync(0, token));

        await using RelayConnection second = await RelayTestKit.ConnectAsync(server, token: token);
        RelayException error = await Assert.ThrowsAsync<RelayException>(() => second.AllocateAsync(0, token));
        Assert.Equal(RelayFailureKind.Refused, error.Kind);
        Assert.Equal(RelayErrorCode.TooManyRooms, error.Code);
        Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.TooManyRooms));
    }

    [Fact]
    public async Task New_connections_per_address_are_rate_limited()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { ConnectionsPerSecondPerIp = 0.5, ConnectionBurstPerIp = 3 });
        var open = new List<RelayConnection>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                open.Add(await RelayTestKit.ConnectAsync(server, token: token));
            }

            RelayException error = await Assert.ThrowsAsync<RelayException>(() => RelayTestKit.ConnectAsync(server, token: token));
            Assert.Equal(RelayFailureKind.Refused, error.Kind);
            Assert.Equal(RelayErrorCode.RateLimited, error.Code);
            Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.RateLimited));
        }
        finally
        {
            foreach (RelayConnection connection in open)
            {
                await connection.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task An_unclaimed_room_is_closed_with_Timeout_and_its_nameplate_freed()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { UnpairedTimeout = TimeSpan.FromMilliseconds(300) });
        await using RelayConnection creator = await RelayTestKit.ConnectAsync(server, token: token);
        Assert.Equal(1u, await creator.AllocateAsync(0, token));

        RelayException error = await Assert.ThrowsAsync<RelayException>(() => creator.WaitForPeerAsync(token));
        Assert.Equal(RelayFailureKind.Timeout, error.Kind);
        Assert.Equal(0, server.Metrics.RoomsActive);
        Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.UnpairedTimeout));
    }

    [Fact]
    public async Task A_client_that_never_completes_Hello_is_timed_out()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { HelloTimeout = TimeSpan.FromMilliseconds(300) });
        await using RawClient client = await RawClient.ConnectAsync(server, token);
        await client.ExpectErrorThenCloseAsync(RelayErrorCode.Timeout, token);
        Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.HelloTimeout));
    }

    [Fact]
    public async Task A_paired_session_is_kept_alive_by_traffic_and_closed_when_idle()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { IdleTimeout = TimeSpan.FromMilliseconds(600) });
        (RelayConnection creator, RelayConnection joiner) = await RelayTestKit.PairAsync(server, token);
        await using (creator)
        await using (joiner)
        {
            // 1.5 s of traffic (either direction) every 200 ms keeps the session well past the idle limit.
            byte[] one = new byte[1];
            for (int i = 0; i < 8; i++)
            {
                RelayConnection from = i % 2 == 0 ? creator : joiner;
                RelayConnection to = i % 2 == 0 ? joiner : creator;
                await from.Stream.WriteAsync(new byte[] { (byte)i }, token);
                await to.Stream.ReadExactlyAsync(one, token);
                Assert.Equal((byte)i, one[0]);
                await Task.Delay(200, token);
            }

            Assert.Equal(0, server.Metrics.Rejections(RelayRejectionReason.IdleTimeout));

            // Silence: both connections are closed by the relay.
            var started = System.Diagnostics.Stopwatch.StartNew();
            Assert.True(await IsClosedAsync(creator, token));
            Assert.True(await IsClosedAsync(joiner, token));
            Assert.InRange(started.Elapsed, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(3));
            Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.IdleTimeout));
            await RelayTestKit.EventuallyAsync(() => server.Metrics.RoomsActive == 0, token, "idle room closed");
        }
    }

    private static async Task<bool> IsClosedAsync(RelayConnection connection, CancellationToken token)
    {
        try
        {
            return await connection.Stream.ReadAsync(new byte[1], token) == 0;
        }
        catch (IOException)
        {
            return true;
        }
    }
}
