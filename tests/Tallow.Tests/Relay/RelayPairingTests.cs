// Relay rooms and splicing (DESIGN.md §5.3–5.4, §5.6): pairing, verbatim forwarding with
// half-close, nameplate allocation and reuse, Claim failures, metrics over HTTP.
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Tallow.Net;
using Tallow.Relay;
using Tallow.Wire;

namespace Tallow.Tests.Relay;

public class RelayPairingTests
{
    [Fact]
    public async Task Paired_peers_get_every_byte_verbatim_in_both_directions()
    {
        CancellationToken token = RelayTestKit.Deadline(20);
        await using RelayServer server = await RelayTestKit.StartAsync();
        (RelayConnection creator, RelayConnection joiner) = await RelayTestKit.PairAsync(server, token);
        await using (creator)
        await using (joiner)
        {
            byte[] up = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
            byte[] down = RandomNumberGenerator.GetBytes(2 * 1024 * 1024 + 5);
            byte[] gotUp = new byte[up.Length];
            byte[] gotDown = new byte[down.Length];

            await Task.WhenAll(
                SendThenHalfCloseAsync(creator, up, token),
                SendThenHalfCloseAsync(joiner, down, token),
                RelayTestKit.ReadExactlyAsync(joiner, gotUp, token),
                RelayTestKit.ReadExactlyAsync(creator, gotDown, token));

            Assert.Equal(up, gotUp);
            Assert.Equal(down, gotDown);

            // Each half-close is passed on: both sides now see EOF.
            Assert.Equal(0, await joiner.Stream.ReadAsync(new byte[1], token));
            Assert.Equal(0, await creator.Stream.ReadAsync(new byte[1], token));
            Assert.Equal(up.Length + down.Length, server.Metrics.BytesForwarded);
            Assert.Equal(1, server.Metrics.PairingsTotal);
            await RelayTestKit.EventuallyAsync(() => server.Metrics.RoomsActive == 0, token, "room closed after both EOFs");
        }
    }

    private static async Task SendThenHalfCloseAsync(RelayConnection connection, byte[] data, CancellationToken token)
    {
        for (int offset = 0; offset < data.Length; offset += 100_000)
        {
            await connection.Stream.WriteAsync(data.AsMemory(offset, Math.Min(100_000, data.Length - offset)), token);
        }

        ((NetworkStream)connection.Stream).Socket.Shutdown(SocketShutdown.Send);
    }

    [Fact]
    public async Task Nameplates_are_the_smallest_free_number_and_are_reused_after_the_room_closes()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync();
        var creators = new List<RelayConnection>();
        try
        {
            for (uint expected = 1; expected <= 3; expected++)
            {
                RelayConnection creator = await RelayTestKit.ConnectAsync(server, token: token);
                creators.Add(creator);
                Assert.Equal(expected, await creator.AllocateAsync(0, token));
            }

            await creators[1].DisposeAsync(); // frees nameplate 2
            await RelayTestKit.EventuallyAsync(() => server.Metrics.RoomsActive == 2, token, "nameplate 2 freed");

            RelayConnection again = await RelayTestKit.ConnectAsync(server, token: token);
            creators.Add(again);
            Assert.Equal(2u, await again.AllocateAsync(0, token));

            RelayConnection next = await RelayTestKit.ConnectAsync(server, token: token);
            creators.Add(next);
            Assert.Equal(4u, await next.AllocateAsync(0, token));
        }
        finally
        {
            foreach (RelayConnection creator in creators)
            {
                await creator.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_requested_nameplate_is_granted_once_then_reported_in_use()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync();
        await using RelayConnection first = await RelayTestKit.ConnectAsync(server, token: token);
        Assert.Equal(4711u, await first.AllocateAsync(4711, token));

        await using RelayConnection second = await RelayTestKit.ConnectAsync(server, token: token);
        RelayException error = await Assert.ThrowsAsync<RelayException>(() => second.AllocateAsync(4711, token));
        Assert.Equal(RelayFailureKind.NameplateInUse, error.Kind);
        Assert.Contains("4711", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.NameplateInUse));

        // Smallest-free allocation skips nothing because of a high requested number.
        await using RelayConnection third = await RelayTestKit.ConnectAsync(server, token: token);
        Assert.Equal(1u, await third.AllocateAsync(0, token));
    }

