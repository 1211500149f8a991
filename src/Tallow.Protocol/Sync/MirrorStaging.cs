// Builds each new or changed file of a round in the mirror's staging folder
// (.tallow-sync/staging), chunk by chunk in plan order: a chunk the receiver asked for comes from
// the next SyncData record, every other one is copied from where the mirror already holds it (any
// file, or a file staged earlier in this round). Every chunk is checked against its BLAKE3 before
// it is written and the whole file against the plan's hash before it counts as staged; nothing in
// the mirror itself changes here. A file that fails (the source changed, a local copy went stale,
// a chunk did not verify) is left out of this round, and its remaining records are still read so
// the stream stays in step.
using System.Buffers;
using Microsoft.Win32.SafeHandles;
using Tallow.Protocol.Transfer;
using Tallow.Protocol.Transfer.Compression;
using Tallow.Wire;

namespace Tallow.Protocol.Sync;

public sealed class MirrorStaging : IDisposable
{
    private readonly string _root;
    private readonly LocalChunkStore? _store;
    private readonly Dictionary<ContentHash, (string Path, long Offset)> _stagedChunks = [];
    private readonly ChunkDecompressor _decompressor = new(ContentChunker.MaxSize);
    private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(ContentChunker.MaxSize);

    /// <summary>Unique per round: files an interrupted round left are chunk sources, never overwritten.</summary>
    private readonly string _prefix = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6));

    public MirrorStaging(string root, LocalChunkStore? store)
    {
        _root = root;
        _store = store;
        Folder = Path.Combine(root, SyncTree.StateFolder, "staging");
    }

    public string Folder { get; }

    /// <summary>Content bytes that arrived in SyncData records this round.</summary>
    public long BytesReceived { get; private set; }

    /// <summary>Creates the staging folder, refusing a state folder that is not a real folder of the mirror.</summary>
    public void Prepare()
    {
        string state = Path.Combine(_root, SyncTree.StateFolder);
        if (new DirectoryInfo(state) is { Exists: true, LinkTarget: not null } || File.Exists(state))
        {
            throw new TallowException(FailureKind.FileSystem, $"'{state}' is not a folder tallow made: remove it and sync again.");
        }

        Directory.CreateDirectory(Folder);
    }

    /// <summary>
    /// Stages the file of op <paramref name="index"/>; <paramref name="nextData"/> yields the next
    /// SyncData body for each wanted chunk. Returns the staged file's path, or null when it failed
    /// (<paramref name="why"/> says why).
    /// </summary>
    public async Task<(string? Staged, string Why)> StageAsync(
        int index, SyncOp op, bool[]? wanted, Func<CancellationToken, Task<ReadOnlyMemory<byte>>> nextData, CancellationToken ct)
    {
        string staged = Path.Combine(Folder, $"{_prefix}-{index}");
        string why = string.Empty;
        using SafeFileHandle file = File.OpenHandle(staged, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        using var whole = Blake3Hasher.New();
        long offset = 0;
        for (int c = 0; c < op.Chunks.Length; offset += op.Chunks[c].Length, c++)
        {
            ChunkRef chunk = op.Chunks[c];
            Memory<byte> data = _buffer.AsMemory(0, chunk.Length);
            bool ok;
            if (wanted is not null && wanted[c])
            {
                ReadOnlyMemory<byte> body = await nextData(ct).ConfigureAwait(false);
                ok = Decode(body.Span, chunk, data.Span, out string problem);
                why = ok || why.Length > 0 ? why : problem;
            }
            else
            {
                ok = TryReadLocal(chunk, data.Span);
                why = ok || why.Length > 0 ? why : "content it was to reuse changed here during the sync";
            }

            if (why.Length > 0)
            {
                continue; // failed: keep reading this file's records, write nothing more
            }

            RandomAccess.Write(file, data.Span, offset);
            whole.Update(data.Span);
            _stagedChunks.TryAdd(chunk.Hash, (staged, offset));
        }

        if (why.Length == 0 && ContentHash.FromHasher(whole) != op.FileHash)
        {
            why = "its content did not match the sender's hash";
        }

        if (why.Length > 0)
        {
            file.Dispose();
            TryDelete(staged);
            return (null, why);
        }

        File.SetUnixFileMode(file, (UnixFileMode)(op.Mode & 0xFFF));
        file.Dispose();
        File.SetLastWriteTimeUtc(staged, SyncTimes.FromUnixNs(op.ModifiedNs));
        return (staged, string.Empty);
    }

    /// <summary>Removes what this round left in the staging folder (files that failed or were not committed).</summary>
    public void Clear()
    {
        try
        {
            foreach (string leftover in Directory.EnumerateFiles(Folder))
            {
                TryDelete(leftover);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only leftovers: the next round's chunk store still reuses or ignores them.
        }
    }

    private bool Decode(ReadOnlySpan<byte> body, ChunkRef chunk, Span<byte> data, out string problem)
    {
        problem = string.Empty;
        if (body.Length < 1)
        {
            problem = "a malformed chunk";
            return false;
        }

        ReadOnlySpan<byte> content;
        switch ((SyncDataEncoding)body[0])
        {
            case SyncDataEncoding.Raw:
                content = body[1..];
                break;
            case SyncDataEncoding.Zstd when _decompressor.TryDecompress(body[1..], chunk.Length, out ReadOnlyMemory<byte> unpacked):
                content = unpacked.Span;
                break;
            case SyncDataEncoding.Unavailable:
                problem = "it changed on the sender's side while it was being sent";
                return false;
            default:
                problem = "a chunk that did not decompress";
                return false;
        }

        BytesReceived += content.Length;
        if (content.Length != chunk.Length || ContentHash.Compute(content) != chunk.Hash)
        {
            problem = "a chunk did not match its hash";
            return false;
        }

        content.CopyTo(data);
        return true;
    }

    private bool TryReadLocal(ChunkRef chunk, Span<byte> data)
    {
        if (_stagedChunks.TryGetValue(chunk.Hash, out (string Path, long Offset) at))
        {
            try
            {
                using SafeFileHandle staged = File.OpenHandle(at.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                if (RandomAccess.Read(staged, data, at.Offset) == data.Length && ContentHash.Compute(data) == chunk.Hash)
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Fall back to the mirror's own copies.
            }
        }

        return _store is not null && _store.TryRead(chunk.Hash, chunk.Length, data);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover in the staging folder: cleared by a later round.
        }
    }

    public void Dispose()
    {
        _decompressor.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
    }
}
