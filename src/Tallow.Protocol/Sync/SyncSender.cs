// The sender's side of a sync round (protocol.md "Sync"):
//   → SyncRound{scope}   ← SyncIndex*   (scan, compare, chunk changed files)
//   → SyncPlan*          ← SyncNeed* | SyncStop      → SyncData per needed chunk → SyncEnd
//   ← SyncApplied
// Each needed chunk is read from the source file, checked against the hash the plan promised (a
// file that changed since it was chunked sends "unavailable" for that chunk, the receiver keeps
// the old file and the next round sends the new one) and compressed when zstd pays.
using System.Buffers;
using Microsoft.Win32.SafeHandles;
using Tallow.Protocol.Records;
using Tallow.Protocol.Transfer;
using Tallow.Protocol.Transfer.Compression;
using Tallow.Wire;

namespace Tallow.Protocol.Sync;

/// <summary>What one round did: the plan, the receiver's account, and what crossed the wire for content.</summary>
public sealed record SyncRoundResult(SyncPlan Plan, IReadOnlyList<SyncEntry> Index, SyncApplied Applied, long ContentBytes, long WireBytes, int ChunksSent);

public enum SyncDataEncoding : byte
{
    Raw = 0,
    Zstd = 1,

    /// <summary>The source changed after it was chunked: the receiver keeps its old file this round.</summary>
    Unavailable = 2,
}

public sealed class SyncSender(SyncLink link, ITransferObserver observer, CompressionMode compression)
{
    /// <summary>Runs one round over <paramref name="scope"/> (empty: the whole tree). With <paramref name="planOnly"/> the plan is returned and the receiver told that nothing changes.</summary>
    public async Task<SyncRoundResult> RunRoundAsync(uint round, string root, IReadOnlyList<string> scope, bool delete, bool planOnly, Action<string> warn, CancellationToken ct)
    {
        await link.Port.SendAsync(RecordKind.SyncRound, SyncCodec.WriteRound(round, scope), ct).ConfigureAwait(false);
        Task<Dictionary<string, SyncEntry>> scan = Task.Run(() => SyncTree.Scan(root, scope, warn, ct), ct); // while the receiver scans too
        byte[] indexBlob = await link.ReceiveBlobAsync(RecordKind.SyncIndex, SyncLink.MaxIndexBytes, ct).ConfigureAwait(false);
        if (!SyncCodec.TryParseIndex(indexBlob, out List<SyncEntry> index))
        {
            throw SyncLink.Broken("a malformed index");
        }

        Dictionary<string, SyncEntry> source = await scan.ConfigureAwait(false);
        SyncPlan plan = await Task.Run(() => SyncPlanner.Plan(root, source, index, delete, ct), ct).ConfigureAwait(false);
        if (planOnly)
        {
            await link.StopAsync(CancelReason.Declined, "the sender only listed its plan (--dry-run): nothing was changed", ct).ConfigureAwait(false);
            return new SyncRoundResult(plan, index, default, 0, 0, 0);
        }

        await link.SendBlobAsync(RecordKind.SyncPlan, SyncCodec.WritePlan(plan.Ops), ct).ConfigureAwait(false);
        byte[] needsBlob = await link.ReceiveBlobAsync(RecordKind.SyncNeed, SyncLink.MaxIndexBytes, ct).ConfigureAwait(false);
        if (!SyncCodec.TryParseNeeds(needsBlob, plan.Ops, out Dictionary<int, bool[]> needs))
        {
            throw SyncLink.Broken("malformed needs");
        }

        (long content, long wire, int chunks) = await SendNeededAsync(plan, needs, ct).ConfigureAwait(false);
        await link.Port.SendAsync(RecordKind.SyncEnd, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
        Record reply = await link.ExpectAsync(RecordKind.SyncApplied, ct).ConfigureAwait(false);
        if (!SyncApplied.TryParse(reply.Body.Span, out SyncApplied applied))
        {
            throw SyncLink.Broken("a malformed SyncApplied");
        }

        return new SyncRoundResult(plan, index, applied, content, wire, chunks);
    }

    private async Task<(long Content, long Wire, int Chunks)> SendNeededAsync(SyncPlan plan, Dictionary<int, bool[]> needs, CancellationToken ct)
    {
        long total = 0;
        foreach ((int op, bool[] wanted) in needs)
        {
            IReadOnlyList<ChunkRef> chunks = plan.Ops[op].Chunks;
            for (int c = 0; c < wanted.Length; c++)
            {
                total += wanted[c] ? chunks[c].Length : 0;
            }
        }

        using var compressor = new ChunkCompressor(compression);
        using var buffer = new RecordBuffer(1 + ContentChunker.MaxSize + 1024); // one for the round: a record is written out when SendAsync returns
        byte[] raw = ArrayPool<byte>.Shared.Rent(ContentChunker.MaxSize);
        long content = 0, wire = 0;
        int sent = 0;
        try
        {
            foreach ((int op, bool[] wanted) in needs.OrderBy(n => n.Key))
            {
                IReadOnlyList<ChunkRef> chunks = plan.Ops[op].Chunks;
                using SafeFileHandle? file = Open(plan.Sources[op]);
                long offset = 0;
                for (int c = 0; c < chunks.Count; offset += chunks[c].Length, c++)
                {
                    if (!wanted[c])
                    {
                        continue;
                    }

                    ChunkRef chunk = chunks[c];
                    Span<byte> data = raw.AsSpan(0, chunk.Length);
                    bool available = file is not null && ReadExactly(file, data, offset) && ContentHash.Compute(data) == chunk.Hash;
                    int length;
                    if (!available)
                    {
                        buffer.Body.Span[0] = (byte)SyncDataEncoding.Unavailable;
                        length = 1;
                        observer.OnNotice($"'{PathSanitizer.Printable(plan.Ops[op].Path)}' changed while it was being sent: the next round sends it.");
                    }
                    else if (compressor.TryCompress(data, buffer.Body.Span[1..], out int packed))
                    {
                        buffer.Body.Span[0] = (byte)SyncDataEncoding.Zstd;
                        length = 1 + packed;
                    }
                    else
                    {
                        buffer.Body.Span[0] = (byte)SyncDataEncoding.Raw;
                        data.CopyTo(buffer.Body.Span[1..]);
                        length = 1 + data.Length;
                    }

                    await link.Port.SendAsync(buffer, RecordKind.SyncData, length, ct).ConfigureAwait(false);
                    compressor.OnSent(chunk.Length);
                    content += chunk.Length;
                    wire += length - 1;
                    sent++;
                    observer.OnProgress(content, total);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(raw);
        }

        return (content, wire, sent);
    }

    private static SafeFileHandle? Open(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool ReadExactly(SafeFileHandle file, Span<byte> data, long offset)
    {
        try
        {
            int done = 0;
            while (done < data.Length)
            {
                int read = RandomAccess.Read(file, data[done..], offset + done);
                if (read == 0)
                {
                    return false;
                }

                done += read;
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
