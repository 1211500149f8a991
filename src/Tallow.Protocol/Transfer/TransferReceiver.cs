// Receiver side of a transfer (DESIGN.md §8):
//   AwaitOffer → validate every path → (decide) → Accept | Reject
//   for each entry: folder → create; file → Data* into "<name>.tallow-part" while hashing
//   → FileDone{hash} must match (constant time) → rename to the final name
//   → End → Done.
// Nothing is ever written under its final name before its hash is verified.
using System.Security.Cryptography;
using Tallow.Protocol.Records;
using Tallow.Wire;

namespace Tallow.Protocol.Transfer;

public sealed class TransferReceiver
{
    private readonly SecureChannel _channel;
    private readonly ITransferObserver _observer;

    public TransferReceiver(SecureChannel channel, ITransferObserver observer)
    {
        _channel = channel;
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
            await _channel.SendReasonAsync(RecordKind.Cancel, CancelReason.Protocol, "malformed offer", ct).ConfigureAwait(false);
            throw new TallowException(FailureKind.Error, "the sender's offer was malformed: the transfer was refused.");
        }

        bool singleEntry = offer!.Kind != TransferKind.Files;
        if ((singleEntry && (offer.Entries.Count != 1 || offer.Entries[0].Type != EntryType.File)) || !HasPlausibleSizes(offer))
        {
            await _channel.SendReasonAsync(RecordKind.Cancel, CancelReason.Protocol, "malformed offer", ct).ConfigureAwait(false);
            throw new TallowException(FailureKind.Error, "the sender's offer was malformed: the transfer was refused.");
        }

        foreach (OfferEntry entry in offer.Entries)
        {
            if (!PathSanitizer.TrySplit(entry.Path, out _, out string reason))
            {
                await _channel.SendReasonAsync(RecordKind.Cancel, CancelReason.Protocol, "unsafe path in offer", ct).ConfigureAwait(false);
                throw new TallowException(FailureKind.FileSystem, $"the sender offered an unsafe path '{PathSanitizer.Printable(entry.Path)}' ({reason}): the transfer was refused and nothing was written.");
            }
        }

        _channel.StartKeepAlive();
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

    public Task AcceptAsync(CancellationToken ct) => _channel.SendAsync(RecordKind.Accept, ReadOnlyMemory<byte>.Empty, ct).AsTask();

    public Task RejectAsync(string reason, CancellationToken ct) => _channel.SendReasonAsync(RecordKind.Reject, CancelReason.Declined, reason, ct);

