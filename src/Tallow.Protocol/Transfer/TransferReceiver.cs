// Receiver side of a transfer (DESIGN.md §8):
//   AwaitOffer → validate every path → (decide) → Accept | Reject
//   → Accept{files, resume offsets} (see ReceivePlan)
//   for each planned entry: folder → create; small fresh files may come together in a FileBatch
//   (TransferReceiver.Batches.cs); file → (Data | DataZstd)* into its part file
//   ("<name>.tallow-part") from its offset while hashing, with a resume checkpoint in
//   "<name>.tallow-resume" every 4 MiB (large files are written behind the loop: PartWriter)
//   → FileDone{hash} must match (constant time)
//   → the open part file gets the final name, mtime and mode applied;
//   a file here with the offered size and time (asked for at offset = size) → FileDone{hash}
//   compared with that file's content: equal → already here; otherwise received again like a
//   resumed file that did not match, and saved as a name clash ("name (1).ext", or --overwrite)
//   → End → [Resend{resumed or checked files that did not match} → those files from 0 → End] → Done.
// Text and streams: TransferReceiver.Streams.cs.
// Nothing is ever written under its final name before its hash is verified.
using System.Security.Cryptography;
using Tallow.Protocol.Records;
using Tallow.Protocol.Session;
using Tallow.Protocol.Transfer.Compression;
using Tallow.Protocol.Transfer.Resume;
using Tallow.Wire;

namespace Tallow.Protocol.Transfer;

public sealed partial class TransferReceiver
{
    private readonly RecordPort _channel;
    private readonly ITransferObserver _observer;

    /// <summary><paramref name="port"/>: the session's IncomingTransfer port (the sender's records arrive there).</summary>
    public TransferReceiver(RecordPort port, ITransferObserver observer)
    {
        _channel = port;
        _observer = observer;
    }

    /// <summary>Waits for the offer and validates it completely; a hostile offer is refused before anything is written.</summary>
    public async Task<TransferOffer> ReceiveOfferAsync(CancellationToken ct)
    {
        Record record = await _channel.ReceiveAsync(ct).ConfigureAwait(false);
        if (record.Kind == RecordKind.Cancel)
        {
            throw TransferSender.PeerCancelled(record);
        }

        if (record.Kind != RecordKind.Offer || !TransferOffer.TryParse(record.Body.Span, out TransferOffer? offer))
        {
            await _channel.SendReasonAsync(RecordKind.ReceiverCancel, CancelReason.Protocol, "malformed offer", ct).ConfigureAwait(false);
            throw new TallowException(FailureKind.Error, "the sender's offer was malformed: the transfer was refused.");
        }

        EntryType? single = offer!.Kind switch
        {
            TransferKind.Files => null,
            TransferKind.Sync or TransferKind.Watch => EntryType.Directory, // the folder the rounds mirror (RecordGroup.Sync)
            _ => EntryType.File,
        };
        if ((single is not null && (offer.Entries.Count != 1 || offer.Entries[0].Type != single || offer.Entries[0].Path.Contains('/', StringComparison.Ordinal)))
            || !HasPlausibleSizes(offer))
        {
            await _channel.SendReasonAsync(RecordKind.ReceiverCancel, CancelReason.Protocol, "malformed offer", ct).ConfigureAwait(false);
            throw new TallowException(FailureKind.Error, "the sender's offer was malformed: the transfer was refused.");
        }

        foreach (OfferEntry entry in offer.Entries)
        {
            if (!PathSanitizer.IsSafePath(entry.Path, out string reason))
            {
                await _channel.SendReasonAsync(RecordKind.ReceiverCancel, CancelReason.Protocol, "unsafe path in offer", ct).ConfigureAwait(false);
                throw new TallowException(FailureKind.FileSystem, $"the sender offered an unsafe path '{PathSanitizer.Printable(entry.Path)}' ({reason}): the transfer was refused and nothing was written.");
            }
        }

        return offer;
    }

