// The sync part of a session (RecordGroup.Sync): sends and receives the round's blobs as a run of
// records ({u8 final, piece}, each piece ≤ 256 KiB, within the sync window), checks every record
// is the kind the protocol expects next, and turns the peer's SyncStop into a TallowException.
using Tallow.Protocol.Records;
using Tallow.Protocol.Session;
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Protocol.Sync;

public sealed class SyncLink(RecordPort port)
{
    public const int PieceSize = 256 * 1024;

    /// <summary>Largest index or needs blob accepted (about 3 million entries).</summary>
    public const int MaxIndexBytes = 256 * 1024 * 1024;

    /// <summary>Largest plan accepted: chunk lists of about 14 TiB of changed files.</summary>
    public const int MaxPlanBytes = 512 * 1024 * 1024;

    public RecordPort Port => port;

    /// <summary>The peer's words when it stopped the sync with SyncStop (null until then).</summary>
    public string? PeerStopped { get; private set; }

    public async Task SendBlobAsync(RecordKind kind, byte[] blob, CancellationToken ct)
    {
        int offset = 0;
        do
        {
            int piece = Math.Min(PieceSize, blob.Length - offset);
            bool final = offset + piece == blob.Length;
            using var buffer = new RecordBuffer(1 + piece);
            buffer.Body.Span[0] = final ? (byte)1 : (byte)0;
            blob.AsSpan(offset, piece).CopyTo(buffer.Body.Span[1..]);
            await port.SendAsync(buffer, kind, 1 + piece, ct).ConfigureAwait(false);
            offset += piece;
        }
        while (offset < blob.Length);
    }

    public async Task<byte[]> ReceiveBlobAsync(RecordKind kind, int maxBytes, CancellationToken ct)
    {
        var blob = new MemoryStream();
        while (true)
        {
            Record record = await ExpectAsync(kind, ct).ConfigureAwait(false);
            ReadOnlySpan<byte> body = record.Body.Span;
            if (body.Length < 1 || body[0] > 1 || blob.Length + body.Length - 1 > maxBytes)
            {
                throw Broken($"a malformed or oversized {kind}");
            }

            blob.Write(body[1..]);
            if (body[0] == 1)
            {
                return blob.ToArray();
            }
        }
    }

    /// <summary>The next record, which must be <paramref name="kind"/> (or a SyncStop, which ends the sync with the peer's words).</summary>
    public async Task<Record> ExpectAsync(RecordKind kind, CancellationToken ct)
    {
        Record record = await port.ReceiveAsync(ct).ConfigureAwait(false);
        return record.Kind == RecordKind.SyncStop ? throw Stopped(record)
            : record.Kind == kind ? record : throw Broken($"{record.Kind} where {kind} was expected");
    }

    public Task StopAsync(CancelReason reason, string text, CancellationToken ct) => port.SendReasonAsync(RecordKind.SyncStop, reason, text, ct);

    /// <summary>Tells the peer why this side stops, when it still can (best effort).</summary>
    public async Task TryStopAsync(CancelReason reason, string text)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await StopAsync(reason, text, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TallowException or OperationCanceledException)
        {
            // The peer or the connection is gone: the local error is what the user sees.
        }
    }

    public static TallowException Broken(string what) => new(
        FailureKind.Error, $"the peer broke the sync protocol ({what}): the sync was stopped. Both sides may need the same tallow version.");

    private TallowException Stopped(Record record)
    {
        if (!ReasonMessage.TryParse(record.Body.Span, out ReasonMessage why))
        {
            return Broken("a malformed SyncStop");
        }

        PeerStopped = PathSanitizer.Printable(why.Text);
        return new TallowException(FailureKind.Declined, $"the other side stopped the sync: {PeerStopped}.");
    }
}
