// What a file is made of, as content-defined chunks (ContentChunker): the BLAKE3 of the whole
// file, its length, and the chunks in order. Invariants (checked on construction, so a list that
// came from a peer or a damaged cache cannot break them): every chunk is 1..ContentChunker.MaxSize
// bytes, the lengths sum to Length, and an empty file has no chunks.
namespace Tallow.Protocol.Sync;

/// <summary>One chunk of a file: the BLAKE3 of its bytes and how many bytes it has.</summary>
public readonly record struct ChunkRef(ContentHash Hash, int Length);

public sealed class FileChunks
{
    private readonly ChunkRef[] _chunks;

    /// <summary>Takes ownership of <paramref name="chunks"/>; throws ArgumentException when the invariants do not hold (see <see cref="TryCreate"/>).</summary>
    public FileChunks(ContentHash fileHash, long length, ChunkRef[] chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (!AreConsistent(length, chunks))
        {
            throw new ArgumentException("chunk lengths must be 1..MaxSize bytes each and sum to the file length", nameof(chunks));
        }

        FileHash = fileHash;
        Length = length;
        _chunks = chunks;
    }

    /// <summary>BLAKE3 of the whole file.</summary>
    public ContentHash FileHash { get; }

    public long Length { get; }

    public IReadOnlyList<ChunkRef> Chunks => _chunks;

    /// <summary>The non-throwing constructor, for lists parsed from untrusted bytes: null when the invariants do not hold.</summary>
    public static FileChunks? TryCreate(ContentHash fileHash, long length, ChunkRef[] chunks) =>
        chunks is not null && AreConsistent(length, chunks) ? new FileChunks(fileHash, length, chunks) : null;

    private static bool AreConsistent(long length, ChunkRef[] chunks)
    {
        if (length < 0 || (long)chunks.Length > length)
        {
            return false; // every chunk has at least one byte
        }

        long sum = 0;
        foreach (ChunkRef chunk in chunks)
        {
            if (chunk.Length is < 1 or > ContentChunker.MaxSize || chunk.Length > length - sum)
            {
                return false; // (length - sum never overflows: 0 ≤ sum ≤ length)
            }

            sum += chunk.Length;
        }

        return sum == length;
    }
}
