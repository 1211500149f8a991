// SecureChannel (DESIGN.md §7) over loopback TCP with keys from a real handshake: round trips,
// keep-alives, the receive timeout and tampering on the wire.
using System.Buffers.Binary;
using Tallow.Crypto;
using Tallow.Protocol;
using Tallow.Protocol.Records;
using Tallow.Wire;
using Record = Tallow.Protocol.Records.Record;

namespace Tallow.Tests.Protocol;

public class SecureChannelTests
{
    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Seals records exactly as the initiator's channel would, into memory, for tampering before they hit the wire.</summary>
    private static async Task<byte[][]> SealOfflineAsync(SessionKeys keys, bool isInitiator, params (RecordKind Kind, byte[] Body)[] records)
    {
        var sink = new MemoryStream();
        using var dummyReader = new FrameReader(new MemoryStream());
        await using var channel = new SecureChannel(sink, dummyReader, keys, isInitiator);
        var frames = new List<byte[]>();
        foreach ((RecordKind kind, byte[] body) in records)
        {
            long before = sink.Length;
            await channel.SendAsync(kind, body, CancellationToken.None);
            frames.Add(sink.ToArray()[(int)before..]);
        }

        return [.. frames];
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(4096)]
    [InlineData(65_536)]
    [InlineData(1024 * 1024)]
    public async Task Records_round_trip_in_both_directions(int size)
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        byte[] toResponder = Random(size, size);
        byte[] toInitiator = Random(size, size + 1);

        Task send1 = pair.Initiator.SendAsync(RecordKind.Data, toResponder, CancellationToken.None).AsTask();
        Record got1 = await pair.Responder.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout();
        Assert.Equal(RecordKind.Data, got1.Kind);
        Assert.True(got1.Body.Span.SequenceEqual(toResponder));
        await send1.WithTimeout();

        Task send2 = pair.Responder.SendAsync(RecordKind.FileDone, toInitiator, CancellationToken.None).AsTask();
        Record got2 = await pair.Initiator.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout();
        Assert.Equal(RecordKind.FileDone, got2.Kind);
        Assert.True(got2.Body.Span.SequenceEqual(toInitiator));
        await send2.WithTimeout();

