// DESIGN.md §9.4–9.6 end to end in process: two SecureChannels over PathSwitchingTransports on a
// loopback "relay" TCP pair, moved to a proven loopback "direct" pair exactly as P2PNegotiator does
// it. The record stream must arrive exactly once and in order whatever happens to the direct path
// (abort, silence, forged resync), and must fail with a network error, never hang, when both paths
// are gone.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using Tallow.Crypto;
using Tallow.Net.Direct;
using Tallow.Protocol;
using Tallow.Protocol.Records;
using Tallow.Tests.Protocol;
using Tallow.Wire;
using Record = Tallow.Protocol.Records.Record;

namespace Tallow.Tests.Net;

public class PathSwitchingTransportTests
{
    private const int MaxRecord = 256 * 1024;

    /// <summary>Fast failure detection for tests; relay pings off unless a test wants them.</summary>
    private static readonly PathTimings Fast = new()
    {
        SilenceTimeout = TimeSpan.FromSeconds(1),
        HeartbeatInterval = TimeSpan.FromMilliseconds(250), // well inside the silence timeout (the default 1 s is not)
        ResyncTimeout = TimeSpan.FromSeconds(5),
        RelayPingInterval = TimeSpan.FromHours(1),
    };

    private static int SizeOf(int index) => index % 97 == 0 ? MaxRecord
        : index % 13 == 0 ? 0
        : (int)((uint)(index * 2654435761u) % (64 * 1024));

    /// <summary>Record body i: its index (4 bytes, when it fits) then bytes derived from it.</summary>
    private static byte[] Body(int index)
    {
        byte[] body = new byte[SizeOf(index)];
        for (int j = 0; j < body.Length; j++)
        {
            body[j] = (byte)((index * 131) + (j * 7) + (j >> 8));
        }

        if (body.Length >= 4)
        {
            BinaryPrimitives.WriteInt32BigEndian(body, index);
        }

        return body;
    }

    /// <summary>
    /// Sends records 0..count-1 then End; <paramref name="afterRecord"/> runs after each one is sent.
    /// With <paramref name="handOver"/> every record is written into one reused buffer that may hand
    /// its array to the direct path (as file chunks are sent): a window that kept a reused array
    /// would replay later records' bytes after a failure.
    /// </summary>
    private static async Task SendAllAsync(SecureChannel channel, int count, Func<int, Task>? afterRecord, CancellationToken ct, bool handOver = false)
    {
        using var buffer = new RecordBuffer(MaxRecord, handOver: true);
        for (int i = 0; i < count; i++)
        {
            if (handOver)
            {
                byte[] body = Body(i);
                body.CopyTo(buffer.Body);
                await channel.SendAsync(buffer, RecordKind.Data, body.Length, ct);
            }
            else
            {
                await channel.SendAsync(RecordKind.Data, Body(i), ct);
            }

            if (afterRecord is not null)
            {
                await afterRecord(i);
            }
        }

        await channel.SendAsync(RecordKind.End, ReadOnlyMemory<byte>.Empty, ct);
    }

    /// <summary>Receives exactly records 0..count-1 in order, then End.</summary>
    private static async Task ReceiveAllAsync(SecureChannel channel, int count, CancellationToken ct)
    {
        for (int i = 0; i < count; i++)
        {
            Record record = await channel.ReceiveAsync(ct);
            Assert.Equal(RecordKind.Data, record.Kind);
            byte[] expected = Body(i);
            if (!record.Body.Span.SequenceEqual(expected))
            {
                int got = record.Body.Length >= 4 ? BinaryPrimitives.ReadInt32BigEndian(record.Body.Span) : -1;
                Assert.Fail($"record {i}: got {record.Body.Length} bytes (index field {got}), expected {expected.Length}");
            }
        }

        Record end = await channel.ReceiveAsync(ct);
        Assert.Equal(RecordKind.End, end.Kind);
    }

