// --throttle on a fake clock: on the SecureChannel (SendThrottle) bulk records wait for their
// sealed size and control records overtake a waiting bulk record; on a session's inbox
// (ReceiveThrottle) a throttled consumer is held back until the rate allows, while the read
// loop goes on reading.
using Microsoft.Extensions.Time.Testing;
using Tallow.Protocol.Records;
using Tallow.Protocol.Session;
using Tallow.Wire;
using Record = Tallow.Protocol.Records.Record;

namespace Tallow.Tests.Protocol;

public class SecureChannelThrottleTests
{
    [Theory]
    [InlineData(RecordKind.Data, true)]
    [InlineData((RecordKind)14, true)]
    [InlineData(RecordKind.KeepAlive, false)]
    [InlineData(RecordKind.Offer, false)]
    [InlineData(RecordKind.Accept, false)]
    [InlineData(RecordKind.FileDone, false)]
    [InlineData(RecordKind.End, false)]
    [InlineData(RecordKind.Done, false)]
    [InlineData(RecordKind.Cancel, false)]
    [InlineData(RecordKind.P2PSelect, false)]
    [InlineData(RecordKind.P2PSwitched, false)]
    [InlineData(RecordKind.Resend, false)]
    [InlineData(RecordKind.ReceiverCancel, false)]
    [InlineData(RecordKind.WindowUpdate, false)]
    [InlineData(RecordKind.Leave, false)]
    [InlineData(RecordKind.ChatMessage, false)]
    public void Only_content_records_are_bulk(RecordKind kind, bool bulk) => Assert.Equal(bulk, RecordRoutes.IsBulk(kind));

    [Fact]
    public async Task A_control_record_overtakes_a_data_record_waiting_on_the_send_throttle()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        var clock = new FakeTimeProvider();
        var throttle = new RateLimiter(1000, clock);
        pair.Initiator.SendThrottle = throttle;

        Task data = pair.Initiator.SendAsync(RecordKind.Data, new byte[1000], CancellationToken.None).AsTask();
        Assert.Equal(-(1000 + RecordBuffer.Overhead), throttle.Available, 6); // the sealed size is what counts
        await pair.Initiator.SendAsync(RecordKind.FileDone, new byte[10], CancellationToken.None).AsTask().WithTimeout();
        Record first = await pair.Responder.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout();
        Assert.Equal(RecordKind.FileDone, first.Kind);
        Assert.False(data.IsCompleted);

        clock.Advance(TimeSpan.FromSeconds((1000.0 + RecordBuffer.Overhead) / 1000));
        await data.WithTimeout();
        Record second = await pair.Responder.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout();
        Assert.Equal(RecordKind.Data, second.Kind);
        Assert.Equal(1000, second.Body.Length);
    }

    [Fact]
    public async Task The_receive_throttle_holds_a_data_record_until_the_rate_allows_it()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        var clock = new FakeTimeProvider();
        var throttle = new RateLimiter(1000, clock);
        RecordPort incoming = pair.ReceiverPort;
        incoming.ReceiveThrottle = throttle;

        await pair.Initiator.SendAsync(RecordKind.Offer, new byte[10], CancellationToken.None);
        Record control = await incoming.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout();
        Assert.Equal(RecordKind.Offer, control.Kind);
        Assert.Equal(0, throttle.Available, 6);

        await pair.Initiator.SendAsync(RecordKind.Data, new byte[2000], CancellationToken.None);
        Task<Record> receive = incoming.ReceiveAsync(CancellationToken.None).AsTask();
        for (int i = 0; i < 3000 && throttle.Available >= 0; i++)
        {
            await Task.Delay(10); // until the record is read and waiting on the throttle
        }

        Assert.True(throttle.Available < 0, "the data record never reached the throttle");
        Assert.False(receive.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(3));
        Record data = await receive.WithTimeout();
        Assert.Equal(RecordKind.Data, data.Kind);
        Assert.Equal(2000, data.Body.Length);
    }
}