    [Fact]
    public async Task Claiming_an_unknown_nameplate_fails_with_NoSuchRoom()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync();
        await using RelayConnection joiner = await RelayTestKit.ConnectAsync(server, token: token);
        RelayException error = await Assert.ThrowsAsync<RelayException>(() => joiner.ClaimAsync(77, token));
        Assert.Equal(RelayFailureKind.NoSuchRoom, error.Kind);
        Assert.Equal(RelayErrorCode.NoSuchRoom, error.Code);
    }

    [Fact]
    public async Task A_third_peer_gets_RoomFull_and_the_pair_is_unaffected()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync();
        (RelayConnection creator, RelayConnection joiner) = await RelayTestKit.PairAsync(server, token);
        await using (creator)
        await using (joiner)
        {
            await using RelayConnection third = await RelayTestKit.ConnectAsync(server, token: token);
            RelayException error = await Assert.ThrowsAsync<RelayException>(() => third.ClaimAsync(1, token));
            Assert.Equal(RelayFailureKind.RoomFull, error.Kind);

            await creator.Stream.WriteAsync("still here"u8.ToArray(), token);
            byte[] got = new byte[10];
            await RelayTestKit.ReadExactlyAsync(joiner, got, token);
            Assert.Equal("still here"u8.ToArray(), got);
        }
    }

    [Fact]
    public async Task Pings_while_waiting_are_not_forwarded_and_the_observed_address_is_reported()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync();
        await using RelayConnection creator = await RelayTestKit.ConnectAsync(server, token: token);
        Assert.Equal(creator.LocalEndPoint, creator.ObservedAddress);
        uint nameplate = await creator.AllocateAsync(0, token);
        await creator.SendPingAsync(token);
        await creator.SendPingAsync(token);
        await Task.Delay(100, token);

        await using RelayConnection joiner = await RelayTestKit.ConnectAsync(server, token: token);
        await joiner.ClaimAsync(nameplate, token);
        await joiner.WaitForPeerAsync(token);
        await creator.WaitForPeerAsync(token);
        await creator.Stream.WriteAsync(new byte[] { 1, 2, 3 }, token);
        byte[] got = new byte[3];
        await RelayTestKit.ReadExactlyAsync(joiner, got, token);
        Assert.Equal(new byte[] { 1, 2, 3 }, got);
    }

    [Fact]
    public async Task An_abruptly_disconnected_waiting_creator_frees_its_nameplate()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync();
        RelayConnection creator = await RelayTestKit.ConnectAsync(server, token: token);
        Assert.Equal(1u, await creator.AllocateAsync(0, token));
        Socket socket = ((NetworkStream)creator.Stream).Socket;
        socket.LingerState = new LingerOption(true, 0); // close with RST
        await creator.DisposeAsync();

        await RelayTestKit.EventuallyAsync(() => server.Metrics.RoomsActive == 0 && server.Metrics.ConnectionsActive == 0, token, "room freed");
        await using RelayConnection joiner = await RelayTestKit.ConnectAsync(server, token: token);
        RelayException error = await Assert.ThrowsAsync<RelayException>(() => joiner.ClaimAsync(1, token));
        Assert.Equal(RelayFailureKind.NoSuchRoom, error.Kind);
        await using RelayConnection next = await RelayTestKit.ConnectAsync(server, token: token);
        Assert.Equal(1u, await next.AllocateAsync(0, token));
    }

    [Fact]
    public async Task Metrics_endpoint_serves_the_counters_and_bytes_forwarded_grows_with_traffic()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { MetricsBind = new IPEndPoint(IPAddress.Loopback, 0) });
        Assert.NotNull(server.MetricsEndPoint);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var url = new Uri($"http://{server.MetricsEndPoint}/metrics");

        string before = await http.GetStringAsync(url, token);
        foreach (string name in new[]
        {
            "tallow_relay_connections_total", "tallow_relay_connections_active", "tallow_relay_rooms_active",
            "tallow_relay_pairings_total", "tallow_relay_bytes_forwarded_total", "tallow_relay_rejections_total{reason=\"rate_limited\"}",
        })
        {
            Assert.Contains(name, before, StringComparison.Ordinal);
        }

        Assert.Contains("tallow_relay_bytes_forwarded_total 0\n", before, StringComparison.Ordinal);

        (RelayConnection creator, RelayConnection joiner) = await RelayTestKit.PairAsync(server, token);
        await using (creator)
        await using (joiner)
        {
            await creator.Stream.WriteAsync(new byte[5000], token);
            await RelayTestKit.ReadExactlyAsync(joiner, new byte[5000], token);
            string after = await http.GetStringAsync(url, token);
            Assert.Contains("tallow_relay_bytes_forwarded_total 5000\n", after, StringComparison.Ordinal);
            Assert.Contains("tallow_relay_pairings_total 1\n", after, StringComparison.Ordinal);
            Assert.Contains("tallow_relay_rooms_active 1\n", after, StringComparison.Ordinal);
            Assert.Contains("tallow_relay_connections_active 2\n", after, StringComparison.Ordinal);
        }
    }
}
