// Sender side of a transfer (DESIGN.md §8):
//   SendOffer → AwaitAnswer ─Reject→ Declined
//                  └Accept→ for each file: Data* FileDone{hash} → End → AwaitDone → Complete
// File content is read straight into a sealed-record buffer, hashed with BLAKE3 while it
// streams, and never held whole in memory. Reading the next chunk overlaps sending this one.
using Tallow.Protocol.Records;
using Tallow.Wire;

namespace Tallow.Protocol.Transfer;

public sealed class TransferSender
{
    private readonly SecureChannel _channel;
    private readonly ITransferObserver _observer;

    public TransferSender(SecureChannel channel, ITransferObserver observer)
    {
        _channel = channel;
        _observer = observer;
    }

    /// <summary>Sends files; <paramref name="localPaths"/> maps entry index to a local file (null for folders).</summary>
    public async Task SendFilesAsync(TransferOffer offer, IReadOnlyList<string?> localPaths, CancellationToken ct)
    {
        await OfferAsync(offer, ct).ConfigureAwait(false);
        long total = (long)offer.TotalSize;
        long done = 0;
        using var a = new RecordBuffer(offer.ChunkSize);
        using var b = new RecordBuffer(offer.ChunkSize);
        for (int i = 0; i < offer.Entries.Count; i++)
        {
            OfferEntry entry = offer.Entries[i];
            if (entry.Type != EntryType.File)
            {
                continue;
            }

            Stream source;
            try
            {
                source = new FileStream(localPaths[i]!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0, FileOptions.SequentialScan);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await _channel.SendReasonAsync(RecordKind.Cancel, CancelReason.FileSystem, "the sender could not read a file", ct).ConfigureAwait(false);
                throw new TallowException(FailureKind.FileSystem, $"cannot read '{localPaths[i]}': {ex.Message}", ex);
            }

            await using (source.ConfigureAwait(false))
            {
                (long sent, string hash) = await StreamEntryAsync((uint)i, source, (long)entry.Size, a, b, done, total, ct).ConfigureAwait(false);
                done += sent;
                _observer.OnFileCompleted(entry.Path, sent, hash);
            }
        }

        await FinishAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Sends text or a stream of unknown length (stdin) as the offer's single entry.</summary>
    public async Task SendStreamAsync(TransferOffer offer, Stream source, CancellationToken ct)
    {
        await OfferAsync(offer, ct).ConfigureAwait(false);
        using var a = new RecordBuffer(offer.ChunkSize);
        using var b = new RecordBuffer(offer.ChunkSize);
        long length = offer.Entries[0].Size == TransferOffer.UnknownSize ? -1 : (long)offer.Entries[0].Size;
        (long sent, string hash) = await StreamEntryAsync(0, source, length, a, b, 0, length < 0 ? null : length, ct).ConfigureAwait(false);
        _observer.OnFileCompleted(offer.Entries[0].Path, sent, hash);
        await FinishAsync(ct).ConfigureAwait(false);
    }

    private async Task OfferAsync(TransferOffer offer, CancellationToken ct)
    {
        int size = offer.GetSize();
        if (size > SecureChannel.MaxBodySize)
        {
            throw new TallowException(FailureKind.Usage, $"too many files for one transfer ({offer.Entries.Count}): send them in smaller groups.");
        }

        byte[] body = new byte[size];
        offer.Write(body);
        await _channel.SendAsync(RecordKind.Offer, body, ct).ConfigureAwait(false);
        _channel.StartKeepAlive();

        Record answer = await _channel.ReceiveAsync(ct).ConfigureAwait(false);
        switch (answer.Kind)
        {
            case RecordKind.Accept:
                return;
            case RecordKind.Reject:
                string why = ReasonMessage.TryParse(answer.Body.Span, out ReasonMessage reason) && reason.Text.Length > 0 ? $" ({PathSanitizer.Printable(reason.Text)})" : string.Empty;
                throw new TallowException(FailureKind.Declined, $"the receiver declined the transfer{why}.");
            case RecordKind.Cancel:
                throw PeerCancelled(answer);
            default:
                throw UnexpectedRecord(answer.Kind);
        }
    }

    /// <summary>
    /// Streams one entry: reads into one buffer while the other is sealed and sent.
    /// A known length is sent exactly (a file that shrinks fails; growth is ignored).
    /// </summary>
    private async Task<(long Sent, string Hash)> StreamEntryAsync(uint index, Stream source, long length, RecordBuffer a, RecordBuffer b, long doneBefore, long? total, CancellationToken ct)
    {
        using var hasher = Blake3.Hasher.New();
        long sent = 0;
        RecordBuffer current = a, next = b;
        int currentLength = await FillAsync(source, current, length, sent, ct).ConfigureAwait(false);
        while (currentLength > 0)
        {
            hasher.Update(current.Body.Span[..currentLength]);
            long afterThis = sent + currentLength;
            Task<int> readAhead = FillAsync(source, next, length, afterThis, ct).AsTask();
            await _channel.SendAsync(current, RecordKind.Data, currentLength, ct).ConfigureAwait(false);
            sent = afterThis;
            _observer.OnProgress(doneBefore + sent, total);
            currentLength = await readAhead.ConfigureAwait(false);
            (current, next) = (next, current);
        }

        if (length >= 0 && sent != length)
        {
            await _channel.SendReasonAsync(RecordKind.Cancel, CancelReason.FileSystem, "a file changed while it was being sent", ct).ConfigureAwait(false);
            throw new TallowException(FailureKind.FileSystem, "a file became shorter while it was being sent: send it again when it is no longer being written.");
        }

        byte[] hash = new byte[FileDoneMessage.HashSize];
        hasher.Finalize(hash);
        byte[] body = new byte[FileDoneMessage.EncodedSize];
        new FileDoneMessage(index, (ulong)sent, hash).Write(body);
        await _channel.SendAsync(RecordKind.FileDone, body, ct).ConfigureAwait(false);
        return (sent, Convert.ToHexStringLower(hash));
    }

    /// <summary>Fills the buffer's body as far as possible (a full chunk unless the source ends).</summary>
    private static async ValueTask<int> FillAsync(Stream source, RecordBuffer buffer, long length, long position, CancellationToken ct)
    {
        int want = buffer.BodyCapacity;
        if (length >= 0)
        {
            want = (int)Math.Min(want, length - position);
        }

        int filled = 0;
        try
        {
            while (filled < want)
            {
                int read = await source.ReadAsync(buffer.Body.Slice(filled, want - filled), ct).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                filled += read;
            }
        }
        catch (IOException ex)
        {
            throw new TallowException(FailureKind.FileSystem, $"reading the input failed: {ex.Message}", ex);
        }

        return filled;
    }

    private async Task FinishAsync(CancellationToken ct)
    {
        await _channel.SendAsync(RecordKind.End, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
        Record reply = await _channel.ReceiveAsync(ct).ConfigureAwait(false);
        if (reply.Kind == RecordKind.Cancel)
        {
            throw PeerCancelled(reply);
        }

        if (reply.Kind != RecordKind.Done)
        {
            throw UnexpectedRecord(reply.Kind);
        }
    }

    internal static TallowException PeerCancelled(Record record)
    {
        string text = ReasonMessage.TryParse(record.Body.Span, out ReasonMessage reason) ? PathSanitizer.Printable(reason.Text) : "no reason given";
        FailureKind kind = reason.Reason == CancelReason.Integrity ? FailureKind.Error : FailureKind.Declined;
        return new TallowException(kind, $"the peer cancelled the transfer: {text}.");
    }

    internal static TallowException UnexpectedRecord(RecordKind kind) => new(
        FailureKind.Error,
        $"the peer sent an unexpected message ({(byte)kind}) : the transfer was stopped. Both sides may need the same tallow version.");
}