        Assert.Equal(RecordBuffer.Overhead + size, pair.Initiator.BytesSent);
    }

    [Fact]
    public async Task A_record_of_the_maximum_body_size_round_trips()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        byte[] body = Random(SecureChannel.MaxBodySize, 3);
        Task send = pair.Initiator.SendAsync(RecordKind.Data, body, CancellationToken.None).AsTask();
        Record got = await pair.Responder.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout();
        Assert.True(got.Body.Span.SequenceEqual(body));
        await send.WithTimeout();
        Assert.Equal(4 + Frame.MaxLength, pair.Initiator.BytesSent); // u32 length field + exactly MaxLength bytes
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            pair.Initiator.SendAsync(RecordKind.Data, new byte[SecureChannel.MaxBodySize + 1], CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task Many_records_stay_in_order_with_concurrent_senders()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        const int PerSender = 200;
        Task senders = Task.WhenAll(Enumerable.Range(0, 4).Select(s => Task.Run(async () =>
        {
            for (int n = 0; n < PerSender; n++)
            {
                await pair.Initiator.SendAsync(RecordKind.Data, (byte[])[(byte)s, (byte)n, .. new byte[n * 13]], CancellationToken.None);
            }
        })));

        var lastPerSender = new int[4] { -1, -1, -1, -1 };
        for (int i = 0; i < 4 * PerSender; i++)
        {
            Record r = await pair.Responder.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout();
            int s = r.Body.Span[0];
            int n = r.Body.Span[1];
            Assert.Equal(lastPerSender[s] + 1, n);
            Assert.Equal(2 + (n * 13), r.Body.Length);
            lastPerSender[s] = n;
        }

        await senders.WithTimeout();
    }

    [Fact]
    public async Task Keep_alives_are_sent_while_idle_and_skipped_by_the_receiver()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync(initiatorKeepAlive: TimeSpan.FromMilliseconds(60));
        pair.Initiator.StartKeepAlive();
        await Task.Delay(1000);
        long keepAliveBytes = pair.Initiator.BytesSent;
        Assert.True(keepAliveBytes >= 2 * RecordBuffer.Overhead, $"only {keepAliveBytes} bytes of keep-alives after 1 s");
        Assert.Equal(0, keepAliveBytes % RecordBuffer.Overhead); // empty keep-alive records only

        await pair.Initiator.SendAsync(RecordKind.End, ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        Record r = await pair.Responder.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout();
        Assert.Equal(RecordKind.End, r.Kind);
        Assert.Equal(0, r.Body.Length);
    }

    [Fact]
    public async Task Keep_alives_keep_a_short_receive_timeout_from_firing()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync(
            initiatorKeepAlive: TimeSpan.FromMilliseconds(100),
            responderReceiveTimeout: TimeSpan.FromMilliseconds(1500));
        pair.Initiator.StartKeepAlive();
        Task<Record> receive = pair.Responder.ReceiveAsync(CancellationToken.None).AsTask();
        await Task.Delay(4000); // well over two receive timeouts of silence apart from keep-alives (margins for loaded CI)
        Assert.False(receive.IsCompleted);
        await pair.Initiator.SendAsync(RecordKind.Done, ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        Assert.Equal(RecordKind.Done, (await receive.WithTimeout()).Kind);
    }

    [Fact]
    public async Task A_silent_peer_trips_the_receive_timeout_as_a_Network_failure()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync(responderReceiveTimeout: TimeSpan.FromMilliseconds(300));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<TallowException>(() => pair.Responder.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout());
        Assert.Equal(FailureKind.Network, ex.Kind);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Caller_cancellation_is_not_reported_as_a_timeout()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pair.Responder.ReceiveAsync(cts.Token).AsTask().WithTimeout());
    }

    [Fact]
    public async Task Peer_hang_up_is_a_Network_failure()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        pair.Sockets.SocketA.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        var ex = await Assert.ThrowsAsync<TallowException>(() => pair.Responder.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout());
        Assert.Equal(FailureKind.Network, ex.Kind);
    }

    public static TheoryData<int> TamperOffsets() =>
    [
        0, 3, 4,                     // length and type in the header (AAD)
        Frame.HeaderSize,            // record kind
        Frame.HeaderSize + 1,        // body
        Frame.HeaderSize + 40,
        -1, -16,                     // tag (negative = from the end)
    ];

    [Theory]
    [MemberData(nameof(TamperOffsets))]
    public async Task A_tampered_byte_on_the_wire_fails_the_receiver(int offset)
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        byte[][] frames = await SealOfflineAsync(pair.InitiatorKeys, true, (RecordKind.Data, Random(100, 9)));
        byte[] frame = frames[0];
        int position = offset >= 0 ? offset : frame.Length + offset;
        frame[position] ^= 0x04;

        await pair.Sockets.A.WriteAsync(frame);
        pair.Sockets.SocketA.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        var ex = await Assert.ThrowsAsync<TallowException>(() => pair.Responder.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout());
        Assert.NotEqual(FailureKind.Authentication, ex.Kind); // data errors are not "wrong code"
    }

    [Fact]
    public async Task Untampered_offline_records_are_accepted_so_the_tamper_tests_mean_something()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        byte[][] frames = await SealOfflineAsync(pair.InitiatorKeys, true, (RecordKind.Data, Random(100, 9)), (RecordKind.End, []));
        await pair.Sockets.A.WriteAsync(frames[0]);
        await pair.Sockets.A.WriteAsync(frames[1]);
        Assert.Equal(RecordKind.Data, (await pair.Responder.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout()).Kind);
        Assert.Equal(RecordKind.End, (await pair.Responder.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout()).Kind);
    }

    [Fact]
    public async Task Replayed_reordered_or_dropped_records_fail()
    {
        await using (ChannelPair replay = await ChannelPair.CreateAsync())
        {
            byte[][] f = await SealOfflineAsync(replay.InitiatorKeys, true, (RecordKind.Data, [1]));
            await replay.Sockets.A.WriteAsync(f[0]);
            await replay.Sockets.A.WriteAsync(f[0]);
            Assert.Equal(RecordKind.Data, (await replay.Responder.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout()).Kind);
            await Assert.ThrowsAsync<TallowException>(() => replay.Responder.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout());
        }

        await using (ChannelPair reorder = await ChannelPair.CreateAsync())
        {
            byte[][] f = await SealOfflineAsync(reorder.InitiatorKeys, true, (RecordKind.Data, [1]), (RecordKind.Data, [2]));
            await reorder.Sockets.A.WriteAsync(f[1]);
            await Assert.ThrowsAsync<TallowException>(() => reorder.Responder.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout());
        }
    }

    [Fact]
    public async Task A_record_reflected_back_to_its_sender_fails()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        byte[][] f = await SealOfflineAsync(pair.InitiatorKeys, true, (RecordKind.Data, [1, 2, 3]));
        await pair.Sockets.B.WriteAsync(f[0]); // as if the responder had sent it
        await Assert.ThrowsAsync<TallowException>(() => pair.Initiator.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout());
    }

    [Theory]
    [InlineData(FrameType.HandshakeConfirm, 40)]
    [InlineData(FrameType.Record, 0)]
    [InlineData(FrameType.Record, RecordBuffer.Overhead - Frame.HeaderSize - 1)]
    public async Task Non_record_or_undersized_frames_fail(FrameType type, int payloadLength)
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        await pair.Sockets.A.WriteAsync(Frame.Encode(type, new byte[payloadLength]));
        var ex = await Assert.ThrowsAsync<TallowException>(() => pair.Responder.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout());
        Assert.NotEqual(FailureKind.Authentication, ex.Kind);
    }

    [Fact]
    public async Task An_oversized_frame_header_fails_without_waiting_for_the_body()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        byte[] header = new byte[Frame.HeaderSize];
        BinaryPrimitives.WriteUInt32BigEndian(header, 0x8000_0000);
        header[4] = (byte)FrameType.Record;
        await pair.Sockets.A.WriteAsync(header);
        await Assert.ThrowsAsync<TallowException>(() => pair.Responder.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout(5));
    }

    [Fact]
    public async Task Sending_more_than_the_buffer_or_record_allows_is_refused()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        using var buffer = new RecordBuffer(10);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => pair.Initiator.SendAsync(buffer, RecordKind.Data, 11, CancellationToken.None).AsTask());
        Assert.Equal(0, pair.Initiator.BytesSent);
    }

    [Fact]
    public async Task Sending_after_the_peer_is_gone_is_a_Network_failure()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        pair.Sockets.B.Dispose();
        var ex = await Assert.ThrowsAsync<TallowException>(async () =>
        {
            for (int i = 0; i < 200; i++)
            {
                await pair.Initiator.SendAsync(RecordKind.Data, new byte[64 * 1024], CancellationToken.None);
                await Task.Delay(5);
            }
        });
        Assert.Equal(FailureKind.Network, ex.Kind);
    }
}
