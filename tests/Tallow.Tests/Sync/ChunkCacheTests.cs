// ChunkCache: a hit needs the same path and all four stamp fields; the file round-trips, is
// replaced atomically and only when something changed; and whatever is at the cache path —
// missing, a link, a FIFO, truncated, garbage, another version, oversized, or hostile content
// with a valid checksum — Load gives an empty cache and never throws.
using Tallow.Protocol;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tallow.Protocol.Sync;
using Tallow.Protocol.Transfer;
using Tallow.Tests.Protocol;
using Tallow.Tests.Wire;
using Tallow.Wire;

namespace Tallow.Tests.Sync;

public class ChunkCacheTests
{
    private static readonly FileStamp StampA = new(300_000, 1_700_000_000_123_456_789, 42, 1_700_000_001_000_000_001);
    private static readonly FileChunks ChunksA = Chunks(300_000, 1);

    private static FileChunks Chunks(int length, ulong seed)
    {
        byte[] data = SyncTestData.Pseudorandom(length, seed);
        return new FileChunks(ContentHash.Compute(data), length, [.. SyncTestData.ChunkInMemory(data)]);
    }

    private static void AssertSame(FileChunks expected, FileChunks actual)
    {
        Assert.Equal(expected.FileHash, actual.FileHash);
        Assert.Equal(expected.Length, actual.Length);
        Assert.Equal(expected.Chunks, actual.Chunks);
    }

    /// <summary>A saved cache of three files (one empty, one in a folder with a non-ASCII name).</summary>
    private static string SavedCache(TempDir dir)
    {
        string file = dir.Combine("state", "cache");
        var cache = ChunkCache.Load(file);
        cache.Set("a.bin", StampA, ChunksA);
        cache.Set("empty", StampA with { Size = 0 }, new FileChunks(ContentHash.Compute([]), 0, []));
        cache.Set("dossier/été.txt", StampA with { Size = 40_000 }, Chunks(40_000, 2));
        cache.Save();
        return file;
    }

    /// <summary><paramref name="body"/> followed by its BLAKE3, as Save ends a cache file: content the checksum cannot reject.</summary>
    private static byte[] Sealed(ReadOnlySpan<byte> body) => [.. body, .. Blake3Hasher.Hash(body)];

    [Fact]
    public void Saved_entries_load_back_and_hit_only_with_the_same_path_and_all_four_stamp_fields()
    {
        using var dir = new TempDir();
        var loaded = ChunkCache.Load(SavedCache(dir));

        Assert.Equal(3, loaded.Count);
        Assert.True(loaded.TryGet("a.bin", StampA, out FileChunks a));
        AssertSame(ChunksA, a);
        Assert.True(loaded.TryGet("empty", StampA with { Size = 0 }, out FileChunks empty));
        Assert.Empty(empty.Chunks);
        Assert.True(loaded.TryGet("dossier/été.txt", StampA with { Size = 40_000 }, out FileChunks nested));
        AssertSame(Chunks(40_000, 2), nested);

        Assert.False(loaded.TryGet("a.bin", StampA with { Size = StampA.Size + 1 }, out _));
        Assert.False(loaded.TryGet("a.bin", StampA with { ModifiedNs = StampA.ModifiedNs + 1 }, out _));
        Assert.False(loaded.TryGet("a.bin", StampA with { Inode = StampA.Inode + 1 }, out _));
        Assert.False(loaded.TryGet("a.bin", StampA with { ChangedNs = StampA.ChangedNs + 1 }, out _));
        Assert.False(loaded.TryGet("A.bin", StampA, out _));
        Assert.False(loaded.TryGet("dossier/ete.txt", StampA with { Size = 40_000 }, out _));
    }

