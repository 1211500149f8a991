// RecordSession (DESIGN.md §13): one read loop dispatching to per-part inboxes with flow-control
// windows, over a real SecureChannel pair on loopback TCP. A consumer that stops reading stalls
// only its own stream; chat keeps flowing both ways; a peer that overruns a window is stopped;
// keep-alives keep an idle session alive for minutes (fake clock) and silence ends it.
using Microsoft.Extensions.Time.Testing;
using Tallow.Protocol;
using Tallow.Protocol.Chat;
using Tallow.Protocol.Records;
using Tallow.Protocol.Session;
using Tallow.Wire;
using Record = Tallow.Protocol.Records.Record;

namespace Tallow.Tests.Protocol;

public class RecordSessionTests
{
    private const int Chunk = 1024 * 1024;

    [Fact]
    public async Task A_consumer_that_stops_reading_stalls_only_its_own_stream_and_chat_flows_both_ways()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        RecordPort sender = pair.SenderPort;
        RecordPort receiver = pair.ReceiverPort; // never read until the end of the test

        // Fill the transfer window: the sender may have at most a window (four 1 MiB chunks) outstanding.
        int sent = 0;
        Task blocked = Task.CompletedTask;
        for (int i = 0; i < 20; i++)
        {
            Task send = sender.SendAsync(RecordKind.Data, new byte[Chunk], CancellationToken.None).AsTask();
            if (!await CompletesWithin(send, TimeSpan.FromSeconds(2)))
            {
                blocked = send;
                break;
            }

            sent++;
        }

        Assert.Equal(FlowWindows.TransferWindow / FlowWindows.CostOf(Chunk), sent);
        Assert.False(blocked.IsCompleted);

        // Chat is its own stream: both directions pass while the transfer waits.
        var chatI = new ChatChannel(pair.InitiatorRecords.Port(RecordGroup.Chat));
        var chatR = new ChatChannel(pair.ResponderRecords.Port(RecordGroup.Chat));
        for (int i = 0; i < 50; i++)
        {
            await chatI.SendAsync($"to R {i}", CancellationToken.None).WithTimeout();
            Assert.Equal($"to R {i}", (await chatR.ReceiveAsync(CancellationToken.None).WithTimeout()).Text);
            await chatR.SendAsync($"to I {i}", CancellationToken.None).WithTimeout();
            Assert.Equal($"to I {i}", (await chatI.ReceiveAsync(CancellationToken.None).WithTimeout()).Text);
        }

        Assert.False(blocked.IsCompleted);

        // The consumer reads on: window updates let the blocked record through, and all arrive in order.
        for (int i = 0; i <= sent; i++)
        {
            Record record = await receiver.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout();
            Assert.Equal(RecordKind.Data, record.Kind);
            Assert.Equal(Chunk, record.Body.Length);
        }

