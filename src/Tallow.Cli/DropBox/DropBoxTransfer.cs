// One sender's visit to the drop box, after its pair handshake (RoomPeer): ONE offer on the pair's
// record session, taken with the rules of `receive --yes` and no prompt: files and folders only,
// no hidden top-level name (refused, and the sender is told why: an unattended drop box never
// accepts what could run code on its own), never overwriting, executable bits as the receiver's
// hardening sets them. The transfer lands in its own new folder (DropBoxFolder), created only once
// the offer is acceptable, so a refused offer leaves nothing behind.
using System.Diagnostics;
using Tallow.Cli.Commands;
using Tallow.Cli.Output;
using Tallow.Net.Room;
using Tallow.Protocol;
using Tallow.Protocol.Records;
using Tallow.Protocol.Session;
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Cli.DropBox;

/// <summary>A transfer that arrived: who sent it (cleaned for display), where it went, how much.</summary>
internal sealed record DropBoxReceipt(string Sender, string Folder, int Files, long Bytes, TimeSpan Elapsed);

internal static class DropBoxTransfer
{
    /// <summary>How long a sender may take to make its offer once the handshake is done.</summary>
    private static readonly TimeSpan OfferTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How long the sender gets to say goodbye after the last file was verified.</summary>
    private static readonly TimeSpan LeaveGrace = TimeSpan.FromSeconds(5);

    /// <summary>Receives one offer from <paramref name="peer"/> into a new folder under the drop box's folder; throws TallowException when it is refused or fails.</summary>
    public static async Task<DropBoxReceipt> ReceiveAsync(RoomPeer peer, DropBoxSettings settings, Reporter reporter, CancellationToken ct)
    {
        string outRoot = settings.OutRoot;
        string sender = TerminalText.Clean(peer.Name);
        var observer = new DropBoxObserver(sender, reporter);
        RecordPort incoming = peer.Records.Port(RecordGroup.IncomingTransfer);
        incoming.ReceiveThrottle = settings.Throttle; // one limiter: all senders together
        var receiver = new TransferReceiver(incoming, observer);
        TransferOffer offer;
        using (var offerDeadline = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            offerDeadline.CancelAfter(OfferTimeout);
            try
            {
                offer = await receiver.ReceiveOfferAsync(offerDeadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TallowException(FailureKind.Network, "made no offer in time.");
            }
        }

        if (offer.Kind != TransferKind.Files)
        {
            await receiver.RejectAsync("a drop box takes files and folders (tallow send FILES --to CODE)", ct).ConfigureAwait(false);
            throw new TallowException(FailureKind.Declined, $"offered {OfferSummary.Describe(offer)}: refused, a drop box takes files and folders.");
        }

        DateTime started = DateTime.UtcNow;
        OfferReview review = OfferReview.Create(offer, Path.Combine(outRoot, DropBoxFolder.Name(started, peer.Name)), overwrite: false);
        if (review.Entries.Where(e => e.Hidden).Select(e => e.Name).ToList() is { Count: > 0 } hidden)
        {
            await receiver.RejectAsync("a drop box accepts no hidden names (starting with '.'): send them inside a folder with a plain name", ct).ConfigureAwait(false);
            string named = string.Join(", ", hidden.Take(5).Select(n => $"'{TerminalText.Clean(n)}'"));
            throw new TallowException(FailureKind.Declined, $"offered hidden names ({named}): refused, as receive --yes would; nothing was written.");
        }

        string folder = DropBoxFolder.CreateUnique(outRoot, started, peer.Name);
        var clock = Stopwatch.StartNew();
        using var output = new OutputDirectory(folder, overwrite: false);
        TransferSummary received;
        using (ReceivePlan plan = await FileReceiving.AcceptAsync(receiver, offer, output, null, resume: false, observer, ct).ConfigureAwait(false))
        {
            received = await receiver.ReceiveFilesAsync(offer, plan, output, ct).ConfigureAwait(false);
        }

        using var grace = CancellationTokenSource.CreateLinkedTokenSource(ct);
        grace.CancelAfter(LeaveGrace);
        try
        {
            await peer.Records.PeerLeft.WaitAsync(grace.Token).ConfigureAwait(false); // the sender leaves once it has our last word
        }
        catch (Exception e) when (e is OperationCanceledException or TallowException or IOException)
        {
            // Gone without a goodbye: the files are verified anyway.
        }

        return new DropBoxReceipt(sender, folder, received.Files, received.Bytes, clock.Elapsed);
    }

    /// <summary>A transfer's observer: no live progress (several run at once), notices prefixed with the sender.</summary>
    private sealed class DropBoxObserver(string sender, Reporter reporter) : ITransferObserver
    {
        public void OnProgress(long bytesDone, long? totalBytes)
        {
        }

        public void OnFileCompleted(FileReport file)
        {
        }

        public void OnResume(string path, long offset, long size)
        {
        }

        public void OnNotice(string message) => reporter.Warn($"{sender}: {message}");
    }
}
