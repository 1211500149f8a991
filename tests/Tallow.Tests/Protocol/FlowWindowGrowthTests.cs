// Growth of the Transfer window (FlowWindows, RecordInbox, SendWindow): the sender uses credit a
// grown window grants, bounded by the largest window; a peer that overruns even the largest window
// is still stopped (real SecureChannel pair on loopback TCP). The growth decision itself is
// WindowGrowthTests (fake times); on a real long link, LinkLab's LongFatLinkTests.
using Tallow.Protocol;
using Tallow.Protocol.Records;
using Tallow.Protocol.Session;
using Tallow.Wire;

namespace Tallow.Tests.Protocol;

public class FlowWindowGrowthTests
{
    private const int Chunk = 1024 * 1024;
    private static readonly int Cost = FlowWindows.CostOf(Chunk);

    [Fact]
    public async Task A_peer_that_overruns_the_largest_window_is_still_stopped()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        RecordSession responder = pair.ResponderRecords;
        _ = pair.ReceiverPort; // never read: the window cannot grow, and no growth goes past the cap anyway
        int records = (FlowWindows.TransferWindowMax / Cost) + 2;
        Exception? sendFailure = null;
        try
        {
            for (int i = 0; i < records && !responder.Ended.IsCompleted; i++)
            {
                await pair.Initiator.SendAsync(RecordKind.Data, new byte[Chunk], CancellationToken.None);
            }
        }
        catch (TallowException e)
        {
            sendFailure = e; // the responder may close before all are written
        }

        Exception reason = await responder.Ended.WithTimeout();
        Assert.True(reason.Message.Contains("more data than the receiver allowed", StringComparison.Ordinal), $"{reason.Message} (send: {sendFailure?.Message})");
    }

    [Fact]
    public async Task Extra_credit_from_a_grown_window_lets_the_sender_go_further_and_never_past_the_cap()
    {
        var window = new SendWindow(FlowWindows.TransferWindow, FlowWindows.TransferWindowMax);
        await window.TakeAsync(FlowWindows.TransferWindow, CancellationToken.None).AsTask().WithTimeout();
        Assert.False(window.TakeAsync(Cost, CancellationToken.None).AsTask().IsCompleted); // full: waits

        // The receiver freed the window and grew it by 8 MiB: a waiting take goes, and 8 MiB more fit.
        var waiting = new SendWindow(FlowWindows.TransferWindow, FlowWindows.TransferWindowMax);
        await waiting.TakeAsync(FlowWindows.TransferWindow, CancellationToken.None);
        Task blocked = waiting.TakeAsync(Cost, CancellationToken.None).AsTask();
        waiting.Grant((uint)FlowWindows.TransferWindow + (8u << 20));
        await blocked.WithTimeout();
        long fits = 0;
        while (waiting.TakeAsync(Cost, CancellationToken.None).AsTask().IsCompleted)
        {
            fits++;
        }

        Assert.Equal((FlowWindows.TransferWindow + (8L << 20) - Cost) / Cost, fits);

        // A peer granting absurd amounts gives at most the largest window of credit.
        var hostile = new SendWindow(FlowWindows.TransferWindow, FlowWindows.TransferWindowMax);
        hostile.Grant(uint.MaxValue);
        hostile.Grant(uint.MaxValue);
        Assert.Equal(FlowWindows.TransferWindow - (long)FlowWindows.TransferWindowMax, hostile.Outstanding);

        // Chat does not grow: extra bytes only open its window fully, as before.
        var chat = new SendWindow(FlowWindows.ChatWindow);
        chat.Grant(1 << 20);
        Assert.Equal(0, chat.Outstanding);
    }
}
