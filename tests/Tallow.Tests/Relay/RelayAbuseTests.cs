// Abuse during the spliced phase (DESIGN.md §5.4): a partner that stops reading makes the relay
// stop reading the sender (bounded memory: one buffer per direction plus the kernel's socket
// buffers), an abrupt reset ends the partner's stream at once and frees the room, and disposing
// the relay is prompt even while a splice is blocked on a stalled reader.
// (Unknown nameplates and full rooms: RelayPairingTests; refusals at the limits: RelayLimitTests.)
using System.Net.Sockets;
using Tallow.Net;
using Tallow.Relay;

namespace Tallow.Tests.Relay;

[Collection(SerialRelayCollection.Name)]
public class RelayAbuseTests
{
    private const int Chunk = 64 * 1024;

    // Far above what loopback socket buffers can hold (a few MiB each): reaching it means the relay buffers.
    private const long NoBackPressureLimit = 256L * 1024 * 1024;

    [Fact]
    public async Task A_stalled_reader_stops_the_relay_reading_from_the_sender()
    {
        CancellationToken token = RelayTestKit.Deadline(60);
        await using RelayServer server = await RelayTestKit.StartAsync();
        (RelayConnection creator, RelayConnection joiner) = await RelayTestKit.PairAsync(server, token);
        await using (creator)
        await using (joiner)
        {
            // The joiner reads nothing: the creator's writes must block once the pipes are full.
            (long written, Task pending) = await WriteUntilBlockedAsync(creator.Stream, token);
            Assert.True(written < NoBackPressureLimit, $"the sender wrote {written} bytes to a stalled reader without blocking");

            long forwarded = server.Metrics.BytesForwarded;
            await Task.Delay(500, token);
            Assert.Equal(forwarded, server.Metrics.BytesForwarded);
            Assert.False(pending.IsCompleted);

            // Reading resumes the flow: every byte arrives, in order, and the blocked write completes.
            long expected = written + Chunk;
            byte[] buffer = new byte[Chunk];
            byte[] want = new byte[Chunk];
            long received = 0;
            while (received < expected)
            {
                int read = await joiner.Stream.ReadAsync(buffer, token);
                Assert.NotEqual(0, read);
                Fill(want.AsSpan(0, read), received);
                Assert.True(buffer.AsSpan(0, read).SequenceEqual(want.AsSpan(0, read)), $"bytes altered at offset {received}");
                received += read;
            }

            await pending.WaitAsync(token);
            Assert.Equal(expected, received);
        }
    }

    [Fact]
    public async Task An_abrupt_reset_mid_splice_ends_the_partner_quickly_and_frees_the_room()
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        await using RelayServer server = await RelayTestKit.StartAsync();
        (RelayConnection creator, RelayConnection joiner) = await RelayTestKit.PairAsync(server, token);
        await using (creator)
        await using (joiner)
        {
            // The joiner is sending when the creator vanishes with a RST (no FIN, nothing drained).
            using var sending = CancellationTokenSource.CreateLinkedTokenSource(token);
            Task writer = KeepWritingAsync(joiner.Stream, sending.Token);
            byte[] first = new byte[1];
            Assert.Equal(1, await creator.Stream.ReadAsync(first, token));
            ((NetworkStream)creator.Stream).Socket.LingerState = new LingerOption(true, 0);
            ((NetworkStream)creator.Stream).Socket.Close();

            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            Exception? ended = await Record.ExceptionAsync(() => writer.WaitAsync(TimeSpan.FromSeconds(5), token));
            Assert.True(ended is IOException or SocketException, $"the joiner's writes did not fail: {ended}");
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(3), $"the partner saw the end after {stopwatch.Elapsed}");
            await RelayTestKit.EventuallyAsync(() => server.Metrics.RoomsActive == 0 && server.Metrics.ConnectionsActive == 0, token, "the room and both connections released");
        }
    }

    [Fact]
    public async Task A_peer_vanishing_while_its_partner_only_listens_ends_the_listener_quickly()
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        await using RelayServer server = await RelayTestKit.StartAsync();
        (RelayConnection creator, RelayConnection joiner) = await RelayTestKit.PairAsync(server, token);
        await using (creator)
        await using (joiner)
        {
            await creator.Stream.WriteAsync(new byte[1000], token);
            ((NetworkStream)creator.Stream).Socket.LingerState = new LingerOption(true, 0);
            ((NetworkStream)creator.Stream).Socket.Close();

            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            byte[] buffer = new byte[4096];
            long total = 0;
            try
            {
                for (int i = 0; i < 100; i++)
                {
                    int read = await joiner.Stream.ReadAsync(buffer, token);
                    if (read == 0)
                    {
                        break;
                    }

                    total += read;
                }
            }
            catch (IOException)
            {
                // a reset passed on is an end too
            }

            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(3), $"the listener saw the end after {stopwatch.Elapsed}");
            Assert.True(total <= 1000);
            await RelayTestKit.EventuallyAsync(() => server.Metrics.RoomsActive == 0, token, "the room released");
        }
    }

    [Fact]
    public async Task Disposing_the_relay_is_prompt_while_a_splice_is_blocked_on_a_stalled_reader()
    {
        CancellationToken token = RelayTestKit.Deadline(60);
        RelayServer server = await RelayTestKit.StartAsync();
        (RelayConnection creator, RelayConnection joiner) = await RelayTestKit.PairAsync(server, token);
        await using (creator)
        await using (joiner)
        {
            (long _, Task pending) = await WriteUntilBlockedAsync(creator.Stream, token);

            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            await server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), token);
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(3), $"dispose took {stopwatch.Elapsed}");

            // The sender's blocked write ends (with an error: the relay closed the connection).
            await Record.ExceptionAsync(() => pending.WaitAsync(TimeSpan.FromSeconds(5), token));
            Assert.True(pending.IsCompleted);
        }
    }

    /// <summary>Writes patterned chunks until one does not complete within a second; returns the bytes written before it and that write.</summary>
    private static async Task<(long Written, Task Pending)> WriteUntilBlockedAsync(Stream stream, CancellationToken token)
    {
        byte[] chunk = new byte[Chunk];
        long written = 0;
        while (written < NoBackPressureLimit)
        {
            Fill(chunk, written);

            Task write = stream.WriteAsync(chunk, token).AsTask();
            if (await Task.WhenAny(write, Task.Delay(TimeSpan.FromSeconds(1), token)) != write)
            {
                return (written, write);
            }

            await write;
            written += chunk.Length;
        }

        return (written, Task.CompletedTask);
    }

    private static async Task KeepWritingAsync(Stream stream, CancellationToken token)
    {
        byte[] chunk = new byte[16 * 1024];
        for (long i = 0; i < NoBackPressureLimit / chunk.Length; i++)
        {
            await stream.WriteAsync(chunk, token);
            await Task.Delay(5, token);
        }
    }

    /// <summary>The byte stream's content: a pattern of period 251, so reordered or lost chunks show.</summary>
    private static void Fill(Span<byte> span, long offset)
    {
        for (int i = 0; i < span.Length; i++)
        {
            span[i] = (byte)((offset + i) % 251);
        }
    }
}
