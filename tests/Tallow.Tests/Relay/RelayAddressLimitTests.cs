// Per-address limits of a real relay over loopback sockets (DESIGN.md §5.5): the "attacker" and
// the good clients connect from different 127.0.0.x source addresses, so the relay sees distinct
// client addresses. One address cannot hold more than its connections or waiting rooms, and
// failed claims (and wrong passwords) block that address's claims for a while, while clients from
// other addresses keep pairing. Each refusal is a clear Error and is counted by reason.
using Microsoft.Extensions.Time.Testing;
using Tallow.Net;
using Tallow.Relay;
using Tallow.Wire;

namespace Tallow.Tests.Relay;

public class RelayAddressLimitTests
{
    private const string Attacker = "127.0.0.2";

    [Fact]
    public async Task One_address_holds_at_most_its_connections_and_other_addresses_still_pair()
    {
        CancellationToken token = RelayTestKit.Deadline(20);
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions
        {
            MaxConnections = 12,
            MaxConnectionsPerAddress = 8,
            ConnectionsPerSecondPerIp = 0,
        });
        var held = new List<RelayConnection>();
        try
        {
            int refused = 0;
            for (int i = 0; i < 12; i++)
            {
                try
                {
                    held.Add(await RelayTestKit.ConnectFromAsync(server, Attacker, token));
                }
                catch (RelayException e) when (e.Kind == RelayFailureKind.Refused && e.Code == RelayErrorCode.TooManyConnections)
                {
                    Assert.Contains("from your address", e.Message, StringComparison.Ordinal);
                    refused++;
                }
            }

            Assert.Equal(8, held.Count);
            Assert.Equal(4, refused);
            Assert.Equal(4, server.Metrics.Rejections(RelayRejectionReason.AddressConnectionLimit));
            Assert.Contains("tallow_relay_rejections_total{reason=\"address_connection_limit\"} 4", server.Metrics.Render(), StringComparison.Ordinal);

            // The relay still has room for others: a pair from two other addresses completes and splices.
            await PairAndExchangeAsync(server, "127.0.0.3", "127.0.0.4", token);

            // A connection the address closes gives its slot back.
            await held[0].DisposeAsync();
            held.RemoveAt(0);
            await RelayTestKit.EventuallyAsync(() => server.Metrics.ConnectionsActive == 7, token, "the slot released");
            held.Add(await RelayTestKit.ConnectFromAsync(server, Attacker, token));
        }
        finally
        {
            foreach (RelayConnection connection in held)
            {
                await connection.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Waiting_rooms_per_address_are_capped_and_pairing_or_leaving_frees_a_slot()
    {
        CancellationToken token = RelayTestKit.Deadline(20);
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { MaxUnpairedRoomsPerAddress = 3 });
        var rooms = new List<(RelayConnection Creator, uint Nameplate)>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                RelayConnection creator = await RelayTestKit.ConnectFromAsync(server, Attacker, token);
                rooms.Add((creator, await creator.AllocateAsync(0, token)));
            }

            await using RelayConnection fourth = await RelayTestKit.ConnectFromAsync(server, Attacker, token);
            RelayException error = await Assert.ThrowsAsync<RelayException>(() => fourth.AllocateAsync(0, token));
            Assert.Equal(RelayFailureKind.Refused, error.Kind);
            Assert.Equal(RelayErrorCode.TooManyRooms, error.Code);
            Assert.Contains("from your address", error.Message, StringComparison.Ordinal);
            Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.AddressRoomLimit));

            // Another address is not affected.
            await using RelayConnection other = await RelayTestKit.ConnectFromAsync(server, "127.0.0.3", token);
            await other.AllocateAsync(0, token);

            // A paired room no longer counts as waiting: the address may open one more.
            await using RelayConnection joiner = await RelayTestKit.ConnectFromAsync(server, "127.0.0.5", token);
            await joiner.ClaimAsync(rooms[0].Nameplate, token);
            await joiner.WaitForPeerAsync(token);
            await using RelayConnection afterPairing = await RelayTestKit.ConnectFromAsync(server, Attacker, token);
            await afterPairing.AllocateAsync(0, token);

            // A creator that leaves frees its waiting room's slot.
            await rooms[1].Creator.DisposeAsync();
            await RelayTestKit.EventuallyAsync(() => server.Metrics.RoomsActive == 4, token, "the left room closed");
            await using RelayConnection afterLeaving = await RelayTestKit.ConnectFromAsync(server, Attacker, token);
            await afterLeaving.AllocateAsync(0, token);
            Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.AddressRoomLimit));
        }
        finally
        {
            foreach ((RelayConnection creator, _) in rooms)
            {
                await creator.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Failed_claims_block_that_address_until_the_block_ends_while_others_still_claim()
    {
        CancellationToken token = RelayTestKit.Deadline(20);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions
        {
            MaxFailedClaimsPerAddress = 3,
            FailedClaimWindow = TimeSpan.FromMinutes(1),
            FailedClaimBlock = TimeSpan.FromMinutes(2),
            TimeProvider = clock,
        });
        (RelayConnection fullCreator, RelayConnection fullJoiner) = await RelayTestKit.PairAsync(server, token);
        await using (fullCreator)
        await using (fullJoiner)
        {
            await using RelayConnection waiting = await RelayTestKit.ConnectFromAsync(server, "127.0.0.3", token);
            uint nameplate = await waiting.AllocateAsync(0, token);

            // Three failures: an unknown nameplate, a full room, an unknown nameplate.
            Assert.Equal(RelayErrorCode.NoSuchRoom, (await ClaimFailsAsync(server, Attacker, 9999, token)).Code);
            Assert.Equal(RelayErrorCode.RoomFull, (await ClaimFailsAsync(server, Attacker, 1, token)).Code);
            Assert.Equal(RelayErrorCode.NoSuchRoom, (await ClaimFailsAsync(server, Attacker, 9998, token)).Code);

            // Now even a claim of a waiting room is refused, and the room stays for its real peer.
            RelayException blocked = await ClaimFailsAsync(server, Attacker, nameplate, token);
            Assert.Equal(RelayFailureKind.Refused, blocked.Kind);
            Assert.Equal(RelayErrorCode.RateLimited, blocked.Code);
            Assert.Contains("failed claims or passwords from your address: refused for another 2 min", blocked.Message, StringComparison.Ordinal);
            Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.ClaimsBlocked));
            Assert.Equal(1, server.Metrics.AddressBlocksTotal);

            await using RelayConnection joiner = await RelayTestKit.ConnectFromAsync(server, "127.0.0.4", token);
            await joiner.ClaimAsync(nameplate, token);
            Assert.Equal(1, (await joiner.WaitForPeerAsync(token)).Index);

            // After the block the address may claim again (and fail normally).
            clock.Advance(TimeSpan.FromMinutes(2));
            Assert.Equal(RelayErrorCode.NoSuchRoom, (await ClaimFailsAsync(server, Attacker, 9997, token)).Code);
            Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.ClaimsBlocked));
        }
    }

    [Fact]
    public async Task Wrong_relay_passwords_count_as_failed_attempts_of_that_address()
    {
        const string password = "relay secret";
        CancellationToken token = RelayTestKit.Deadline(20);
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { Password = password, MaxFailedClaimsPerAddress = 2 });
        for (int i = 0; i < 2; i++)
        {
            await using RelayConnection guess = await RelayTestKit.ConnectFromAsync(server, Attacker, token, password: $"guess {i}");
            Assert.Equal(RelayFailureKind.AuthFailed, (await Assert.ThrowsAsync<RelayException>(() => guess.AllocateAsync(0, token))).Kind);
        }

        // Blocked: not even the right password is checked from that address now.
        await using RelayConnection right = await RelayTestKit.ConnectFromAsync(server, Attacker, token, password);
        RelayException blocked = await Assert.ThrowsAsync<RelayException>(() => right.AllocateAsync(0, token));
        Assert.Equal(RelayErrorCode.RateLimited, blocked.Code);
        Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.ClaimsBlocked));

        await using RelayConnection other = await RelayTestKit.ConnectFromAsync(server, "127.0.0.3", token, password);
        Assert.Equal(1u, await other.AllocateAsync(0, token));
    }

    private static async Task<RelayException> ClaimFailsAsync(RelayServer server, string source, uint nameplate, CancellationToken token)
    {
        await using RelayConnection claimer = await RelayTestKit.ConnectFromAsync(server, source, token);
        return await Assert.ThrowsAsync<RelayException>(() => claimer.ClaimAsync(nameplate, token));
    }

    private static async Task PairAndExchangeAsync(RelayServer server, string creatorSource, string joinerSource, CancellationToken token)
    {
        await using RelayConnection creator = await RelayTestKit.ConnectFromAsync(server, creatorSource, token);
        uint nameplate = await creator.AllocateAsync(0, token);
        await using RelayConnection joiner = await RelayTestKit.ConnectFromAsync(server, joinerSource, token);
        await joiner.ClaimAsync(nameplate, token);
        await creator.WaitForPeerAsync(token);
        await joiner.WaitForPeerAsync(token);
        await creator.Stream.WriteAsync("through"u8.ToArray(), token);
        byte[] received = new byte[7];
        await RelayTestKit.ReadExactlyAsync(joiner, received, token);
        Assert.Equal("through"u8.ToArray(), received);
    }
}
