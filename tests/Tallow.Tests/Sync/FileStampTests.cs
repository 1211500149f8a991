// FileStamp: statx of the name itself. Only regular files have one (a symlink, even to a regular
// file, a folder or a FIFO has none), and a same-size rewrite whose modification time was put back
// is still seen, through the status-change time.
using Tallow.Protocol.Sync;
using Tallow.Protocol.Transfer;
using Tallow.Tests.Protocol;

namespace Tallow.Tests.Sync;

public class FileStampTests
{
    private static readonly DateTime Fixed = new DateTime(2021, 3, 4, 5, 6, 7, DateTimeKind.Utc).AddTicks(1_234_567);

    [Fact]
    public void A_regular_file_has_its_size_inode_and_nanosecond_modification_time()
    {
        using var dir = new TempDir();
        string path = dir.Combine("f.bin");
        File.WriteAllBytes(path, new byte[12_345]);
        File.SetLastWriteTimeUtc(path, Fixed);

        Assert.True(FileStamp.TryOf(path, out FileStamp stamp));

        Assert.Equal(12_345, stamp.Size);
        Assert.Equal((Fixed - DateTime.UnixEpoch).Ticks * 100, stamp.ModifiedNs);
        Assert.Equal(NativePath.IdOf(path)!.Value.Inode, stamp.Inode);
        Assert.True(stamp.ChangedNs > (DateTime.UtcNow.AddMinutes(-5) - DateTime.UnixEpoch).Ticks * 100);
    }

    [Fact]
    public void Symlinks_folders_fifos_and_missing_names_have_no_stamp()
    {
        using var dir = new TempDir();
        string file = dir.Combine("f.bin");
        File.WriteAllBytes(file, [1, 2, 3]);
        File.CreateSymbolicLink(dir.Combine("link"), file);
        SyncTestData.MakeFifo(dir.Combine("fifo"));
        Directory.CreateDirectory(dir.Combine("folder"));

        foreach (string name in new[] { "link", "fifo", "folder", "missing" })
        {
            Assert.False(FileStamp.TryOf(dir.Combine(name), out FileStamp stamp), name);
            Assert.Equal(default, stamp);
        }

        Assert.False(FileStamp.TryOf("", out _));
        Assert.False(FileStamp.TryOf("a\0b", out _));
        Assert.True(FileStamp.TryOf(file, out _));
    }

    [Fact]
    public void A_same_size_rewrite_with_the_modification_time_put_back_changes_the_stamp_and_misses_the_cache()
    {
        using var dir = new TempDir();
        string path = dir.Combine("f.bin");
        File.WriteAllBytes(path, SyncTestData.Pseudorandom(100_000, 1));
        File.SetLastWriteTimeUtc(path, Fixed);
        Assert.True(FileStamp.TryOf(path, out FileStamp before));
        var cache = ChunkCache.Load(dir.Combine("cache"));
        cache.Set("f.bin", before, ContentChunker.ChunkFile(path, CancellationToken.None));

        Thread.Sleep(30); // ctime comes from the kernel's coarse clock (one tick: 1-10 ms)
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            stream.Write(SyncTestData.Pseudorandom(100_000, 2)); // same inode, same size, other bytes
        }

        File.SetLastWriteTimeUtc(path, Fixed);                   // what touch -d / rsync --times do

        Assert.True(FileStamp.TryOf(path, out FileStamp after));
        Assert.Equal((before.Size, before.ModifiedNs, before.Inode), (after.Size, after.ModifiedNs, after.Inode));
        Assert.NotEqual(before.ChangedNs, after.ChangedNs);
        Assert.False(cache.TryGet("f.bin", after, out _));
    }
}