    [Fact]
    public void Remove_and_RetainOnly_forget_paths_and_Set_rejects_what_it_cannot_store()
    {
        using var dir = new TempDir();
        var cache = ChunkCache.Load(SavedCache(dir));
        cache.Remove("empty");
        cache.Remove("not there");
        cache.RetainOnly(new HashSet<string> { "a.bin", "b.bin" });
        Assert.Equal(1, cache.Count);
        Assert.True(cache.TryGet("a.bin", StampA, out _));

        foreach (string bad in new[] { "", "/abs", "a//b", "./a", "a/..", "../a", "a/", "nul\0" })
        {
            Assert.Throws<ArgumentException>(() => cache.Set(bad, StampA, ChunksA));
        }

        Assert.Throws<ArgumentException>(() => cache.Set("size-mismatch", StampA with { Size = 1 }, ChunksA));
    }

    [Fact]
    public void Save_creates_the_folder_replaces_the_file_by_rename_leaves_no_temp_file_and_skips_an_unchanged_cache()
    {
        using var dir = new TempDir();
        string file = SavedCache(dir); // "state" did not exist
        Assert.Equal(["cache"], Directory.GetFileSystemEntries(dir.Combine("state")).Select(Path.GetFileName));
        ulong first = NativePath.IdOf(file)!.Value.Inode;

        var cache = ChunkCache.Load(file);
        cache.Set("a.bin", StampA, ChunksA); // the same again: nothing changed
        cache.Save();
        Assert.Equal(first, NativePath.IdOf(file)!.Value.Inode);

        cache.Remove("empty");
        cache.Save();
        Assert.NotEqual(first, NativePath.IdOf(file)!.Value.Inode); // a new file renamed over the old one
        Assert.Equal(["cache"], Directory.GetFileSystemEntries(dir.Combine("state")).Select(Path.GetFileName));
        Assert.Equal(2, ChunkCache.Load(file).Count);
    }

    [Fact]
    public void A_missing_truncated_garbage_or_other_version_file_loads_as_an_empty_cache()
    {
        using var dir = new TempDir();
        byte[] valid = File.ReadAllBytes(SavedCache(dir));
        string file = dir.Combine("damaged");
        Assert.Equal(0, ChunkCache.Load(dir.Combine("missing")).Count);

        for (int length = 0; length < valid.Length; length++)
        {
            File.WriteAllBytes(file, valid[..length]);
            Assert.Equal(0, ChunkCache.Load(file).Count);
        }

        for (int i = 0; i < valid.Length; i += 7)
        {
            byte[] flipped = (byte[])valid.Clone();
            flipped[i] ^= 0x10;
            File.WriteAllBytes(file, flipped);
            Assert.Equal(0, ChunkCache.Load(file).Count);
        }

        byte[] body = valid[..^32];
        foreach (int field in new[] { 8, 12 }) // version, chunker: another format, even with a valid checksum
        {
            byte[] other = (byte[])body.Clone();
            other[field + 3]++;
            File.WriteAllBytes(file, Sealed(other));
            Assert.Equal(0, ChunkCache.Load(file).Count);
        }

        File.WriteAllBytes(file, Sealed([.. body, 0])); // trailing bytes
        Assert.Equal(0, ChunkCache.Load(file).Count);
        File.WriteAllBytes(file, Sealed(body));        // the control: the same bytes, resealed, load
        Assert.Equal(3, ChunkCache.Load(file).Count);
    }

    [Fact]
    public async Task An_oversized_file_a_symlink_to_a_valid_cache_or_a_FIFO_loads_as_an_empty_cache_without_blocking()
    {
        using var dir = new TempDir();
        string valid = SavedCache(dir);
        string big = dir.Combine("big");
        using (var stream = new FileStream(big, FileMode.CreateNew))
        {
            stream.SetLength(ChunkCache.MaxFileBytes + 1); // sparse: nothing is written
        }

        File.CreateSymbolicLink(dir.Combine("link"), valid);
        SyncTestData.MakeFifo(dir.Combine("fifo"));
        Directory.CreateDirectory(dir.Combine("folder"));

        foreach (string name in new[] { "big", "link", "fifo", "folder" })
        {
            int count = await Task.Run(() => ChunkCache.Load(dir.Combine(name)).Count).WaitAsync(TimeSpan.FromSeconds(10)); // a TimeoutException if it blocks
            Assert.Equal(0, count);
        }
    }

