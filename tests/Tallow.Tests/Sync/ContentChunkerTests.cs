// ContentChunker (FastCDC): the cut points are part of the sync protocol, so they are pinned for a
// fixed input and the optimized loop is checked against the paper's one-byte loop; chunk sizes
// stay in [MinSize, MaxSize]; an insertion or a changed byte disturbs at most two chunks; the
// streaming ChunkFile gives exactly what cutting the same bytes in memory gives.
using Tallow.Protocol;
using System.Buffers.Binary;
using System.Numerics;
using Microsoft.Win32.SafeHandles;
using Tallow.Protocol.Sync;
using Tallow.Tests.Protocol;

namespace Tallow.Tests.Sync;

public class ContentChunkerTests
{
    private const int ThirtyTwoMiB = 32 << 20;
    private static readonly byte[] Large = SyncTestData.Pseudorandom(ThirtyTwoMiB, 7);

    [Fact]
    public void Cut_points_of_a_fixed_input_are_pinned()
    {
        // If this fails, chunking changed: senders and receivers of different versions would no
        // longer find each other's chunks. That needs a new sync protocol version, not a new pin.
        byte[] data = SyncTestData.Pseudorandom(2 << 20, 1);
        int[] expected =
        [
            125800, 74671, 72553, 94988, 107512, 72157, 71666, 74930, 88865, 69390, 33072, 140309, 88735, 67886,
            85501, 80757, 68782, 81997, 111982, 79761, 35402, 88587, 46477, 73481, 65631, 66413, 29847,
        ];
        List<ChunkRef> chunks = SyncTestData.ChunkInMemory(data);
        Assert.Equal(expected, chunks.Select(c => c.Length));
        Assert.Equal("21f27c160c2c88e8", chunks[0].Hash.ToString());
    }

    [Fact]
    public void Gear_table_and_masks_are_the_documented_ones()
    {
        Span<byte> input = stackalloc byte[20];
        Span<byte> digest = stackalloc byte[32];
        "tallow-sync-gear-v1"u8.CopyTo(input);
        for (int i = 0; i < 256; i++)
        {
            input[^1] = (byte)i;
            Blake3Hasher.Hash(input, digest);
            Assert.Equal(BinaryPrimitives.ReadUInt64LittleEndian(digest), ContentChunker.Gear[i]);
        }

        Assert.Equal(18, BitOperations.PopCount(ContentChunker.MaskS)); // log2(64 KiB) + 2 (normalization level 2)
        Assert.Equal(14, BitOperations.PopCount(ContentChunker.MaskL)); // log2(64 KiB) - 2
        Assert.True(ContentChunker.MaskS < 1UL << 48 && ContentChunker.MaskL < 1UL << 48, "a 48-byte window");
    }

