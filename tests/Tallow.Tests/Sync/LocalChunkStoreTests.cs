// LocalChunkStore: a recorded chunk reads back verified; a location whose file was rewritten,
// shortened or renamed away is skipped for the next one; a symlink put where a file was (or a
// folder swapped for a link out of the mirror) is never read through; a renamed file is found by
// its content hash; Build takes unchanged files from the cache and skips what is not a regular file.
using Tallow.Protocol.Sync;
using Tallow.Tests.Protocol;

namespace Tallow.Tests.Sync;

public class LocalChunkStoreTests
{
    private const int FileLength = 1 << 20;

    /// <summary>A mirror with the given files of pseudo-random content (seed per file), built into a store with a fresh cache.</summary>
    private static (LocalChunkStore Store, ChunkCache Cache, string Root) Mirror(TempDir dir, params (string Path, ulong Seed)[] files)
    {
        string root = dir.Combine("mirror");
        foreach ((string path, ulong seed) in files)
        {
            string full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, SyncTestData.Pseudorandom(FileLength, seed));
        }

        var cache = ChunkCache.Load(dir.Combine("cache"));
        return (LocalChunkStore.Build(root, files.Select(f => f.Path), cache, CancellationToken.None), cache, root);
    }

    private static List<ChunkRef> ChunksOf(ulong seed) => SyncTestData.ChunkInMemory(SyncTestData.Pseudorandom(FileLength, seed));

    private static bool Reads(LocalChunkStore store, ChunkRef chunk, out byte[] bytes)
    {
        bytes = new byte[ContentChunker.MaxSize];
        return store.TryRead(chunk.Hash, chunk.Length, bytes);
    }

    [Fact]
    public void Every_chunk_of_every_file_reads_back_with_its_hash()
    {
        using var dir = new TempDir();
        (LocalChunkStore store, ChunkCache cache, _) = Mirror(dir, ("a.bin", 1), ("sub/b.bin", 2));
        List<ChunkRef> chunks = [.. ChunksOf(1), .. ChunksOf(2)];

        Assert.Equal(chunks.Count, store.ChunkCount);
        Assert.Equal(2, cache.Count);
        foreach (ChunkRef chunk in chunks)
        {
            Assert.True(store.Contains(chunk.Hash));
            Assert.True(Reads(store, chunk, out byte[] bytes));
            Assert.Equal(chunk.Hash, ContentHash.Compute(bytes.AsSpan(0, chunk.Length)));
        }

        ChunkRef unknown = ChunksOf(3)[0];
        Assert.False(store.Contains(unknown.Hash));
        Assert.False(Reads(store, unknown, out _));
        Assert.False(Reads(store, chunks[0] with { Length = chunks[0].Length - 1 }, out _));
    }

    [Fact]
    public void A_location_whose_file_was_rewritten_is_skipped_for_the_next_and_none_left_is_a_miss()
    {
        using var dir = new TempDir();
        (LocalChunkStore store, _, string root) = Mirror(dir, ("first.bin", 1), ("copy.bin", 1));
        ChunkRef chunk = ChunksOf(1)[3];

        File.WriteAllBytes(Path.Combine(root, "first.bin"), SyncTestData.Pseudorandom(FileLength, 9)); // same size, other bytes
        Assert.True(Reads(store, chunk, out byte[] bytes));
        Assert.Equal(chunk.Hash, ContentHash.Compute(bytes.AsSpan(0, chunk.Length)));

        File.WriteAllBytes(Path.Combine(root, "copy.bin"), SyncTestData.Pseudorandom(1000, 1)); // shorter now
        Assert.False(Reads(store, chunk, out _));
    }

    [Fact]
    public void A_symlink_put_where_a_file_was_is_not_followed_even_to_the_same_content()
    {
        using var dir = new TempDir();
        (LocalChunkStore store, _, string root) = Mirror(dir, ("a.bin", 1));
        ChunkRef chunk = ChunksOf(1)[0];
        Assert.True(Reads(store, chunk, out _));

        string moved = Path.Combine(root, "moved.bin");
        File.Move(Path.Combine(root, "a.bin"), moved); // the same bytes under a name the store does not know
        File.CreateSymbolicLink(Path.Combine(root, "a.bin"), moved);
        Assert.False(Reads(store, chunk, out _));

        string outside = dir.Combine("outside.bin");
        File.Move(moved, outside); // now out of the mirror
        File.Delete(Path.Combine(root, "a.bin"));
        File.CreateSymbolicLink(Path.Combine(root, "a.bin"), outside);
        Assert.False(Reads(store, chunk, out _));

        File.Delete(Path.Combine(root, "a.bin"));
        File.Copy(outside, Path.Combine(root, "a.bin")); // the control: a regular file again
        Assert.True(Reads(store, chunk, out _));
    }

    [Fact]
    public void A_folder_swapped_for_a_link_out_of_the_mirror_is_not_read_through()
    {
        using var dir = new TempDir();
        (LocalChunkStore store, _, string root) = Mirror(dir, ("sub/a.bin", 1));
        ChunkRef chunk = ChunksOf(1)[0];
        Directory.Move(Path.Combine(root, "sub"), dir.Combine("elsewhere"));
        Directory.CreateSymbolicLink(Path.Combine(root, "sub"), dir.Combine("elsewhere"));

        Assert.False(Reads(store, chunk, out _));
    }

    [Fact]
    public void A_renamed_file_is_found_by_its_content_hash_and_a_changed_one_is_not()
    {
        using var dir = new TempDir();
        (_, ChunkCache cache, string root) = Mirror(dir, ("old-name.bin", 1), ("other.bin", 2));
        File.Move(Path.Combine(root, "old-name.bin"), Path.Combine(root, "new-name.bin"));
        LocalChunkStore store = LocalChunkStore.Build(root, ["new-name.bin", "other.bin"], cache, CancellationToken.None);
        ContentHash content = ContentHash.Compute(SyncTestData.Pseudorandom(FileLength, 1));

        Assert.True(store.TryFindFile(content, out string found));
        Assert.Equal("new-name.bin", found);

        File.WriteAllBytes(Path.Combine(root, "new-name.bin"), SyncTestData.Pseudorandom(FileLength, 5));
        Assert.False(store.TryFindFile(content, out _)); // its stamp changed since it was chunked
        Assert.False(store.TryFindFile(ContentHash.Compute([1, 2, 3]), out _));
    }

    [Fact]
    public void Build_takes_chunks_of_unchanged_files_from_the_cache_and_skips_what_is_not_a_regular_file()
    {
        using var dir = new TempDir();
        string root = dir.Combine("mirror");
        Directory.CreateDirectory(Path.Combine(root, "folder"));
        File.WriteAllBytes(Path.Combine(root, "a.bin"), SyncTestData.Pseudorandom(FileLength, 1));
        File.CreateSymbolicLink(Path.Combine(root, "link.bin"), Path.Combine(root, "a.bin"));
        SyncTestData.MakeFifo(Path.Combine(root, "fifo"));
        Assert.True(FileStamp.TryOf(Path.Combine(root, "a.bin"), out FileStamp stamp));

        // A cache entry for a.bin's exact stamp: Build must use it, not read the file.
        ContentHash recorded = ContentHash.Compute([7]);
        var cache = ChunkCache.Load(dir.Combine("cache"));
        cache.Set("a.bin", stamp, new FileChunks(ContentHash.Compute([8]), FileLength, [.. Enumerable.Repeat(new ChunkRef(recorded, 1 << 18), 4)]));

        LocalChunkStore store = LocalChunkStore.Build(root, ["a.bin", "link.bin", "fifo", "folder", "gone.bin", "../a.bin"], cache, CancellationToken.None);

        Assert.True(store.Contains(recorded));
        Assert.Equal(1, store.ChunkCount);
        Assert.Equal(1, cache.Count);

        // With the stamp changed, the file is read again and the cache corrected.
        File.SetLastWriteTimeUtc(Path.Combine(root, "a.bin"), DateTime.UtcNow.AddDays(-1));
        store = LocalChunkStore.Build(root, ["a.bin"], cache, CancellationToken.None);
        Assert.False(store.Contains(recorded));
        Assert.Equal(ChunksOf(1).Count, store.ChunkCount);
        Assert.True(FileStamp.TryOf(Path.Combine(root, "a.bin"), out FileStamp now));
        Assert.True(cache.TryGet("a.bin", now, out FileChunks fresh));
        Assert.Equal(ChunksOf(1), fresh.Chunks);
    }

    [Fact]
    public void Adding_a_path_again_replaces_its_locations_and_RemoveFile_forgets_them()
    {
        using var dir = new TempDir();
        (LocalChunkStore store, _, string root) = Mirror(dir, ("a.bin", 1));
        List<ChunkRef> old = ChunksOf(1);
        byte[] replacement = SyncTestData.Pseudorandom(FileLength, 2);
        File.WriteAllBytes(Path.Combine(root, "a.bin"), replacement);

        store.AddFile("a.bin", ContentChunker.ChunkFile(Path.Combine(root, "a.bin"), CancellationToken.None));
        Assert.False(store.Contains(old[0].Hash));
        Assert.Equal(ChunksOf(2).Count, store.ChunkCount);
        Assert.True(Reads(store, ChunksOf(2)[1], out _));

        // Replaced again and again (a watch session), beside another file: what is recorded stays exact.
        File.WriteAllBytes(Path.Combine(root, "b.bin"), SyncTestData.Pseudorandom(FileLength, 3));
        store.AddFile("b.bin", ContentChunker.ChunkFile(Path.Combine(root, "b.bin"), CancellationToken.None));
        FileChunks current = ContentChunker.ChunkFile(Path.Combine(root, "a.bin"), CancellationToken.None);
        for (int i = 0; i < 50; i++)
        {
            store.AddFile("a.bin", i % 2 == 0 ? new FileChunks(ContentHash.Compute([1]), 1, [new ChunkRef(ContentHash.Compute([(byte)i]), 1)]) : current);
        }

        Assert.Equal(ChunksOf(2).Count + ChunksOf(3).Count, store.ChunkCount);
        Assert.True(Reads(store, ChunksOf(3)[2], out _));
        Assert.True(Reads(store, ChunksOf(2)[2], out _));

        store.RemoveFile("b.bin");
        store.RemoveFile("a.bin");
        Assert.Equal(0, store.ChunkCount);
        Assert.False(store.TryFindFile(ContentHash.Compute(replacement), out _));
        Assert.Throws<ArgumentException>(() => store.AddFile("../escape", ContentChunker.ChunkFile(Path.Combine(root, "a.bin"), CancellationToken.None)));
    }

    [Fact]
    public void A_chunk_held_by_many_files_keeps_at_most_four_locations()
    {
        using var dir = new TempDir();
        (LocalChunkStore store, _, string root) = Mirror(dir, [.. Enumerable.Range(0, 6).Select(i => ($"copy{i}.bin", 1UL))]);
        ChunkRef chunk = ChunksOf(1)[0];
        for (int i = 0; i < LocalChunkStore.MaxLocations; i++)
        {
            File.WriteAllBytes(Path.Combine(root, $"copy{i}.bin"), SyncTestData.Pseudorandom(FileLength, 50 + (ulong)i));
        }

        // copy4 and copy5 still hold it, but only the first four places were kept.
        Assert.False(Reads(store, chunk, out _));
    }
}