    [Fact]
    public void Hostile_content_with_a_valid_checksum_loads_as_an_empty_cache()
    {
        using var dir = new TempDir();
        string file = dir.Combine("hostile");
        byte[] hash = new byte[32];

        static byte[] Header(uint entries)
        {
            byte[] header = new byte[20];
            var writer = new SpanWriter(header);
            writer.WriteBytes("TALLOWCC"u8);
            writer.WriteUInt32(1);
            writer.WriteUInt32(1);
            writer.WriteUInt32(entries);
            return header;
        }

        byte[] Entry(string path, long size, uint chunkCount, params uint[] lengths)
        {
            byte[] entry = new byte[70 + (path.Length * 4) + (36 * lengths.Length)];
            var writer = new SpanWriter(entry);
            writer.WriteString(path);
            writer.WriteInt64(size);
            writer.WriteInt64(1);
            writer.WriteUInt64(2);
            writer.WriteInt64(3);
            writer.WriteBytes(hash);
            writer.WriteUInt32(chunkCount);
            foreach (uint length in lengths)
            {
                writer.WriteBytes(hash);
                writer.WriteUInt32(length);
            }

            return entry[..writer.Written];
        }

        byte[][] hostile =
        [
            Header(uint.MaxValue),                                                      // 4 billion entries in 20 bytes
            [.. Header(1), .. Entry("a", 100, uint.MaxValue)],                          // 4 billion chunks
            [.. Header(1), .. Entry("a", 100, 1, 99)],                                  // lengths do not sum to the size
            [.. Header(1), .. Entry("a", 0, 1, 0)],                                     // an empty chunk
            [.. Header(1), .. Entry("a", 300_000, 1, 300_000)],                         // a chunk above MaxSize
            [.. Header(1), .. Entry("a", -5, 0)],                                       // a negative size
            [.. Header(1), .. Entry("../../etc/passwd", 0, 0)],                         // a path out of the mirror
            [.. Header(1), .. Entry("/etc/passwd", 0, 0)],
            [.. Header(2), .. Entry("a", 0, 0), .. Entry("a", 0, 0)],                   // the same path twice
            [.. Header(2), .. Entry("a", 0, 0)],                                        // fewer entries than announced
            [.. Header(1), .. Entry("a", 10, 1, 10)[..^2]],                             // cut inside a chunk record
            [.. Header(1), 0, 2, 0xC3, 0x28, .. Entry("a", 0, 0)[3..]],                 // a path that is not UTF-8
        ];
        foreach (byte[] body in hostile)
        {
            File.WriteAllBytes(file, Sealed(body));
            Assert.Equal(0, ChunkCache.Load(file).Count);
        }

        File.WriteAllBytes(file, Sealed([.. Header(1), .. Entry("a", 10, 1, 10)])); // the control: well-formed
        Assert.Equal(1, ChunkCache.Load(file).Count);
    }

    [Property(MaxTest = 300)]
    public Property Random_bytes_and_randomly_damaged_resealed_caches_load_without_throwing()
    {
        using var setup = new TempDir();
        byte[] valid = File.ReadAllBytes(SavedCache(setup))[..^32];
        Gen<byte[]> damaged = Gen.Zip(Gen.Choose(0, valid.Length), Gen.ListOf(Gen.Zip(Gen.Choose(0, valid.Length - 1), WireGen.Byte)))
            .Select(t =>
            {
                byte[] body = valid[..t.Item1];
                foreach ((int at, byte value) in t.Item2.Where(p => p.Item1 < body.Length))
                {
                    body[at] = value;
                }

                return Sealed(body);
            });
        return Prop.ForAll(Gen.OneOf(WireGen.BytesBetween(0, 300), damaged).ToArbitrary(), content =>
        {
            using var dir = new TempDir();
            string file = dir.Combine("cache");
            File.WriteAllBytes(file, content);
            int count = ChunkCache.Load(file).Count; // all or nothing: 0, or the 3 entries with bytes changed inside them
            return count is 0 or 3;
        });
    }
}
