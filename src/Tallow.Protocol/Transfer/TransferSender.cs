// Sender side of a transfer (DESIGN.md §8):
//   SendOffer → AwaitAnswer ─Reject→ Declined
//                  └Accept{files, offsets}→ for each accepted file: (Data | DataZstd)* from its
//                     offset, FileDone{whole-file hash}; small fresh files together in
//                     FileBatch records instead (FileBatcher) → End
//   → Done → Complete
//   → Resend{resumed files} → those files from 0 → End → Done → Complete
// File content goes through ChunkPipeline (read, hash, compress and send overlap) and is never
// held whole in memory. A file resumed at offset N is sent from N at once; its whole-file hash
// is computed by a second, parallel read of the file, so the first byte does not wait for it.
// Offset = size: the receiver holds every byte (a file here with the same size and time whose
// content it compares with the hash, or a complete part) and needs only FileDone; such a file is
// reported and counted as sent only if the receiver asks for it again (Resend).
using Microsoft.Win32.SafeHandles;
using Tallow.Protocol.Records;
using Tallow.Protocol.Session;
using Tallow.Protocol.Transfer.Compression;
using Tallow.Wire;

namespace Tallow.Protocol.Transfer;

public sealed class TransferSender
{
    private readonly RecordPort _channel;
    private readonly ITransferObserver _observer;
    private readonly CompressionMode _compression;

    /// <summary><paramref name="port"/>: the session's OutgoingTransfer port (the receiver's answers arrive there).</summary>
    public TransferSender(RecordPort port, ITransferObserver observer, CompressionMode compression = CompressionMode.Auto)
    {
        _channel = port;
        _observer = observer;
        _compression = compression;
    }

    /// <summary>
    /// Runs after the receiver accepted and before any content moves, with the bytes left to send
    /// (null: a stream of unknown length): where the command tries the direct path, knowing that
    /// only a small remainder is left after the receiver's selection, resumes and files it has.
    /// </summary>
    public Func<long?, CancellationToken, Task>? BeforeContent { get; init; }

