// Receiver side of a text or stream offer (one entry, DESIGN.md §8): its content into a Stream
// (stdout), or (`receive --out DIR`) into a part file that, like any received file, gets its name
// only after the whole-stream hash matched; then FileDone → End → Done as for files.
using Tallow.Protocol.Records;
using Tallow.Protocol.Transfer.Compression;
using Tallow.Wire;

namespace Tallow.Protocol.Transfer;

public sealed partial class TransferReceiver
{
    /// <summary>Receives a text or stream offer into <paramref name="sink"/> (stdout).</summary>
    public async Task<TransferSummary> ReceiveStreamAsync(TransferOffer offer, Stream sink, CancellationToken ct)
    {
        using var streamSink = new StreamSink(sink);
        return await ReceiveSingleAsync(offer, streamSink, "stream failed verification (its hash did not match): discard what was printed and try again.", async () =>
        {
            await sink.FlushAsync(ct).ConfigureAwait(false);
            return offer.Entries[0].Path;
        }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Receives a stream offer (`receive --out DIR`) into a part file in <paramref name="output"/>
    /// that gets the entry's name (the sender's --name) once verified, like any received file: an
    /// existing name is kept (the stream is saved as "name (1)") unless the folder overwrites.
    /// </summary>
    public async Task<TransferSummary> ReceiveStreamAsync(TransferOffer offer, OutputDirectory output, CancellationToken ct)
    {
        PartFile part = output.CreatePart([offer.Entries[0].Path], notice: _observer.OnNotice);
        bool committed = false;
        try
        {
            using var partSink = new PartSink(part);
            return await ReceiveSingleAsync(offer, partSink, "stream failed verification (its hash did not match): nothing was saved; try again.", () =>
            {
                string saved = output.Commit(part, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 0x1A4, _observer.OnNotice);
                committed = true;
                return ValueTask.FromResult(output.Relative(saved));
            }, ct).ConfigureAwait(false);
        }
        finally
        {
            if (!committed)
            {
                part.Discard(); // a stream cannot be resumed: an unfinished part is of no use
            }
        }
    }

    /// <summary>The single entry of a text or stream offer into <paramref name="sink"/>; <paramref name="verified"/> finishes it and names it for the report.</summary>
    private async Task<TransferSummary> ReceiveSingleAsync(TransferOffer offer, IContentSink sink, string failure, Func<ValueTask<string>> verified, CancellationToken ct)
    {
        using ChunkDecompressor? decompressor = offer.Compression == OfferCompression.Zstd ? new ChunkDecompressor(offer.ChunkSize) : null;
        _decompressor = decompressor;
        long size = offer.Entries[0].Size == TransferOffer.UnknownSize ? -1 : (long)offer.Entries[0].Size;
        using var hasher = Blake3Hasher.New();
        var progress = new TransferProgress(_observer, size < 0 ? null : size);
        Content content = await ReceiveContentAsync(0, size, sink, 0, hasher, progress, ct).ConfigureAwait(false);
        if (!content.Verified)
        {
            await _channel.SendReasonAsync(RecordKind.ReceiverCancel, CancelReason.Integrity, "the stream failed verification", ct).ConfigureAwait(false);
            throw new TallowException(FailureKind.Error, "the received " + failure);
        }

        string path = await verified().ConfigureAwait(false);
        _observer.OnFileCompleted(content.Report(path, 0));
        await ExpectEndAsync(ct).ConfigureAwait(false);
        await _channel.SendAsync(RecordKind.Done, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
        return progress.Summary(1);
    }
}
