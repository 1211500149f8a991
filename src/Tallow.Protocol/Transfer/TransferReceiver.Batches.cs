// Receiver side of FileBatch (protocol.md "Small files"): where the plan expects a fresh file
// of an offer that may batch, the next record is looked at first. A FileBatch carries that file
// and the planned files right after it, whole; each must be exactly the next planned file
// (fresh: not resumed, not a content check), with its offered size. Every file's BLAKE3 is
// checked against its content before anything is created; the files up to the first that fails
// are saved (OutputDirectory.SaveVerified: time, mode and the final name, several at once, no
// resume sidecar: the content is complete and verified) and reported in order, then the failure
// stops the transfer, as after a FileDone. Any other record is kept for the per-file path
// (ReceiveContentAsync reads it first).
using System.Security.Cryptography;
using Tallow.Protocol.Records;
using Tallow.Wire;

namespace Tallow.Protocol.Transfer;

public sealed partial class TransferReceiver
{
    private Record? _peeked;

    /// <summary>The record looked at by <see cref="TryReceiveBatchAsync"/> and not used there, else the next one.</summary>
    private ValueTask<Record> NextRecordAsync(CancellationToken ct)
    {
        if (_peeked is Record peeked)
        {
            _peeked = null;
            return ValueTask.FromResult(peeked);
        }

        return _channel.ReceiveAsync(ct);
    }

    /// <summary>A planned file the sender may put in a batch (it decides the same from the Accept).</summary>
    private static bool Batchable(TransferOffer offer, PlannedFile file) =>
        offer.Batches && file.Offset == 0 && !file.CheckExisting && file.Resume is null && offer.Entries[file.Index].Size > 0;

    /// <summary>
    /// Receives a FileBatch that starts with <c>plan.Files[next]</c> and returns how many planned
    /// files it saved; 0 when the next record is not a batch (it is kept for the per-file path).
    /// </summary>
    private async Task<int> TryReceiveBatchAsync(TransferOffer offer, ReceivePlan plan, int next, OutputDirectory output, TransferProgress progress, CancellationToken ct)
    {
        Record record = await NextRecordAsync(ct).ConfigureAwait(false);
        if (record.Kind != RecordKind.FileBatch)
        {
            _peeked = record;
            return 0;
        }

        if (!TryOpenBatch(record.Body, out ReadOnlyMemory<byte> payload, out bool packed)
            || !FileBatchMessage.TryParse(payload, out BatchedFile[] files, out int contentStart)
            || !MatchesPlan(offer, plan, next, files))
        {
            throw await ProtocolViolationAsync("a batch of files that does not match the offer", ct).ConfigureAwait(false);
        }

        // Every file's hash at once (Blake3Batch: the small ones share SIMD lanes).
        var inputs = new (int Offset, int Length)[files.Length];
        for (int i = 0, position = contentStart; i < files.Length; position += (int)files[i].Size, i++)
        {
            inputs[i] = (position, (int)files[i].Size);
        }

        byte[] hashes = new byte[files.Length * Blake3Batch.HashSize];
        Blake3Batch.Hash(payload.Span, inputs, hashes);
        int good = 0;
        while (good < files.Length && CryptographicOperations.FixedTimeEquals(hashes.AsSpan(good * Blake3Batch.HashSize, Blake3Batch.HashSize), files[good].Hash.Span))
        {
            good++;
        }

        var verified = new VerifiedFile[good];
        string[]? components = null;
        for (int i = 0; i < good; i++)
        {
            OfferEntry entry = offer.Entries[(int)files[i].Index];
            PathSanitizer.TrySplit(entry.Path, components, out components, out _);
            verified[i] = new VerifiedFile(components, payload.Slice(inputs[i].Offset, inputs[i].Length), entry);
        }

        SavedFile[] saved = output.SaveVerified(verified);
        TallowException? failure = null;
        for (int i = 0; i < good; i++)
        {
            saved[i].Notices?.ForEach(_observer.OnNotice);
            if (saved[i].Path is not { } path)
            {
                failure ??= saved[i].Failure;
                continue;
            }

            BatchedFile file = files[i];
            long wire = (long)file.Size * record.Body.Length / payload.Length; // its share of the record
            progress.Add(file.Size, wire);
            _observer.OnFileCompleted(new FileReport(output.Relative(path, offer.Entries[(int)file.Index].Path), file.Size, hashes.AsMemory(i * Blake3Batch.HashSize, Blake3Batch.HashSize), 0, wire, 1, packed ? 1 : 0));
        }

        if (failure is not null)
        {
            throw failure;
        }

        if (good < files.Length)
        {
            // The files before the bad one are kept, as after a FileDone.
            await _channel.SendReasonAsync(RecordKind.ReceiverCancel, CancelReason.Integrity, "a file failed verification", ct).ConfigureAwait(false);
            throw new TallowException(FailureKind.Error, $"'{PathSanitizer.Printable(offer.Entries[(int)files[good].Index].Path)}' failed verification (its hash did not match): it was discarded. Try the transfer again.");
        }

        return files.Length;
    }

    /// <summary>The payload of a batch record: raw, or one zstd frame that expands to at most a chunk.</summary>
    private bool TryOpenBatch(ReadOnlyMemory<byte> body, out ReadOnlyMemory<byte> payload, out bool packed)
    {
        payload = ReadOnlyMemory<byte>.Empty;
        packed = false;
        if (body.Length < 2)
        {
            return false;
        }

        switch ((BatchEncoding)body.Span[0])
        {
            case BatchEncoding.Raw:
                payload = body[1..];
                return true;
            case BatchEncoding.Zstd when _decompressor is not null:
                packed = true;
                return _decompressor.TryDecompress(body.Span[1..], long.MaxValue, out payload);
            default:
                return false;
        }
    }

    /// <summary>Each file of the batch is the next planned file, fresh, with its offered (non-zero) size.</summary>
    private static bool MatchesPlan(TransferOffer offer, ReceivePlan plan, int next, BatchedFile[] files)
    {
        if (!offer.Batches || files.Length > plan.Files.Count - next)
        {
            return false;
        }

        for (int k = 0; k < files.Length; k++)
        {
            PlannedFile planned = plan.Files[next + k];
            if (files[k].Index != (uint)planned.Index || !Batchable(offer, planned) || offer.Entries[planned.Index].Size != files[k].Size)
            {
                return false;
            }
        }

        return true;
    }
}