    /// <summary>Receives every entry of a Files offer into the output directory.</summary>
    public async Task ReceiveFilesAsync(TransferOffer offer, OutputDirectory output, CancellationToken ct)
    {
        long total = (long)offer.TotalSize;
        long done = 0;
        for (int i = 0; i < offer.Entries.Count; i++)
        {
            OfferEntry entry = offer.Entries[i];
            PathSanitizer.TrySplit(entry.Path, out string[] components, out _);
            if (entry.Type == EntryType.Directory)
            {
                output.EnsureDirectory(components);
                continue;
            }

            PartFile part = output.CreatePart(components);
            long written;
            try
            {
                written = await ReceiveContentAsync((uint)i, (long)entry.Size, new PartSink(part), done, total, ct).ConfigureAwait(false);
            }
            catch (IntegrityException)
            {
                part.Dispose();
                File.Delete(part.PartPath);
                throw new TallowException(FailureKind.Error, $"'{PathSanitizer.Printable(entry.Path)}' failed verification (its hash did not match): it was discarded. Try the transfer again.");
            }
            catch
            {
                part.Dispose(); // the part file stays for a later resume; it never gets the final name
                throw;
            }

            string saved = output.Commit(part, entry.ModifiedUnixSeconds, entry.Mode, _observer.OnNotice);
            done += written;
            _observer.OnFileCompleted(output.Relative(saved), written, _lastHashHex);
        }

        await FinishAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Receives a text or stream offer into <paramref name="sink"/> (stdout).</summary>
    public async Task ReceiveStreamAsync(TransferOffer offer, Stream sink, CancellationToken ct)
    {
        long size = offer.Entries[0].Size == TransferOffer.UnknownSize ? -1 : (long)offer.Entries[0].Size;
        long written;
        try
        {
            written = await ReceiveContentAsync(0, size, new StreamSink(sink), 0, size < 0 ? null : size, ct).ConfigureAwait(false);
        }
        catch (IntegrityException)
        {
            throw new TallowException(FailureKind.Error, "the received stream failed verification (its hash did not match): discard what was printed and try again.");
        }

        await sink.FlushAsync(ct).ConfigureAwait(false);
        _observer.OnFileCompleted(offer.Entries[0].Path, written, _lastHashHex);
        await FinishAsync(ct).ConfigureAwait(false);
    }

    private string _lastHashHex = string.Empty;

    /// <summary>Receives Data records up to the known size (or until FileDone when the size is unknown) and verifies FileDone.</summary>
    private async Task<long> ReceiveContentAsync(uint index, long size, IContentSink sink, long doneBefore, long? total, CancellationToken ct)
    {
        using var hasher = Blake3.Hasher.New();
        long written = 0;
        Record record;
        while (true)
        {
            if (size >= 0 && written == size)
            {
                record = await _channel.ReceiveAsync(ct).ConfigureAwait(false);
                break;
            }

            record = await _channel.ReceiveAsync(ct).ConfigureAwait(false);
            if (record.Kind != RecordKind.Data)
            {
                break;
            }

            if (size >= 0 && record.Body.Length > size - written)
            {
                throw await ProtocolViolationAsync("more data than offered", ct).ConfigureAwait(false);
            }

            hasher.Update(record.Body.Span);
            await sink.WriteAsync(record.Body, written, ct).ConfigureAwait(false);
            written += record.Body.Length;
            _observer.OnProgress(doneBefore + written, total);
        }

        if (record.Kind == RecordKind.Cancel)
        {
            throw TransferSender.PeerCancelled(record);
        }

        if (record.Kind != RecordKind.FileDone || !FileDoneMessage.TryParse(record.Body.Span, out FileDoneMessage fileDone))
        {
            throw await ProtocolViolationAsync("expected the end of a file", ct).ConfigureAwait(false);
        }

        byte[] hash = new byte[FileDoneMessage.HashSize];
        hasher.Finalize(hash);
        if (fileDone.Index != index || fileDone.Size != (ulong)written || (size >= 0 && written != size)
            || !CryptographicOperations.FixedTimeEquals(hash, fileDone.Hash))
        {
            await _channel.SendReasonAsync(RecordKind.Cancel, CancelReason.Integrity, "a file failed verification", ct).ConfigureAwait(false);
            throw new IntegrityException();
        }

        _lastHashHex = Convert.ToHexStringLower(hash);
        return written;
    }

    private async Task FinishAsync(CancellationToken ct)
    {
        Record end = await _channel.ReceiveAsync(ct).ConfigureAwait(false);
        if (end.Kind == RecordKind.Cancel)
        {
            throw TransferSender.PeerCancelled(end);
        }

        if (end.Kind != RecordKind.End)
        {
            throw await ProtocolViolationAsync("expected the end of the transfer", ct).ConfigureAwait(false);
        }

        await _channel.SendAsync(RecordKind.Done, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
    }

    private async Task<TallowException> ProtocolViolationAsync(string what, CancellationToken ct)
    {
        await _channel.SendReasonAsync(RecordKind.Cancel, CancelReason.Protocol, what, ct).ConfigureAwait(false);
        return new TallowException(FailureKind.Error, $"the sender broke the protocol ({what}): the transfer was stopped and the incomplete file was not kept under its name.");
    }

    private sealed class IntegrityException : Exception;

    private interface IContentSink
    {
        ValueTask WriteAsync(ReadOnlyMemory<byte> data, long offset, CancellationToken ct);
    }

    private sealed class PartSink(PartFile part) : IContentSink
    {
        public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, long offset, CancellationToken ct)
        {
            try
            {
                await RandomAccess.WriteAsync(part.Handle, data, offset, ct).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                throw new TallowException(FailureKind.FileSystem, $"writing '{PathSanitizer.Printable(part.PartPath)}' failed: {ex.Message}", ex);
            }
        }
    }

    private sealed class StreamSink(Stream stream) : IContentSink
    {
        public ValueTask WriteAsync(ReadOnlyMemory<byte> data, long offset, CancellationToken ct) => stream.WriteAsync(data, ct);
    }
}