    /// <summary>Streams initiator → responder, then the responder answers Done (the end of a transfer).</summary>
    private static async Task TransferAsync(SwitchedSession s, int count, Func<int, Task>? afterRecord, int timeoutSeconds, bool handOver = false)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        Task send = Task.Run(async () =>
        {
            await SendAllAsync(s.CI, count, afterRecord, cts.Token, handOver);
            Record done = await s.CI.ReceiveAsync(cts.Token);
            Assert.Equal(RecordKind.Done, done.Kind);
        });
        Task receive = Task.Run(async () =>
        {
            await ReceiveAllAsync(s.CR, count, cts.Token);
            await s.CR.SendAsync(RecordKind.Done, ReadOnlyMemory<byte>.Empty, cts.Token);
        });
        await Task.WhenAll(send, receive).WithTimeout(timeoutSeconds + 5);
    }

    private static async Task CloseBothAsync(SwitchedSession s, double maxSeconds = 3)
    {
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(s.TI.CloseAsync().AsTask(), s.TR.CloseAsync().AsTask()).WithTimeout(10);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(maxSeconds), $"CloseAsync took {clock.Elapsed}");
    }

    private static List<(FrameType Type, int PayloadLength)> RelayFrames(TapStream tap) => DirectTestKit.Frames(tap.Tapped());

    [Fact]
    public async Task Records_stream_over_the_direct_path_exactly_once_in_order_and_the_relay_carries_none()
    {
        PathTimings timings = Fast with { RelayPingInterval = TimeSpan.FromMilliseconds(200) };
        await using SwitchedSession s = await SwitchedSession.CreateAsync(timings);
        Assert.True(s.TI.IsDirect);
        Assert.True(s.TR.IsDirect);

        await TransferAsync(s, 2000, null, 120, handOver: true);

        // The tap sees the relay: the keep-alive pings arrive, but no record and no resync.
        var clock = Stopwatch.StartNew();
        while ((!RelayFrames(s.TapI).Any() || !RelayFrames(s.TapR).Any()) && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(50);
        }

        foreach (TapStream tap in new[] { s.TapI, s.TapR })
        {
            List<(FrameType Type, int PayloadLength)> frames = RelayFrames(tap);
            Assert.NotEmpty(frames);
            Assert.All(frames, f => Assert.Equal(FrameType.Ping, f.Type));
        }

        Assert.True(s.TI.IsDirect);
        Assert.True(s.TR.IsDirect);

        // (f) both sides end quietly: quickly, and without a fallback.
        await CloseBothAsync(s);
        await Task.Delay(500);
        Assert.Equal(0, s.FellBackCount);
    }

    [Fact]
    public async Task A_hand_over_buffer_gives_its_array_to_the_direct_window_but_keeps_it_on_the_relay()
    {
        await using SwitchedSession s = await SwitchedSession.CreateAsync(Fast, switchNow: false);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var buffer = new RecordBuffer(MaxRecord, handOver: true);
        byte[] body = Body(97);

        async Task<byte[]> SendAsync()
        {
            byte[] before = ArrayOf(buffer);
            body.CopyTo(buffer.Body);
            await s.CI.SendAsync(buffer, RecordKind.Data, body.Length, cts.Token);
            Record record = await s.CR.ReceiveAsync(cts.Token);
            Assert.Equal(body, record.Body.ToArray());
            return before;
        }

        Assert.Same(await SendAsync(), ArrayOf(buffer)); // the relay writes it out: nothing is kept
        await s.SwitchAsync();
        Assert.True(s.TI.IsDirect);
        byte[] sent = await SendAsync();
        Assert.NotSame(sent, ArrayOf(buffer)); // kept until acknowledged: the buffer went on in another array
        Assert.Equal(MaxRecord, buffer.Body.Length);
        await CloseBothAsync(s);
    }

    private static byte[] ArrayOf(RecordBuffer buffer) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(buffer.Body, out ArraySegment<byte> segment) ? segment.Array! : throw new InvalidOperationException();

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public async Task An_aborted_direct_connection_falls_back_to_the_relay_without_losing_or_repeating_a_record(bool abortInitiatorSide, bool handOver)
    {
        await using SwitchedSession s = await SwitchedSession.CreateAsync(Fast);
        const int Count = 2000;
        await TransferAsync(s, Count, i =>
        {
            if (i == Count / 2)
            {
                (abortInitiatorSide ? s.DI : s.DR).Abort();
            }

            return Task.CompletedTask;
        }, 120, handOver);

        await s.FellBackI.Task.WithTimeout(10);
        await s.FellBackR.Task.WithTimeout(10);
        Assert.False(s.TI.IsDirect);
        Assert.False(s.TR.IsDirect);
        Assert.Equal(2, s.FellBackCount);

        // The rest of the stream really went over the relay.
        Assert.Contains(RelayFrames(s.TapI), f => f.Type == FrameType.Record);
        Assert.Contains(RelayFrames(s.TapI), f => f.Type == FrameType.PathResync);
        Assert.Contains(RelayFrames(s.TapR), f => f.Type == FrameType.PathResync);
        await CloseBothAsync(s);
    }

    /// <summary>
    /// The initiator's direct path breaks between its P2PSelect and reading the responder's P2PSwitched,
    /// while the responder's last relay records are still unread: the initiator's PathResync count is
    /// then below what the relay will still deliver. Before the fix the responder refused to resume
    /// ("cannot replay") and the session ended with a network error.
    /// </summary>
    [Fact]
    public async Task A_direct_failure_while_the_initiator_still_reads_the_relay_loses_and_repeats_nothing()
    {
        await using SwitchedSession s = await SwitchedSession.CreateAsync(Fast, switchNow: false);
        const int RelayRecords = 40, DirectRecords = 30;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        CancellationToken ct = cts.Token;
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Task initiator = Task.Run(async () =>
        {
            byte[] body = new byte[P2PSelectMessage.MaxSize];
            int length = new P2PSelectMessage(s.DI.Id, default).Write(body);
            await s.CI.SendAsync(RecordKind.P2PSelect, body.AsMemory(0, length), () => s.TI.SwitchWritesToDirect(s.DI), ct);

            // The responder has answered (its relay records and P2PSwitched are queued, unread by this side)
            // when this side's direct connection breaks under its next write.
            await answered.Task.WaitAsync(ct);
            s.TapI.Tapping = true;
            s.DI.Abort();

            // As in a session, this side reads while it writes, but only once its failover has sent
            // PathResync: its count is then certainly taken with all of the responder's relay records unread.
            Task reads = Task.Run(async () =>
            {
                for (int polls = 0; !RelayFrames(s.TapI).Exists(f => f.Type == FrameType.PathResync); polls++)
                {
                    Assert.True(polls < 500, "the initiator never sent PathResync");
                    await Task.Delay(10, ct);
                }

                for (int i = 0; i < RelayRecords; i++)
                {
                    Record record = await s.CI.ReceiveAsync(ct);
                    Assert.Equal(RecordKind.Data, record.Kind);
                    Assert.True(record.Body.Span.SequenceEqual(Body(1000 + i)), $"relay record {i}");
                }

                Record switched = await s.CI.ReceiveAsync(ct);
                Assert.Equal(RecordKind.P2PSwitched, switched.Kind);
                s.TI.SwitchReadsToDirect(s.DI); // too late: reads stay on the relay
                Record done = await s.CI.ReceiveAsync(ct);
                Assert.Equal(RecordKind.Done, done.Kind);
            });
            for (int i = 0; i < DirectRecords; i++)
            {
                await s.CI.SendAsync(RecordKind.Data, Body(i), ct);
            }

            await s.CI.SendAsync(RecordKind.End, ReadOnlyMemory<byte>.Empty, ct);
            await reads;
        });
        Task responder = Task.Run(async () =>
        {
            Record select = await s.CR.ReceiveAsync(ct);
            Assert.Equal(RecordKind.P2PSelect, select.Kind);
            for (int i = 0; i < RelayRecords; i++)
            {
                await s.CR.SendAsync(RecordKind.Data, Body(1000 + i), ct);
            }

            await s.CR.SendAsync(RecordKind.P2PSwitched, ReadOnlyMemory<byte>.Empty, () => s.TR.SwitchWritesToDirect(s.DR), ct);
            s.TR.SwitchReadsToDirect(s.DR);
            answered.TrySetResult();
            await ReceiveAllAsync(s.CR, DirectRecords, ct);
            await s.CR.SendAsync(RecordKind.Done, ReadOnlyMemory<byte>.Empty, ct);
        });
        await Task.WhenAll(initiator, responder).WithTimeout(70);

        await s.FellBackI.Task.WithTimeout(10);
        await s.FellBackR.Task.WithTimeout(10);
        Assert.False(s.TI.IsDirect);
        Assert.False(s.TR.IsDirect);
    }

    [Fact]
    public async Task A_silent_direct_path_fails_over_after_the_silence_timeout()
    {
        await using SwitchedSession s = await SwitchedSession.CreateAsync(Fast, viaForwarder: true);
        const int Count = 2000;
        long pausedAt = 0;
        await TransferAsync(s, Count, i =>
        {
            if (i == Count / 2)
            {
                s.Forwarder!.Pause(); // both connections stay open; nothing moves
                pausedAt = Environment.TickCount64;
            }

            return Task.CompletedTask;
        }, 120);

        await s.FellBackI.Task.WithTimeout(10);
        await s.FellBackR.Task.WithTimeout(10);
        Assert.Equal(2, s.FellBackCount);
        Assert.True(s.Forwarder!.Paused);
        Assert.NotEqual(0, pausedAt);
        Assert.Contains(RelayFrames(s.TapI), f => f.Type == FrameType.Record);
        await CloseBothAsync(s);
    }

    [Fact]
    public async Task A_silent_direct_path_while_idle_is_not_mistaken_for_silence()
    {
        // Heartbeats keep an idle direct path alive well past the silence timeout.
        await using SwitchedSession s = await SwitchedSession.CreateAsync(Fast);
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(0, s.FellBackCount);
        await TransferAsync(s, 50, null, 30);
        Assert.True(s.TI.IsDirect);
        Assert.True(s.TR.IsDirect);
        await CloseBothAsync(s);
        Assert.Equal(0, s.FellBackCount);
    }

    [Fact]
    public async Task A_large_record_trickling_in_for_longer_than_the_silence_timeout_is_not_mistaken_for_silence()
    {
        // The reader waits for big pieces of a frame (SO_RCVLOWAT) and sees no read for seconds at
        // this rate; the bytes queued in the kernel are what show the path is alive. About 4 s of
        // a 1 s silence timeout, with heartbeats flowing the other way.
        await using SwitchedSession s = await SwitchedSession.CreateAsync(Fast, viaForwarder: true);
        s.Forwarder!.BytesPerSecond = 16 * 1024;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        byte[] large = new byte[64 * 1024];
        Random.Shared.NextBytes(large);
        Task send = s.CI.SendAsync(RecordKind.Data, large, cts.Token).AsTask();
        var clock = Stopwatch.StartNew();
        Record record = await s.CR.ReceiveAsync(cts.Token).AsTask().WithTimeout(30);
        Assert.True(record.Body.Span.SequenceEqual(large));
        await send;
        Assert.Equal(0, s.FellBackCount);
        Assert.True(clock.Elapsed > 3 * Fast.SilenceTimeout, $"the record took {clock.Elapsed}: not slow enough to prove anything");
        Assert.True(s.TI.IsDirect);
        Assert.True(s.TR.IsDirect);
        s.Forwarder.BytesPerSecond = null;
        await CloseBothAsync(s);
    }

    [Fact]
    public async Task With_the_relay_gone_the_session_continues_direct_and_a_direct_failure_then_ends_it_with_a_network_error()
    {
        await using SwitchedSession s = await SwitchedSession.CreateAsync(Fast);

        // The relay drops both connections.
        s.Relay.SocketA.Shutdown(SocketShutdown.Both);
        s.Relay.SocketB.Shutdown(SocketShutdown.Both);
        await Task.Delay(300);

        await TransferAsync(s, 300, null, 60);
        Assert.True(s.TI.IsDirect);
        Assert.True(s.TR.IsDirect);

        // Now the direct path breaks: nowhere to fall back to. Both ends must fail, bounded, with a network error.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        s.DI.Abort();
        var clock = Stopwatch.StartNew();
        Task<TallowException> sender = Assert.ThrowsAsync<TallowException>(async () =>
        {
            for (int i = 0; ; i++)
            {
                await s.CI.SendAsync(RecordKind.Data, Body(i), cts.Token);
            }
        });
        Task<TallowException> receiver = Assert.ThrowsAsync<TallowException>(async () =>
        {
            while (true)
            {
                await s.CR.ReceiveAsync(cts.Token);
            }
        });
        TallowException se = await sender.WithTimeout(15);
        TallowException re = await receiver.WithTimeout(15);
        Assert.Equal(FailureKind.Network, se.Kind);
        Assert.Equal(FailureKind.Network, re.Kind);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Equal(0, s.FellBackCount);
    }

    /// <summary>Someone on the relay path (the relay itself) injects PathResync frames with a wrong MAC toward both sides.</summary>
    private static async Task InjectForgedResyncAsync(SwitchedSession s)
    {
        byte[] forged = new byte[PathMessages.ResyncSize];
        forged[7] = 1;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await s.Relay.A.WriteAsync(Frame.Encode(FrameType.PathResync, forged), cts.Token); // toward the responder
        await s.Relay.B.WriteAsync(Frame.Encode(FrameType.PathResync, forged), cts.Token); // toward the initiator
        await Task.Delay(200);
    }

    [Fact]
    public async Task A_forged_PathResync_on_the_relay_is_ignored()
    {
        await using SwitchedSession s = await SwitchedSession.CreateAsync(Fast);
        await InjectForgedResyncAsync(s);

        await TransferAsync(s, 600, null, 60);
        Assert.True(s.TI.IsDirect);
        Assert.True(s.TR.IsDirect);
        Assert.Equal(0, s.FellBackCount);
        Assert.DoesNotContain(RelayFrames(s.TapI), f => f.Type != FrameType.Ping);
        Assert.DoesNotContain(RelayFrames(s.TapR), f => f.Type != FrameType.Ping);
        await CloseBothAsync(s);
        Assert.Equal(0, s.FellBackCount);
    }

    [Fact]
    public async Task After_a_forged_PathResync_a_real_direct_failure_still_falls_back_to_the_relay()
    {
        await using SwitchedSession s = await SwitchedSession.CreateAsync(Fast);
        await InjectForgedResyncAsync(s);

        // The relay must still be watched for the peer's real PathResync: a failure now falls back and loses nothing.
        const int Count = 600;
        await TransferAsync(s, Count, i =>
        {
            if (i == Count / 2)
            {
                s.DR.Abort();
            }

            return Task.CompletedTask;
        }, 60);
        await s.FellBackI.Task.WithTimeout(10);
        await s.FellBackR.Task.WithTimeout(10);
        Assert.Equal(2, s.FellBackCount);
    }

    [Fact]
    public async Task Close_at_the_end_after_a_bidirectional_exchange_is_quick_and_quiet()
    {
        await using SwitchedSession s = await SwitchedSession.CreateAsync(Fast);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        for (int round = 0; round < 20; round++)
        {
            await s.CI.SendAsync(RecordKind.Data, Body(round), cts.Token);
            Record r = await s.CR.ReceiveAsync(cts.Token);
            Assert.True(r.Body.Span.SequenceEqual(Body(round)));
            await s.CR.SendAsync(RecordKind.Data, Body(round + 1000), cts.Token);
            Record back = await s.CI.ReceiveAsync(cts.Token);
            Assert.True(back.Body.Span.SequenceEqual(Body(round + 1000)));
        }

        await CloseBothAsync(s);
        await Task.Delay(1500); // longer than the silence timeout: nothing may wake up and fail over
        Assert.Equal(0, s.FellBackCount);
    }
}