    [Fact]
    public void The_two_bytes_a_step_loop_cuts_exactly_where_the_papers_one_byte_loop_cuts()
    {
        byte[] text = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 200_000).Select(i => $"line {i * 7919 % 10007} of a log file\n")));
        byte[] odd = SyncTestData.Pseudorandom((5 << 20) + 12_345, 3);
        foreach (byte[] data in new[] { Large, text, odd, new byte[1 << 20] })
        {
            Assert.Equal(SyncTestData.ReferenceCutLengths(data), SyncTestData.ChunkInMemory(data).Select(c => c.Length));
        }
    }

    [Fact]
    public void Every_chunk_but_the_last_is_between_MinSize_and_MaxSize()
    {
        byte[] zeros = new byte[(3 << 20) + 100];
        foreach (byte[] data in new[] { Large, zeros })
        {
            List<ChunkRef> chunks = SyncTestData.ChunkInMemory(data);
            Assert.All(chunks.SkipLast(1), c => Assert.InRange(c.Length, ContentChunker.MinSize, ContentChunker.MaxSize));
            Assert.InRange(chunks[^1].Length, 1, ContentChunker.MaxSize);
            Assert.Equal(data.Length, chunks.Sum(c => (long)c.Length));
        }

        Assert.All(SyncTestData.ChunkInMemory(zeros).SkipLast(1), c => Assert.Equal(ContentChunker.MaxSize, c.Length)); // no cut point in zeros
        Assert.Equal(100, SyncTestData.ChunkInMemory(zeros)[^1].Length);
    }

    [Fact]
    public void Random_data_gives_chunks_of_64_to_80_KiB_on_average()
    {
        // Normalized chunking centres the sizes just above AverageSize (measured: 73 KiB), which is
        // what the chunk-list size estimate in ContentChunker's header rests on.
        double mean = (double)Large.Length / SyncTestData.ChunkInMemory(Large).Count;
        Assert.InRange(mean, 64 * 1024, 80 * 1024);
    }

    [Fact]
    public void Hundred_bytes_inserted_at_the_start_change_at_most_two_chunks()
    {
        byte[] inserted = [.. SyncTestData.Pseudorandom(100, 99), .. Large];
        List<ChunkRef> before = SyncTestData.ChunkInMemory(Large), after = SyncTestData.ChunkInMemory(inserted);
        Assert.True(before.Count > 400);
        Assert.InRange(SyncTestData.NewChunks(before, after), 1, 2);
        Assert.InRange(SyncTestData.NewChunks(after, before), 1, 2);
    }

    [Fact]
    public void One_changed_byte_in_the_middle_changes_at_most_two_chunks()
    {
        byte[] changed = (byte[])Large.Clone();
        changed[changed.Length / 2] ^= 0x01;
        List<ChunkRef> before = SyncTestData.ChunkInMemory(Large), after = SyncTestData.ChunkInMemory(changed);
        Assert.InRange(SyncTestData.NewChunks(before, after), 1, 2);
        Assert.InRange(SyncTestData.NewChunks(after, before), 1, 2);
    }

    [Fact]
    public void Without_the_end_NextCut_asks_for_more_or_cuts_where_it_would_with_all_the_data()
    {
        ReadOnlySpan<byte> data = Large.AsSpan(0, 1 << 20);
        int whole = ContentChunker.NextCut(data, final: false);
        Assert.InRange(whole, ContentChunker.MinSize, ContentChunker.MaxSize);
        foreach (int available in new[] { 0, 1, ContentChunker.MinSize, ContentChunker.MinSize + 1, whole - 1, whole, whole + 1, ContentChunker.MaxSize - 1, ContentChunker.MaxSize })
        {
            int cut = ContentChunker.NextCut(data[..available], final: false);
            Assert.Equal(available >= whole ? whole : 0, cut);
        }

        Assert.Equal(0, ContentChunker.NextCut([], final: true));
        Assert.Equal(5, ContentChunker.NextCut(data[..5], final: true));
        Assert.Equal(ContentChunker.MaxSize, ContentChunker.NextCut(new byte[ContentChunker.MaxSize], final: false)); // zeros: no cut point
        Assert.Equal(0, ContentChunker.NextCut(new byte[ContentChunker.MaxSize - 1], final: false));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(ContentChunker.MinSize)]
    [InlineData(ContentChunker.MaxSize)]
    [InlineData((9 << 20) + 12_345)] // crosses the 4 MiB read buffer twice, cut points straddling it
    public void ChunkFile_gives_what_cutting_the_same_bytes_in_memory_gives(int length)
    {
        using var dir = new TempDir();
        string path = dir.Combine("f.bin");
        byte[] data = SyncTestData.Pseudorandom(length, 11);
        File.WriteAllBytes(path, data);

        FileChunks chunks = ContentChunker.ChunkFile(path, CancellationToken.None);

        Assert.Equal(SyncTestData.ChunkInMemory(data), chunks.Chunks);
        Assert.Equal(ContentHash.Compute(data), chunks.FileHash);
        Assert.Equal(length, chunks.Length);
        Assert.Equal(length, chunks.Chunks.Sum(c => (long)c.Length));
        Assert.Equal(length == 0, chunks.Chunks.Count == 0);
    }

    [Fact]
    public void ChunkFile_of_a_handle_reads_exactly_the_given_length_and_a_file_that_ends_early_is_an_IOException()
    {
        using var dir = new TempDir();
        string path = dir.Combine("f.bin");
        byte[] data = SyncTestData.Pseudorandom(600_000, 12);
        File.WriteAllBytes(path, data);
        using SafeFileHandle handle = File.OpenHandle(path);

        FileChunks prefix = ContentChunker.ChunkFile(handle, 500_000, CancellationToken.None);
        Assert.Equal(SyncTestData.ChunkInMemory(data.AsSpan(0, 500_000)), prefix.Chunks);
        Assert.Equal(ContentHash.Compute(data.AsSpan(0, 500_000)), prefix.FileHash);

        Assert.Throws<IOException>(() => ContentChunker.ChunkFile(handle, 600_001, CancellationToken.None));
        Assert.Throws<OperationCanceledException>(() => ContentChunker.ChunkFile(handle, 600_000, new CancellationToken(canceled: true)));
    }
}
