// The spliced phase on both forwarding paths (RelayOptions.ZeroCopy: splice(2) through a kernel
// pipe on Linux, or the user-space copy): every byte verbatim (hash-checked), back-pressure from a
// receiver that stops reading, half-close in each direction, the idle timeout, a reset closing the
// room, and the metrics (bytes forwarded, zero-copy directions). Zero-copy sockets leave .NET's
// socket engine for the relay's own splice loops; many pairs at once share those loops.
using System.Net.Sockets;
using System.Security.Cryptography;
using Tallow.Net;
using Tallow.Relay;
using Tallow.Wire;

namespace Tallow.Tests.Relay;

public class RelayZeroCopyTests
{
    /// <summary>Directions the relay splices: two per pair on Linux with ZeroCopy on, none otherwise.</summary>
    private static long ExpectedZeroCopyDirections(bool zeroCopy, int pairs) => zeroCopy && OperatingSystem.IsLinux() ? 2 * pairs : 0;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_large_transfer_in_both_directions_arrives_intact_and_is_counted(bool zeroCopy)
    {
        CancellationToken token = RelayTestKit.Deadline(60);
        long detached = DotNetSocketEngine.Detached;
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { ZeroCopy = zeroCopy });
        (RelayConnection creator, RelayConnection joiner) = await RelayTestKit.PairAsync(server, token);
        await using (creator)
        await using (joiner)
        {
            byte[] up = RandomNumberGenerator.GetBytes(48 * 1024 * 1024 + 13);
            byte[] down = RandomNumberGenerator.GetBytes(8 * 1024 * 1024 + 7);
            Task<byte[]> gotUp = ReadToEndHashAsync(joiner, token);
            Task<byte[]> gotDown = ReadToEndHashAsync(creator, token);
            await Task.WhenAll(SendThenHalfCloseAsync(creator, up, token), SendThenHalfCloseAsync(joiner, down, token));

            Assert.Equal(SHA256.HashData(up), await gotUp);
            Assert.Equal(SHA256.HashData(down), await gotDown);
            Assert.Equal(up.Length + down.Length, server.Metrics.BytesForwarded);
            Assert.Equal(ExpectedZeroCopyDirections(zeroCopy, 1), server.Metrics.ZeroCopyDirectionsTotal);
            // Both relay-side sockets left .NET's engine (other tests running meanwhile may add to the count).
            Assert.True(DotNetSocketEngine.Detached - detached >= ExpectedZeroCopyDirections(zeroCopy, 1),
                $"{DotNetSocketEngine.Detached - detached} sockets taken out of .NET's epoll set");
            await RelayTestKit.EventuallyAsync(() => server.Metrics.RoomsActive == 0, token, "room closed after both EOFs");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Bytes_sent_together_with_the_claim_reach_the_partner_first_and_intact(bool zeroCopy)
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { ZeroCopy = zeroCopy });
        await using RelayConnection creator = await RelayTestKit.ConnectAsync(server, token: token);
        uint nameplate = await creator.AllocateAsync(0, token);
        await using RelayConnection joiner = await RelayTestKit.ConnectAsync(server, token: token);

        // One write: the Claim and the first peer bytes, so the relay reads them past its control phase.
        byte[] claim = new byte[NameplateMessage.Size];
        new NameplateMessage(nameplate).Write(claim);
        byte[] early = RandomNumberGenerator.GetBytes(1500);
        byte[] later = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        await joiner.Stream.WriteAsync((byte[])[.. Frame.Encode(FrameType.Claim, claim), .. early], token);
        await creator.WaitForPeerAsync(token);
        await joiner.Stream.WriteAsync(later, token);

