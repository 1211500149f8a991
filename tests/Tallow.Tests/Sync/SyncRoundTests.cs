// Sync rounds between a real SyncSender and SyncReceiver over a real session: the mirror follows
// the source (content, modes, times, empty folders), an unchanged tree moves nothing, a rename
// or an insertion moves (almost) nothing, a file changed on the receiver's side is replaced with
// a notice and kept by --backup, and an interrupted round's staged chunks are reused.
using Tallow.Protocol.Sync;
using Tallow.Tests.Protocol;

namespace Tallow.Tests.Sync;

public sealed class SyncRoundTests
{
    private static void Write(string root, string relative, byte[] content, UnixFileMode? mode = null)
    {
        string path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        if (mode is not null)
        {
            File.SetUnixFileMode(path, mode.Value);
        }
    }

    private static (TempDir Dir, string Source, string Mirror) Trees()
    {
        var dir = new TempDir();
        string source = dir.Combine("proj");
        Directory.CreateDirectory(source);
        return (dir, source, dir.Combine("out", "proj"));
    }

    [Fact]
    public async Task First_round_mirrors_content_modes_times_and_empty_folders_and_a_second_moves_nothing()
    {
        (TempDir dir, string source, string mirror) = Trees();
        using TempDir cleanup = dir;
        Write(source, "a.txt", "hello"u8.ToArray());
        Write(source, "bin/run.sh", "#!/bin/sh\necho hi\n"u8.ToArray(), (UnixFileMode)0x1ED);
        Write(source, "deep/er/still/big.bin", TransferKit.Random(3 * 1024 * 1024, 1));
        Write(source, "empty.txt", []);
        Write(source, ".env", "hidden"u8.ToArray());
        Directory.CreateDirectory(Path.Combine(source, "nothing/here"));
        File.SetLastWriteTimeUtc(Path.Combine(source, "a.txt"), new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1234567));
        await using SyncPair pair = await SyncPair.CreateAsync(mirror);

        (SyncRoundResult first, SyncRoundReport? applied) = await pair.RoundAsync(source);
        SyncAssert.SameTree(source, mirror);
        Assert.Contains(".env", SyncAssert.Tree(mirror).Keys); // the comparison sees hidden entries too
        Assert.Equal(0u, first.Applied.Failed);
        Assert.Equal(5, applied!.Review.NewFiles);
        Assert.True(first.ContentBytes >= 3 * 1024 * 1024);

