// What a sync may touch on the receiver's side: only the mirror, never through a symlink, never a
// path a hostile sender makes up ('..', absolute, the state folder), and a plan that deletes
// more than half of the mirror is flagged for the receiver's explicit consent.
using Tallow.Protocol;
using Tallow.Protocol.Sync;
using Tallow.Tests.Protocol;
using Tallow.Wire;

namespace Tallow.Tests.Sync;

public sealed class SyncConfinementTests
{
    [Fact]
    public async Task Delete_removes_a_symlink_itself_never_what_it_points_to()
    {
        using var dir = new TempDir();
        string source = dir.Combine("proj");
        string mirror = dir.Combine("out", "proj");
        string outside = dir.Combine("precious");
        Directory.CreateDirectory(source);
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "keep.txt"), "keep me");
        File.WriteAllText(Path.Combine(source, "a.txt"), "a");
        await using SyncPair pair = await SyncPair.CreateAsync(mirror);
        await pair.RoundAsync(source, delete: true);
        File.CreateSymbolicLink(Path.Combine(mirror, "escape"), outside);
        File.CreateSymbolicLink(Path.Combine(mirror, "sub"), outside); // the source will have a real folder 'sub'
        Directory.CreateDirectory(Path.Combine(source, "sub"));
        File.WriteAllText(Path.Combine(source, "sub", "keep.txt"), "overwritten?");

        await pair.RoundAsync(source, delete: true);

        Assert.Equal("keep me", File.ReadAllText(Path.Combine(outside, "keep.txt")));
        Assert.Single(Directory.GetFileSystemEntries(outside));
        Assert.False(File.Exists(Path.Combine(mirror, "escape")) || Directory.Exists(Path.Combine(mirror, "escape")));
        Assert.Null(new DirectoryInfo(Path.Combine(mirror, "sub")).LinkTarget);
        SyncAssert.SameTree(source, mirror);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("../escape.txt")]
    [InlineData("a/../../escape.txt")]
    [InlineData("/tmp/escape.txt")]
    [InlineData(".tallow-sync/cache")]
    public async Task A_plan_naming_a_path_outside_the_mirror_or_its_state_is_refused_before_anything_is_written(string hostile)
    {
        using var dir = new TempDir();
        string mirror = dir.Combine("out", "proj");
        Directory.CreateDirectory(mirror);
        File.WriteAllText(Path.Combine(mirror, "a.txt"), "a");
        await using SyncPair pair = await SyncPair.CreateAsync(mirror);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Task<SyncRoundReport?> receiving = pair.Receiver.RunRoundAsync((_, _) => Task.FromResult(SyncDecision.Go), timeout.Token);

        // A hostile sender: a round, then a plan with a made-up path (a delete, and a file with one chunk).
        await pair.SenderLink.Port.SendAsync(RecordKind.SyncRound, SyncCodec.WriteRound(1, []), timeout.Token);
        await pair.SenderLink.ReceiveBlobAsync(RecordKind.SyncIndex, SyncLink.MaxIndexBytes, timeout.Token);
        byte[] content = "evil"u8.ToArray();
        var chunks = new FileChunks(ContentHash.Compute(content), content.Length, [new ChunkRef(ContentHash.Compute(content), content.Length)]);
        SyncOp[] plan = [SyncOp.Delete(hostile), SyncOp.File(hostile, 0, 0x1A4, chunks)];
        await pair.SenderLink.SendBlobAsync(RecordKind.SyncPlan, SyncCodec.WritePlan(plan), timeout.Token);

        var error = await Assert.ThrowsAsync<TallowException>(() => receiving);
        Assert.Contains("broke the sync protocol", error.Message, StringComparison.Ordinal);
        Assert.Equal("a", File.ReadAllText(Path.Combine(mirror, "a.txt")));
        Assert.False(File.Exists(dir.Combine("out", "escape.txt")));
        Assert.False(File.Exists("/tmp/escape.txt"));
    }

    [Fact]
    public async Task Deleting_more_than_half_of_the_mirror_is_flagged_and_half_is_not()
    {
        using var dir = new TempDir();
        string source = dir.Combine("proj");
        string mirror = dir.Combine("out", "proj");
        for (int i = 0; i < 10; i++)
        {
            Directory.CreateDirectory(Path.Combine(source, "d"));
            File.WriteAllText(Path.Combine(source, "d", $"{i}.txt"), $"{i}");
        }

        await using SyncPair pair = await SyncPair.CreateAsync(mirror);
        await pair.RoundAsync(source, delete: true);
        for (int i = 0; i < 5; i++)
        {
            File.Delete(Path.Combine(source, "d", $"{i}.txt"));
        }

        SyncReview? half = null;
        await pair.RoundAsync(source, delete: true, decide: r => { half = r; return SyncDecision.Go; });
        Assert.Equal(5, half!.DeletedFiles);
        Assert.False(half.IsMassDelete);

        File.Delete(Path.Combine(source, "d", "5.txt"));
        File.Delete(Path.Combine(source, "d", "6.txt"));
        File.Delete(Path.Combine(source, "d", "7.txt"));
        SyncReview? most = null;
        await Assert.ThrowsAsync<TallowException>(() => pair.RoundAsync(source, delete: true, decide: r => { most = r; return SyncDecision.Stop("mass delete"); }));
        Assert.True(most!.IsMassDelete);
        Assert.Equal(5, Directory.GetFiles(Path.Combine(mirror, "d")).Length);
    }
}