        byte[] got = new byte[early.Length + later.Length];
        int buffered = creator.Reader.Buffered.Length; // may have come with Paired
        creator.Reader.Buffered.Span.CopyTo(got);
        await creator.Stream.ReadExactlyAsync(got.AsMemory(buffered), token);
        Assert.Equal(SHA256.HashData([.. early, .. later]), SHA256.HashData(got));
        // The joiner's direction (the creator's starts once it sends: its control phase is still reading).
        Assert.Equal(ExpectedZeroCopyDirections(zeroCopy, 1) / 2, server.Metrics.ZeroCopyDirectionsTotal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Many_pairs_at_once_each_get_their_own_bytes_intact(bool zeroCopy)
    {
        CancellationToken token = RelayTestKit.Deadline(90);
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { ZeroCopy = zeroCopy });
        const int Pairs = 40;
        var pairs = new (RelayConnection Creator, RelayConnection Joiner)[Pairs];
        for (int i = 0; i < Pairs; i++)
        {
            pairs[i] = await RelayTestKit.PairAsync(server, token);
        }

        try
        {
            // Different sizes each way, so a byte forwarded to the wrong pair or out of order shows in a hash.
            await Task.WhenAll(pairs.Select(async (pair, i) =>
            {
                byte[] up = RandomNumberGenerator.GetBytes((1 << 20) + (i * 4099));
                byte[] down = RandomNumberGenerator.GetBytes(100_000 + (i * 7));
                Task<byte[]> gotUp = ReadToEndHashAsync(pair.Joiner, token);
                Task<byte[]> gotDown = ReadToEndHashAsync(pair.Creator, token);
                await Task.WhenAll(SendThenHalfCloseAsync(pair.Creator, up, token), SendThenHalfCloseAsync(pair.Joiner, down, token));
                Assert.Equal(SHA256.HashData(up), await gotUp);
                Assert.Equal(SHA256.HashData(down), await gotDown);
            }));
            Assert.Equal(ExpectedZeroCopyDirections(zeroCopy, Pairs), server.Metrics.ZeroCopyDirectionsTotal);
            await RelayTestKit.EventuallyAsync(() => server.Metrics.RoomsActive == 0, token, "every room closed after both EOFs");
        }
        finally
        {
            foreach ((RelayConnection creator, RelayConnection joiner) in pairs)
            {
                await creator.DisposeAsync();
                await joiner.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_receiver_that_stops_reading_stalls_its_sender_and_then_gets_every_byte(bool zeroCopy)
    {
        CancellationToken token = RelayTestKit.Deadline(60);
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { ZeroCopy = zeroCopy });
        (RelayConnection creator, RelayConnection joiner) = await RelayTestKit.PairAsync(server, token);
        await using (creator)
        await using (joiner)
        {
            // More than the kernel's socket buffers on both legs can hold: the sender must wait for the reader.
            byte[] data = RandomNumberGenerator.GetBytes(96 * 1024 * 1024);
            Task send = SendThenHalfCloseAsync(creator, data, token);
            await Task.Delay(1500, token);
            Assert.False(send.IsCompleted, "the relay must not absorb an unbounded amount for a receiver that does not read");
            long held = server.Metrics.BytesForwarded;
            Assert.True(held < data.Length, $"forwarded {held} of {data.Length} bytes to a receiver that reads nothing");

            Assert.Equal(SHA256.HashData(data), await ReadToEndHashAsync(joiner, token));
            await send;
            Assert.Equal(data.Length, server.Metrics.BytesForwarded);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_half_closed_direction_leaves_the_other_one_open(bool zeroCopy)
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { ZeroCopy = zeroCopy });
        (RelayConnection creator, RelayConnection joiner) = await RelayTestKit.PairAsync(server, token);
        await using (creator)
        await using (joiner)
        {
            byte[] first = RandomNumberGenerator.GetBytes(300_000);
            await SendThenHalfCloseAsync(creator, first, token);
            Assert.Equal(SHA256.HashData(first), await ReadToEndHashAsync(joiner, token)); // ends with the creator's EOF

            // The joiner's direction is still open: the room lives on until it ends too.
            await Task.Delay(200, token);
            Assert.Equal(1, server.Metrics.RoomsActive);
            byte[] reply = RandomNumberGenerator.GetBytes(2 * 1024 * 1024 + 1);
            Task<byte[]> gotReply = ReadToEndHashAsync(creator, token);
            await SendThenHalfCloseAsync(joiner, reply, token);
            Assert.Equal(SHA256.HashData(reply), await gotReply);
            await RelayTestKit.EventuallyAsync(() => server.Metrics.RoomsActive == 0, token, "room closed after both EOFs");
            Assert.Equal(first.Length + reply.Length, server.Metrics.BytesForwarded);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_idle_timeout_still_closes_a_silent_pair(bool zeroCopy)
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { ZeroCopy = zeroCopy, IdleTimeout = TimeSpan.FromSeconds(1) });
        (RelayConnection creator, RelayConnection joiner) = await RelayTestKit.PairAsync(server, token);
        await using (creator)
        await using (joiner)
        {
            await creator.Stream.WriteAsync(new byte[10_000], token);
            await RelayTestKit.ReadExactlyAsync(joiner, new byte[10_000], token);

            // Silence: the relay closes both connections (EOF or reset), not before a second of it.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await ExpectClosedAsync(joiner, token);
            await ExpectClosedAsync(creator, token);
            Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.8), $"closed after {clock.Elapsed}");
            Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.IdleTimeout));
            await RelayTestKit.EventuallyAsync(() => server.Metrics.RoomsActive == 0, token, "room closed by the idle timeout");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_reset_by_one_peer_closes_the_room_for_the_other(bool zeroCopy)
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { ZeroCopy = zeroCopy });
        (RelayConnection creator, RelayConnection joiner) = await RelayTestKit.PairAsync(server, token);
        await using (creator)
        await using (joiner)
        {
            await creator.Stream.WriteAsync(new byte[50_000], token);
            await RelayTestKit.ReadExactlyAsync(joiner, new byte[50_000], token);
            Socket socket = ((NetworkStream)creator.Stream).Socket;
            socket.LingerState = new LingerOption(true, 0);
            socket.Close(); // RST, no FIN: the relay sees an error, not an EOF

            // The joiner's direction is still open on its side, yet the relay ends the whole room.
            await ExpectClosedAsync(joiner, token);
            await RelayTestKit.EventuallyAsync(() => server.Metrics.RoomsActive == 0 && server.Metrics.ConnectionsActive == 0, token, "room and connections closed after the reset");
        }
    }

    private static async Task SendThenHalfCloseAsync(RelayConnection connection, byte[] data, CancellationToken token)
    {
        for (int offset = 0; offset < data.Length; offset += 1 << 20)
        {
            await connection.Stream.WriteAsync(data.AsMemory(offset, Math.Min(1 << 20, data.Length - offset)), token);
        }

        ((NetworkStream)connection.Stream).Socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>SHA-256 of everything the peer sends until its EOF (nothing was buffered before pairing in these tests).</summary>
    private static async Task<byte[]> ReadToEndHashAsync(RelayConnection connection, CancellationToken token)
    {
        Assert.Equal(0, connection.Reader.Buffered.Length);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[256 * 1024];
        int read;
        while ((read = await connection.Stream.ReadAsync(buffer, token)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }

        return hash.GetHashAndReset();
    }

    private static async Task ExpectClosedAsync(RelayConnection connection, CancellationToken token)
    {
        byte[] sink = new byte[4096];
        try
        {
            while (await connection.Stream.ReadAsync(sink, token) > 0)
            {
            }
        }
        catch (IOException)
        {
            // A reset also counts as closed.
        }
    }
}