        (SyncRoundResult second, SyncRoundReport? again) = await pair.RoundAsync(source);
        Assert.Empty(second.Plan.Ops);
        Assert.Equal(0, second.ContentBytes);
        Assert.True(again!.Review.IsEmpty);
        SyncAssert.SameTree(source, mirror);
    }

    [Fact]
    public async Task A_renamed_file_moves_no_content_and_is_reported_as_renamed()
    {
        (TempDir dir, string source, string mirror) = Trees();
        using TempDir cleanup = dir;
        Write(source, "old/name.bin", TransferKit.Random(4 * 1024 * 1024, 2));
        await using SyncPair pair = await SyncPair.CreateAsync(mirror);
        await pair.RoundAsync(source, delete: true);

        Directory.CreateDirectory(Path.Combine(source, "new"));
        File.Move(Path.Combine(source, "old/name.bin"), Path.Combine(source, "new/other.bin"));
        Directory.Delete(Path.Combine(source, "old"));
        (SyncRoundResult sent, SyncRoundReport? report) = await pair.RoundAsync(source, delete: true);

        Assert.Equal(0, sent.ContentBytes);
        Assert.Equal(1, report!.Review.Renamed);
        Assert.False(Directory.Exists(Path.Combine(mirror, "old")));
        SyncAssert.SameTree(source, mirror);
    }

    [Fact]
    public async Task Bytes_inserted_at_the_start_and_one_byte_changed_in_the_middle_move_a_few_chunks()
    {
        (TempDir dir, string source, string mirror) = Trees();
        using TempDir cleanup = dir;
        byte[] original = TransferKit.Random(16 * 1024 * 1024, 3);
        Write(source, "data.bin", original);
        await using SyncPair pair = await SyncPair.CreateAsync(mirror);
        await pair.RoundAsync(source);

        Write(source, "data.bin", [.. TransferKit.Random(100, 4), .. original]);
        (SyncRoundResult inserted, _) = await pair.RoundAsync(source);
        SyncAssert.SameTree(source, mirror);
        Assert.True(inserted.ContentBytes <= 2 * ContentChunker.MaxSize, $"100 bytes inserted moved {inserted.ContentBytes} bytes");

        byte[] changed = File.ReadAllBytes(Path.Combine(source, "data.bin"));
        changed[changed.Length / 2] ^= 0xFF;
        Write(source, "data.bin", changed);
        (SyncRoundResult flipped, _) = await pair.RoundAsync(source);
        SyncAssert.SameTree(source, mirror);
        Assert.True(flipped.ContentBytes <= 2 * ContentChunker.MaxSize, $"one byte changed moved {flipped.ContentBytes} bytes");
    }

    [Fact]
    public async Task A_file_changed_on_the_receivers_side_is_replaced_with_a_notice_and_kept_in_the_backup()
    {
        (TempDir dir, string source, string mirror) = Trees();
        using TempDir cleanup = dir;
        string backup = dir.Combine("backup");
        Write(source, "notes.txt", "from the source"u8.ToArray());
        Write(source, "gone.txt", "deleted later"u8.ToArray());
        await using SyncPair pair = await SyncPair.CreateAsync(mirror, backup);
        await pair.RoundAsync(source, delete: true);

        File.WriteAllText(Path.Combine(mirror, "notes.txt"), "edited on the receiver");
        File.Delete(Path.Combine(source, "gone.txt"));
        (_, SyncRoundReport? report) = await pair.RoundAsync(source, delete: true);

        SyncAssert.SameTree(source, mirror);
        Assert.Contains(pair.ReceiverObserver.Notices, n => n.Contains("notes.txt", StringComparison.Ordinal) && n.Contains("changed on this side", StringComparison.Ordinal));
        Assert.Equal(2, report!.BackedUp);
        string[] kept = Directory.GetFiles(backup, "*", SearchOption.AllDirectories);
        Assert.Contains(kept, k => k.EndsWith("/notes.txt", StringComparison.Ordinal) && File.ReadAllText(k) == "edited on the receiver");
        Assert.Contains(kept, k => k.EndsWith("/gone.txt", StringComparison.Ordinal) && File.ReadAllText(k) == "deleted later");
    }

    [Fact]
    public async Task A_declined_round_changes_nothing_and_the_sender_hears_why()
    {
        (TempDir dir, string source, string mirror) = Trees();
        using TempDir cleanup = dir;
        Write(source, "a.txt", "a"u8.ToArray());
        await using SyncPair pair = await SyncPair.CreateAsync(mirror);

        Task<(SyncRoundResult, SyncRoundReport?)> round = pair.RoundAsync(source, decide: _ => SyncDecision.Stop("not today"));
        var error = await Assert.ThrowsAsync<Tallow.Protocol.TallowException>(() => round);
        Assert.Contains("not today", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(mirror));
    }

    [Fact]
    public async Task Chunks_staged_by_an_interrupted_round_are_reused_by_the_next()
    {
        (TempDir dir, string source, string mirror) = Trees();
        using TempDir cleanup = dir;
        byte[] content = TransferKit.Random(8 * 1024 * 1024, 5);
        Write(source, "big.bin", content);
        Write(mirror, ".tallow-sync/staging/1-0", content.AsSpan(0, 6 * 1024 * 1024).ToArray()); // what a killed receiver left, named as round 1 names its first file
        await using SyncPair pair = await SyncPair.CreateAsync(mirror);

        (SyncRoundResult sent, _) = await pair.RoundAsync(source);

        SyncAssert.SameTree(source, mirror);
        Assert.True(sent.ContentBytes < 3 * 1024 * 1024, $"moved {sent.ContentBytes} bytes although 6 MiB were staged");
        Assert.Empty(Directory.GetFiles(Path.Combine(mirror, ".tallow-sync/staging")));
    }
}