    /// <summary>
    /// Only a stream may have an unknown size; every other size must fit a long, and so must the
    /// total (otherwise the free-space check and the per-file bound on received data are bypassed).
    /// </summary>
    private static bool HasPlausibleSizes(TransferOffer offer)
    {
        ulong total = 0;
        foreach (OfferEntry entry in offer.Entries)
        {
            if (entry.Type != EntryType.File)
            {
                continue;
            }

            if (entry.Size == TransferOffer.UnknownSize)
            {
                if (offer.Kind != TransferKind.Stream)
                {
                    return false;
                }

                continue;
            }

            if (entry.Size > long.MaxValue)
            {
                return false;
            }

            total += entry.Size; // both terms ≤ long.MaxValue: no ulong overflow
            if (total > long.MaxValue)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Accepts everything from the start (text, streams, or a receive without resume).</summary>
    public Task AcceptAsync(CancellationToken ct) => _channel.SendAsync(RecordKind.Accept, ReadOnlyMemory<byte>.Empty, ct).AsTask();

    /// <summary>Accepts the planned files, each from its resume offset.</summary>
    public async Task AcceptAsync(ReceivePlan plan, CancellationToken ct)
    {
        AcceptMessage accept = plan.ToAccept();
        int size = accept.GetSize();
        using (var buffer = new RecordBuffer(size))
        {
            accept.Write(buffer.Body.Span);
            await _channel.SendAsync(buffer, RecordKind.Accept, size, ct).ConfigureAwait(false);
        }

        IdleCollection.AfterOffer(plan.Files.Count);
    }

    public Task RejectAsync(string reason, CancellationToken ct) => _channel.SendReasonAsync(RecordKind.Reject, CancelReason.Declined, reason, ct);

    /// <summary>Receives every entry of a Files offer into the output directory (after <see cref="AcceptAsync(CancellationToken)"/>).</summary>
    public async Task<TransferSummary> ReceiveFilesAsync(TransferOffer offer, OutputDirectory output, CancellationToken ct)
    {
        using ReceivePlan plan = ReceivePlan.Everything(offer);
        return await ReceiveFilesAsync(offer, plan, output, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Receives the planned files of a Files offer (after <see cref="AcceptAsync(ReceivePlan, CancellationToken)"/>).
    /// A resumed file whose whole-file hash does not match is discarded and asked for again from
    /// the start after the last file (Resend); any other mismatch stops the transfer.
    /// </summary>
    public async Task<TransferSummary> ReceiveFilesAsync(TransferOffer offer, ReceivePlan plan, OutputDirectory output, CancellationToken ct)
    {
        using ChunkDecompressor? decompressor = offer.Compression == OfferCompression.Zstd ? new ChunkDecompressor(offer.ChunkSize) : null;
        _decompressor = decompressor;
        var progress = new TransferProgress(_observer, plan.BytesToReceive);
        var folders = new List<(string Path, long Modified)>();
        var resend = new List<PlannedFile>();
        int saved = 0;
        int next = 0;
        string[]? components = null;
        for (int i = 0; i < offer.Entries.Count; i++)
        {
            OfferEntry entry = offer.Entries[i];
            PathSanitizer.TrySplit(entry.Path, components, out components, out _);
            if (entry.Type == EntryType.Directory)
            {
                if (plan.IncludesFolder(i))
                {
                    folders.Add((output.EnsureDirectory(components), entry.ModifiedUnixSeconds));
                }

                continue;
            }

            if (next < plan.Files.Count && plan.Files[next].Index == i && Batchable(offer, plan.Files[next]))
            {
                int batched = await TryReceiveBatchAsync(offer, plan, next, output, progress, ct).ConfigureAwait(false);
                next += batched; // this file and the planned files after it, saved
                saved += batched;
                if (batched > 0)
                {
                    continue;
                }
            }

            if (next < plan.Files.Count && plan.Files[next].Index == i)
            {
                PlannedFile file = plan.Files[next++];
                FileOutcome outcome = file.CheckExisting
                    ? await CheckExistingAsync(entry, file, components, output, progress, ct).ConfigureAwait(false)
                    : await ReceiveFileAsync(entry, file, components, output, progress, ct).ConfigureAwait(false);
                saved += outcome == FileOutcome.Saved ? 1 : 0;
                if (outcome == FileOutcome.ReceiveAgain)
                {
                    resend.Add(file with { Offset = 0, Resume = null, CheckExisting = false });
                }
            }
        }

        await ExpectEndAsync(ct).ConfigureAwait(false);
        if (resend.Count > 0)
        {
            progress.Grow(resend.Sum(f => (long)offer.Entries[f.Index].Size));
            ResendMessage message = new(resend.Select(f => (uint)f.Index).ToArray());
            byte[] body = new byte[message.GetSize()];
            message.Write(body);
            await _channel.SendAsync(RecordKind.Resend, body, ct).ConfigureAwait(false);
            foreach (PlannedFile file in resend)
            {
                OfferEntry entry = offer.Entries[file.Index];
                PathSanitizer.TrySplit(entry.Path, out string[] parts, out _);
                await ReceiveFileAsync(entry, file, parts, output, progress, ct).ConfigureAwait(false); // from 0: saved or thrown
                saved++;
            }

            await ExpectEndAsync(ct).ConfigureAwait(false);
        }

        await _channel.SendAsync(RecordKind.Done, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
        for (int i = folders.Count - 1; i >= 0; i--)
        {
            OutputDirectory.SetFolderTime(folders[i].Path, folders[i].Modified); // deepest first: their own content is final
        }

        return progress.Summary(saved);
    }

    private enum FileOutcome
    {
        Saved,
        AlreadyHere,
        ReceiveAgain,
    }

    /// <summary>
    /// A file here with the offered size and time: only FileDone comes, and the file counts as
    /// already here only when its content hashes to the sender's whole-file hash.
    /// </summary>
    private async Task<FileOutcome> CheckExistingAsync(OfferEntry entry, PlannedFile file, string[] components, OutputDirectory output, TransferProgress progress, CancellationToken ct)
    {
        Blake3Hasher? existing = output.HashExisting(components, file.Offset, _observer.OnNotice, ct);
        Blake3Hasher hasher = existing ?? Blake3Hasher.New(); // unreadable: FileDone is still read, and nothing matches
        try
        {
            using var nothingToWrite = new StreamSink(Stream.Null);
            Content content = await ReceiveContentAsync((uint)file.Index, (long)entry.Size, nothingToWrite, file.Offset, hasher, progress, ct).ConfigureAwait(false);
            if (existing is not null && content.Verified)
            {
                _observer.OnResume(entry.Path, file.Offset, file.Offset);
                return FileOutcome.AlreadyHere;
            }
        }
        finally
        {
            hasher.Dispose();
        }

        _observer.OnNotice(existing is null
            ? $"'{PathSanitizer.Printable(entry.Path)}' is here with the same size and time but could not be read to compare it: receiving the sender's file"
            : $"'{PathSanitizer.Printable(entry.Path)}' is here with the same size and time but not the sender's content: receiving the sender's file");
        return FileOutcome.ReceiveAgain;
    }

    /// <summary>Receives one file into its part file and commits it; ReceiveAgain when a resumed file failed its whole-file check.</summary>
    private async Task<FileOutcome> ReceiveFileAsync(OfferEntry entry, PlannedFile file, string[] components, OutputDirectory output, TransferProgress progress, CancellationToken ct)
    {
        byte[] identity = ResumeSidecar.IdentityOf(entry);
        PartFile part = file.Resume is { } held ? output.ResumePart(held, identity) : output.CreatePart(components, identity, (long)entry.Size, _observer.OnNotice);
        Blake3Hasher hasher = file.Resume?.Prefix ?? Blake3Hasher.New();
        Content content;
        try
        {
            using IContentSink sink = ContentSinks.ForPart(part, file.Offset, (long)entry.Size);
            content = await ReceiveContentAsync((uint)file.Index, (long)entry.Size, sink, file.Offset, hasher, progress, ct).ConfigureAwait(false);
        }
        catch
        {
            part.Dispose(); // the part file and its sidecar stay for a later resume; it never gets the final name
            throw;
        }
        finally
        {
            hasher.Dispose();
        }

        if (!content.Verified)
        {
            part.Discard();
            if (file.Offset > 0)
            {
                _observer.OnNotice($"'{PathSanitizer.Printable(entry.Path)}' did not match the part received earlier (the sender's file changed): it was discarded and is received again from the start");
                return FileOutcome.ReceiveAgain;
            }

            await _channel.SendReasonAsync(RecordKind.ReceiverCancel, CancelReason.Integrity, "a file failed verification", ct).ConfigureAwait(false);
            throw new TallowException(FailureKind.Error, $"'{PathSanitizer.Printable(entry.Path)}' failed verification (its hash did not match): it was discarded. Try the transfer again.");
        }

        string saved = output.Commit(part, entry.ModifiedUnixSeconds, entry.Mode, _observer.OnNotice);
        _observer.OnFileCompleted(content.Report(output.Relative(saved, entry.Path), file.Offset));
        return FileOutcome.Saved;
    }

    private ChunkDecompressor? _decompressor;


    private readonly record struct Content(long Size, bool Verified, byte[] Hash, long WireBytes, int Chunks, int CompressedChunks)
    {
        public FileReport Report(string path, long resumedFrom) => new(path, Size, Hash, resumedFrom, WireBytes, Chunks, CompressedChunks);
    }

    /// <summary>Bytes between resume checkpoints of a part file (a kill loses at most this much).</summary>
    private const long CheckpointBytes = 4L * 1024 * 1024;

    /// <summary>
    /// Receives Data/DataZstd records from <paramref name="start"/> up to the known size (or until
    /// FileDone when the size is unknown) and checks FileDone against the running hash.
    /// </summary>
    private async Task<Content> ReceiveContentAsync(uint index, long size, IContentSink sink, long start, Blake3Hasher hasher, TransferProgress progress, CancellationToken ct)
    {
        long written = start;
        long checkpointed = start;
        long wire = 0;
        int chunks = 0, compressed = 0;
        Record record;
        while (true)
        {
            record = await NextRecordAsync(ct).ConfigureAwait(false);
            if (size >= 0 && written == size)
            {
                break;
            }

            ReadOnlyMemory<byte> data;
            if (record.Kind == RecordKind.Data)
            {
                data = record.Body;
            }
            else if (record.Kind == RecordKind.DataZstd && _decompressor is not null)
            {
                if (!_decompressor.TryDecompress(record.Body.Span, size >= 0 ? size - written : long.MaxValue, out data))
                {
                    throw await ProtocolViolationAsync("a compressed chunk that does not expand within its file", ct).ConfigureAwait(false);
                }

                compressed++;
            }
            else
            {
                break;
            }

            if (size >= 0 && data.Length > size - written)
            {
                throw await ProtocolViolationAsync("more data than offered", ct).ConfigureAwait(false);
            }

            hasher.Update(data.Span);
            await sink.WriteAsync(data, written, ct).ConfigureAwait(false);
            written += data.Length;
            wire += record.Body.Length;
            chunks++;
            if (written - checkpointed >= CheckpointBytes)
            {
                sink.Checkpoint(written, hasher);
                checkpointed = written;
            }

            progress.Add(data.Length, record.Body.Length);
        }

        if (record.Kind == RecordKind.Cancel)
        {
            throw TransferSender.PeerCancelled(record);
        }

        if (record.Kind != RecordKind.FileDone || !FileDoneMessage.TryParse(record.Body.Span, out FileDoneMessage fileDone)
            || fileDone.Index != index || (size >= 0 && fileDone.Size != (ulong)size))
        {
            throw await ProtocolViolationAsync("expected the end of a file", ct).ConfigureAwait(false);
        }

        await sink.CompleteAsync(ct).ConfigureAwait(false);
        byte[] hash = new byte[FileDoneMessage.HashSize];
        hasher.Digest(hash);
        bool verified = fileDone.Size == (ulong)written && CryptographicOperations.FixedTimeEquals(hash, fileDone.Hash);
        return new Content(written, verified, hash, wire, chunks, compressed);
    }

    private async Task ExpectEndAsync(CancellationToken ct)
    {
        Record end = await NextRecordAsync(ct).ConfigureAwait(false);
        if (end.Kind == RecordKind.Cancel)
        {
            throw TransferSender.PeerCancelled(end);
        }

        if (end.Kind != RecordKind.End)
        {
            throw await ProtocolViolationAsync("expected the end of the transfer", ct).ConfigureAwait(false);
        }
    }

    private async Task<TallowException> ProtocolViolationAsync(string what, CancellationToken ct)
    {
        await _channel.SendReasonAsync(RecordKind.ReceiverCancel, CancelReason.Protocol, what, ct).ConfigureAwait(false);
        return new TallowException(FailureKind.Error, $"the sender broke the protocol ({what}): the transfer was stopped and the incomplete file was not kept under its name.");
    }
}
