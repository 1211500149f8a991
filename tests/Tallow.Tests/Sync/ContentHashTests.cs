// ContentHash (a BLAKE3 digest as a Dictionary key) and FileChunks (whose invariants hold for
// every list it accepts, so a damaged cache or a hostile peer cannot hand the engine an
// inconsistent one).
using Tallow.Protocol;
using Tallow.Protocol.Sync;

namespace Tallow.Tests.Sync;

public class ContentHashTests
{
    [Fact]
    public void Compute_FromHasher_Read_and_Write_all_agree_with_BLAKE3()
    {
        byte[] data = SyncTestData.Pseudorandom(10_000, 5);
        byte[] expected = Blake3Hasher.Hash(data);
        using var hasher = Blake3Hasher.New();
        hasher.Update(data);

        ContentHash computed = ContentHash.Compute(data);
        byte[] written = new byte[40];
        computed.Write(written.AsSpan(4));

        Assert.Equal(expected, written[4..36]);
        Assert.Equal(computed, ContentHash.FromHasher(hasher));
        Assert.Equal(computed, ContentHash.Read([.. expected, 1, 2, 3]));
        Assert.Equal(Convert.ToHexStringLower(expected[..8]), computed.ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => ContentHash.Read(expected.AsSpan(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => computed.Write(new byte[31]));
    }

    [Fact]
    public void Equality_sees_every_byte_and_equal_hashes_are_equal_keys()
    {
        byte[] digest = SyncTestData.Pseudorandom(32, 6);
        ContentHash a = ContentHash.Read(digest);
        Assert.True(a == ContentHash.Read((byte[])digest.Clone()));
        Assert.Equal(a.GetHashCode(), ContentHash.Read((byte[])digest.Clone()).GetHashCode());
        for (int i = 0; i < 32; i++)
        {
            byte[] other = (byte[])digest.Clone();
            other[i] ^= 0x80;
            Assert.True(a != ContentHash.Read(other), $"byte {i}");
            Assert.False(a.Equals((object)ContentHash.Read(other)));
        }

        var set = new HashSet<ContentHash> { a, ContentHash.Read((byte[])digest.Clone()) };
        Assert.Single(set);
    }

    [Fact]
    public void Digests_that_differ_only_where_an_unkeyed_hash_code_would_not_look_still_spread_over_buckets()
    {
        // 4096 digests that share 24 of their 32 bytes and whose 64-bit words pairwise XOR to the
        // same value: a projection such as HashCode.Combine(ulong...) maps them all to one code.
        var codes = new HashSet<int>();
        for (uint i = 0; i < 4096; i++)
        {
            byte[] digest = new byte[32];
            BitConverter.TryWriteBytes(digest.AsSpan(0, 4), i);
            BitConverter.TryWriteBytes(digest.AsSpan(4, 4), i);
            codes.Add(ContentHash.Read(digest).GetHashCode());
        }

        Assert.True(codes.Count > 4000, $"{codes.Count} distinct codes");
    }

    [Fact]
    public void FileChunks_accepts_only_lists_whose_lengths_are_in_range_and_sum_to_the_file_length()
    {
        ContentHash h = ContentHash.Compute([1]);
        Assert.Empty(new FileChunks(h, 0, []).Chunks);
        Assert.Equal(2, new FileChunks(h, 300_000, [new ChunkRef(h, 100_000), new ChunkRef(h, 200_000)]).Chunks.Count);

        ChunkRef[][] bad =
        [
            [new ChunkRef(h, 100_000)],                                            // sums to less
            [new ChunkRef(h, 200_000), new ChunkRef(h, 200_000)],                  // sums to more
            [new ChunkRef(h, 300_000)],                                            // above MaxSize
            [new ChunkRef(h, 0), new ChunkRef(h, 150_000), new ChunkRef(h, 150_000)], // an empty chunk
            [new ChunkRef(h, -1), new ChunkRef(h, 150_001), new ChunkRef(h, 150_000)],
        ];
        foreach (ChunkRef[] chunks in bad)
        {
            Assert.Null(FileChunks.TryCreate(h, 300_000, chunks));
            Assert.Throws<ArgumentException>(() => new FileChunks(h, 300_000, chunks));
        }

        Assert.Null(FileChunks.TryCreate(h, -1, []));
        Assert.Null(FileChunks.TryCreate(h, long.MaxValue, [new ChunkRef(h, ContentChunker.MaxSize)]));
        Assert.Null(FileChunks.TryCreate(h, 5, []));
    }
}