    /// <summary>Sends files; <paramref name="localPaths"/> maps entry index to a local file (null for folders).</summary>
    public async Task<TransferSummary> SendFilesAsync(TransferOffer offer, IReadOnlyList<string?> localPaths, CancellationToken ct)
    {
        offer = WithCompression(offer);
        IReadOnlyList<AcceptedFile> accepted = await OfferAsync(offer, ct).ConfigureAwait(false);
        long bytesLeft = accepted.Sum(f => (long)(offer.Entries[(int)f.Index].Size - f.Offset));
        await RunBeforeContentAsync(bytesLeft, ct).ConfigureAwait(false);
        offer = AfterBeforeContent(offer);
        _observer.OnOfferAccepted();
        var progress = new TransferProgress(_observer, bytesLeft);
        using var pipeline = new ChunkPipeline(offer.ChunkSize, Mode(offer));
        using FileBatcher? batcher = offer.Batches ? new FileBatcher(_channel, _observer, progress, offer.ChunkSize, Mode(offer)) : null;
        foreach (AcceptedFile file in accepted)
        {
            OfferEntry entry = offer.Entries[(int)file.Index];
            if (batcher is not null && batcher.Takes(entry.Size, file.Offset))
            {
                await batcher.AddAsync(file.Index, (int)entry.Size, localPaths[(int)file.Index]!, entry.Path, ct).ConfigureAwait(false);
                continue;
            }

            if (batcher is not null)
            {
                await batcher.FlushAsync(ct).ConfigureAwait(false); // files go in offer order
            }

            if (file.Offset > 0 && !IsContentCheck(offer, file))
            {
                _observer.OnResume(entry.Path, (long)file.Offset, (long)entry.Size);
            }

            await SendFileAsync(offer, file, localPaths, pipeline, progress, ct).ConfigureAwait(false);
        }

        if (batcher is not null)
        {
            await batcher.FlushAsync(ct).ConfigureAwait(false);
        }

        await _channel.SendAsync(RecordKind.End, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
        Record reply = await _channel.ReceiveAsync(ct).ConfigureAwait(false);
        IReadOnlyList<uint> resent = [];
        if (reply.Kind == RecordKind.Resend)
        {
            IReadOnlyList<uint> again = ParseResend(reply, accepted) ?? throw await ProtocolViolationAsync("an invalid request to send files again", ct).ConfigureAwait(false);
            resent = again;
            progress.Grow(again.Sum(i => (long)offer.Entries[(int)i].Size));
            foreach (uint index in again)
            {
                _observer.OnNotice($"the receiver's earlier copy of '{PathSanitizer.Printable(offer.Entries[(int)index].Path)}' did not match this file: sending it again from the start");
                await SendFileAsync(offer, new AcceptedFile(index, 0), localPaths, pipeline, progress, ct).ConfigureAwait(false);
            }

            await _channel.SendAsync(RecordKind.End, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
            reply = await _channel.ReceiveAsync(ct).ConfigureAwait(false);
        }

        ExpectDone(reply);
        // A checked file counts only when it had to be sent after all.
        HashSet<uint> checks = accepted.Where(f => IsContentCheck(offer, f)).Select(f => f.Index).ToHashSet();
        return progress.Summary(accepted.Count - checks.Count + resent.Count(checks.Contains));
    }

    /// <summary>The receiver has the file with the offered size and time and only wants its whole-file hash.</summary>
    private static bool IsContentCheck(TransferOffer offer, AcceptedFile file) => file.Offset > 0 && file.Offset == offer.Entries[(int)file.Index].Size;

    /// <summary>Sends text or a stream of unknown length (stdin) as the offer's single entry.</summary>
    public async Task<TransferSummary> SendStreamAsync(TransferOffer offer, Stream source, CancellationToken ct)
    {
        offer = WithCompression(offer);
        IReadOnlyList<AcceptedFile> accepted = await OfferAsync(offer, ct).ConfigureAwait(false);
        if (accepted.Count != 1 || accepted[0].Offset != 0)
        {
            throw await ProtocolViolationAsync("a partial answer to a stream", ct).ConfigureAwait(false);
        }

        long length = offer.Entries[0].Size == TransferOffer.UnknownSize ? -1 : (long)offer.Entries[0].Size;
        await RunBeforeContentAsync(length < 0 ? null : length, ct).ConfigureAwait(false);
        offer = AfterBeforeContent(offer);
        _observer.OnOfferAccepted();
        var progress = new TransferProgress(_observer, length < 0 ? null : length);
        using var pipeline = new ChunkPipeline(offer.ChunkSize, Mode(offer));
        using var hasher = Blake3Hasher.New();
        ChunkPipeline.Totals totals = await StreamAsync(pipeline, 0, source, length, 0, hasher, progress, ct).ConfigureAwait(false);
        byte[] hash = await SendFileDoneAsync(0, totals.ContentBytes, hasher, ct).ConfigureAwait(false);
        _observer.OnFileCompleted(Report(offer.Entries[0].Path, totals, hash, 0));
        await _channel.SendAsync(RecordKind.End, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
        ExpectDone(await _channel.ReceiveAsync(ct).ConfigureAwait(false));
        return progress.Summary(1);
    }

    private Task RunBeforeContentAsync(long? bytesLeft, CancellationToken ct) => BeforeContent?.Invoke(bytesLeft, ct) ?? Task.CompletedTask;

    /// <summary>
    /// Asked after BeforeContent (which ran the P2P negotiation): true when the peer reads raw chunks
    /// only (a web page), so no chunk or batch is compressed although the offer allowed zstd.
    /// </summary>
    public Func<bool>? RawOnly { get; init; }

    private TransferOffer AfterBeforeContent(TransferOffer offer) =>
        RawOnly?.Invoke() == true ? offer with { Compression = OfferCompression.None } : offer;

    /// <summary>Compression as asked; a Files offer also says its small files may come in batches.</summary>
    private TransferOffer WithCompression(TransferOffer offer) => offer with
    {
        Compression = _compression == CompressionMode.Never ? OfferCompression.None : OfferCompression.Zstd,
        Batches = offer.Kind == TransferKind.Files && Batching,
    };

    /// <summary>Small files of a Files offer go in FileBatch records (off: one Data and FileDone per file, as before batching).</summary>
    public bool Batching { get; init; } = true;

    private CompressionMode Mode(TransferOffer offer) => offer.Compression == OfferCompression.None ? CompressionMode.Never : _compression;

    /// <summary>Sends one accepted file from its offset, then FileDone with the hash of the whole file.</summary>
    private async Task SendFileAsync(TransferOffer offer, AcceptedFile file, IReadOnlyList<string?> localPaths, ChunkPipeline pipeline, TransferProgress progress, CancellationToken ct)
    {
        int index = (int)file.Index;
        OfferEntry entry = offer.Entries[index];
        string path = localPaths[index]!;
        long offset = (long)file.Offset;
        Stream source = await OpenAsync(path, offset, ct).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            using var inline = offset == 0 ? Blake3Hasher.New() : null;
            using var stopHashing = CancellationTokenSource.CreateLinkedTokenSource(ct);
            Task<byte[]>? whole = offset == 0 ? null : Task.Run(() => HashWholeFile(path, stopHashing.Token), stopHashing.Token);
            try
            {
                ChunkPipeline.Totals totals = await StreamAsync(pipeline, (uint)index, source, (long)entry.Size - offset, offset, inline, progress, ct).ConfigureAwait(false);
                byte[] hash = inline is not null
                    ? await SendFileDoneAsync((uint)index, (long)entry.Size, inline, ct).ConfigureAwait(false)
                    : await SendFileDoneAsync((uint)index, (long)entry.Size, await whole!.ConfigureAwait(false), ct).ConfigureAwait(false);
                if (!IsContentCheck(offer, file))
                {
                    _observer.OnFileCompleted(Report(entry.Path, totals, hash, offset));
                }
            }
            finally
            {
                if (whole is not null && !whole.IsCompleted)
                {
                    await stopHashing.CancelAsync().ConfigureAwait(false);
                    await Task.WhenAny(whole).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task<Stream> OpenAsync(string path, long offset, CancellationToken ct)
    {
        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0, FileOptions.SequentialScan);
            stream.Position = offset;
            return stream;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw await ReadFailedAsync(_channel, path, ex, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Tells the receiver a file could not be read; the error for this side.</summary>
    internal static async Task<TallowException> ReadFailedAsync(RecordPort channel, string path, Exception ex, CancellationToken ct)
    {
        await channel.SendReasonAsync(RecordKind.Cancel, CancelReason.FileSystem, "the sender could not read a file", ct).ConfigureAwait(false);
        return new TallowException(FailureKind.FileSystem, $"cannot read '{path}': {ex.Message}", ex);
    }

    /// <summary>Tells the receiver a file ended before its offered size; the error for this side.</summary>
    internal static async Task<TallowException> ChangedWhileSendingAsync(RecordPort channel, CancellationToken ct)
    {
        await channel.SendReasonAsync(RecordKind.Cancel, CancelReason.FileSystem, "a file changed while it was being sent", ct).ConfigureAwait(false);
        return new TallowException(FailureKind.FileSystem, "a file became shorter while it was being sent: send it again when it is no longer being written.");
    }

    /// <summary>
    /// Streams exactly <paramref name="length"/> bytes (or to the end when it is -1). A source
    /// that ends early fails; growth after the offer is ignored.
    /// </summary>
    private async Task<ChunkPipeline.Totals> StreamAsync(ChunkPipeline pipeline, uint index, Stream source, long length, long offset, Blake3Hasher? hasher, TransferProgress progress, CancellationToken ct)
    {
        ChunkPipeline.Totals totals = await pipeline.RunAsync(
            source,
            length,
            hasher,
            (buffer, kind, bodyLength) => _channel.SendAsync(buffer, kind, bodyLength, ct),
            progress.Add,
            ct).ConfigureAwait(false);
        if (length >= 0 && totals.ContentBytes != length)
        {
            throw await ChangedWhileSendingAsync(_channel, ct).ConfigureAwait(false);
        }

        return totals with { ContentBytes = offset + totals.ContentBytes };
    }

    /// <summary>The BLAKE3 of a whole file, read separately from the stream that is being sent.</summary>
    private static byte[] HashWholeFile(string path, CancellationToken ct)
    {
        using var hasher = Blake3Hasher.New();
        try
        {
            using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.SequentialScan);
            FileHashing.HashPrefix(handle, RandomAccess.GetLength(handle), hasher, ct);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TallowException(FailureKind.FileSystem, $"reading '{path}' failed: {ex.Message}", ex);
        }

        byte[] hash = new byte[FileDoneMessage.HashSize];
        hasher.Digest(hash);
        return hash;
    }

    private Task<byte[]> SendFileDoneAsync(uint index, long size, Blake3Hasher hasher, CancellationToken ct)
    {
        byte[] hash = new byte[FileDoneMessage.HashSize];
        hasher.Digest(hash);
        return SendFileDoneAsync(index, size, hash, ct);
    }

    private async Task<byte[]> SendFileDoneAsync(uint index, long size, byte[] hash, CancellationToken ct)
    {
        byte[] body = new byte[FileDoneMessage.EncodedSize];
        new FileDoneMessage(index, (ulong)size, hash).Write(body);
        await _channel.SendAsync(RecordKind.FileDone, body, ct).ConfigureAwait(false);
        return hash;
    }

    private static FileReport Report(string path, ChunkPipeline.Totals totals, byte[] hash, long offset) =>
        new(path, totals.ContentBytes, hash, offset, totals.WireBytes, totals.Chunks, totals.CompressedChunks);

    /// <summary>Sends the offer and returns the files the receiver accepted (all from 0 for an empty Accept).</summary>
    private async Task<IReadOnlyList<AcceptedFile>> OfferAsync(TransferOffer offer, CancellationToken ct)
    {
        int size = offer.GetSize();
        if (size > SecureChannel.MaxBodySize)
        {
            throw new TallowException(FailureKind.Usage, $"too many files for one transfer ({offer.Entries.Count}): send them in smaller groups.");
        }

        // Written where it is sealed: an offer of 100,000 entries is megabytes, and a second
        // large array for the copy started a full collection on the way (perf).
        using (var buffer = new RecordBuffer(size))
        {
            offer.Write(buffer.Body.Span);
            await _channel.SendAsync(buffer, RecordKind.Offer, size, ct).ConfigureAwait(false);
        }

        IdleCollection.AfterOffer(offer.Entries.Count);

        Record answer = await _channel.ReceiveAsync(ct).ConfigureAwait(false);
        switch (answer.Kind)
        {
            case RecordKind.Accept when answer.Body.Length == 0:
                return offer.Entries.Select((e, i) => (e, i)).Where(x => x.e.Type == EntryType.File).Select(x => new AcceptedFile((uint)x.i, 0)).ToArray();
            case RecordKind.Accept:
                if (!AcceptMessage.TryParse(answer.Body.Span, out AcceptMessage? accept) || !accept!.IsValidFor(offer, out string reason))
                {
                    throw await ProtocolViolationAsync("an invalid answer to the offer", ct).ConfigureAwait(false);
                }

                return accept.Files;
            case RecordKind.Reject:
                string why = ReasonMessage.TryParse(answer.Body.Span, out ReasonMessage rejection) && rejection.Text.Length > 0 ? $" ({PathSanitizer.Printable(rejection.Text)})" : string.Empty;
                throw new TallowException(FailureKind.Declined, $"the receiver declined the transfer{why}.");
            case RecordKind.ReceiverCancel:
                throw PeerCancelled(answer);
            default:
                throw UnexpectedRecord(answer.Kind);
        }
    }

    /// <summary>Resend may name only files that were resumed (offset &gt; 0), each once, in order.</summary>
    private static IReadOnlyList<uint>? ParseResend(Record reply, IReadOnlyList<AcceptedFile> accepted)
    {
        if (!ResendMessage.TryParse(reply.Body.Span, out ResendMessage? resend) || resend!.Indices.Count == 0)
        {
            return null;
        }

        var resumed = accepted.Where(f => f.Offset > 0).Select(f => f.Index).ToHashSet();
        long previous = -1;
        foreach (uint index in resend.Indices)
        {
            if (index <= previous || !resumed.Contains(index))
            {
                return null;
            }

            previous = index;
        }

        return resend.Indices;
    }

    private static void ExpectDone(Record reply)
    {
        if (reply.Kind == RecordKind.ReceiverCancel)
        {
            throw PeerCancelled(reply);
        }

        if (reply.Kind != RecordKind.Done)
        {
            throw UnexpectedRecord(reply.Kind);
        }
    }

    private async Task<TallowException> ProtocolViolationAsync(string what, CancellationToken ct)
    {
        await _channel.SendReasonAsync(RecordKind.Cancel, CancelReason.Protocol, what, ct).ConfigureAwait(false);
        return new TallowException(FailureKind.Error, $"the receiver broke the protocol ({what}): the transfer was stopped.");
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