        await blocked.WithTimeout();
    }

    [Fact]
    public async Task A_record_larger_than_the_window_still_moves_one_at_a_time()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        int big = FlowWindows.TransferWindow + 1000;
        RecordPort receiver = pair.ReceiverPort; // its read loop runs from here on
        Task first = pair.SenderPort.SendAsync(RecordKind.Data, new byte[big], CancellationToken.None).AsTask();
        await first.WithTimeout();
        Task second = pair.SenderPort.SendAsync(RecordKind.Data, new byte[big], CancellationToken.None).AsTask();
        Assert.False(await CompletesWithin(second, TimeSpan.FromMilliseconds(500)));
        Assert.Equal(big, (await receiver.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout()).Body.Length);
        Assert.Equal(big, (await receiver.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout()).Body.Length);
        await second.WithTimeout();
    }

    [Fact]
    public async Task A_peer_that_ignores_the_window_ends_the_session_with_a_protocol_error()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        RecordSession responder = pair.ResponderRecords;
        for (int i = 0; i < 9; i++)
        {
            await pair.Initiator.SendAsync(RecordKind.Data, new byte[Chunk], CancellationToken.None); // raw channel: no window
        }

        Exception reason = await responder.Ended.WithTimeout();
        Assert.Contains("more data than the receiver allowed", reason.Message, StringComparison.Ordinal);
        var ex = await Assert.ThrowsAsync<TallowException>(async () =>
        {
            while (true)
            {
                await pair.ReceiverPort.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout();
            }
        });
        Assert.Equal(FailureKind.Error, ex.Kind);
    }

    [Fact]
    public async Task A_record_of_an_unknown_kind_ends_the_session()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        RecordSession responder = pair.ResponderRecords;
        await pair.Initiator.SendAsync((RecordKind)200, new byte[3], CancellationToken.None);
        Exception reason = await responder.Ended.WithTimeout();
        Assert.Contains("unknown kind 200", reason.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Leave_is_reported_as_the_peer_leaving_not_as_a_lost_connection()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        RecordSession responder = pair.ResponderRecords;
        await pair.InitiatorRecords.LeaveAsync("bye now", CancellationToken.None);
        Assert.Equal("bye now", await responder.PeerLeft.WithTimeout());
        await pair.Sockets.A.DisposeAsync(); // the leaving side closes
        Exception reason = await responder.Ended.WithTimeout();
        Assert.Equal(FailureKind.Declined, Assert.IsType<TallowException>(reason).Kind);
    }

    [Fact]
    public async Task An_idle_session_stays_up_for_minutes_on_keep_alives_and_then_carries_messages_both_ways()
    {
        var clock = new FakeTimeProvider();
        await using ChannelPair pair = await ChannelPair.CreateAsync(
            initiatorKeepAlive: SecureChannel.DefaultKeepAliveInterval,
            responderReceiveTimeout: SecureChannel.DefaultReceiveTimeout,
            initiatorReceiveTimeout: SecureChannel.DefaultReceiveTimeout,
            time: clock);
        pair.Initiator.StartKeepAlive();
        pair.Responder.StartKeepAlive();
        RecordSession i = pair.InitiatorRecords, r = pair.ResponderRecords;

        // 5 minutes of fake time, five times the silence timeout, in 1 s steps.
        for (int s = 0; s < 300; s++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(2);
            if (s % 15 == 14)
            {
                await Task.Delay(50); // let the keep-alive reach the other side before time runs on
            }
        }

        Assert.False(i.Ended.IsCompleted, i.Ended.IsCompleted ? (await i.Ended).Message : "");
        Assert.False(r.Ended.IsCompleted, r.Ended.IsCompleted ? (await r.Ended).Message : "");
        Assert.True(pair.Initiator.BytesSent >= 15 * RecordBuffer.Overhead, $"{pair.Initiator.BytesSent} bytes of keep-alives");
        var chatI = new ChatChannel(i.Port(RecordGroup.Chat), clock);
        var chatR = new ChatChannel(r.Port(RecordGroup.Chat), clock);
        await chatI.SendAsync("still here?", CancellationToken.None);
        Assert.Equal("still here?", (await chatR.ReceiveAsync(CancellationToken.None).WithTimeout()).Text);
        await chatR.SendAsync("yes", CancellationToken.None);
        Assert.Equal("yes", (await chatI.ReceiveAsync(CancellationToken.None).WithTimeout()).Text);
    }

    [Fact]
    public async Task A_peer_silent_past_the_receive_timeout_ends_the_session_as_a_network_failure()
    {
        var clock = new FakeTimeProvider();
        await using ChannelPair pair = await ChannelPair.CreateAsync(responderReceiveTimeout: SecureChannel.DefaultReceiveTimeout, time: clock);
        RecordSession r = pair.ResponderRecords; // the initiator sends no keep-alives
        for (int s = 0; s < 59; s++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(2);
        }

        await Task.Delay(100);
        Assert.False(r.Ended.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(2));
        Exception reason = await r.Ended.WithTimeout();
        Assert.Equal(FailureKind.Network, Assert.IsType<TallowException>(reason).Kind);
        Assert.Contains("sent nothing for 60 s", reason.Message, StringComparison.Ordinal);
    }

    private static async Task<bool> CompletesWithin(Task task, TimeSpan time) =>
        await Task.WhenAny(task, Task.Delay(time)) == task;
}
