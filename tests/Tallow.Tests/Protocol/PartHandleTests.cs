// What was hashed is what is saved (DESIGN.md §8): a local program that swaps the part file for
// another file under the same name — after its prefix was re-hashed for the resume offer, or
// after the last byte was written and before the final name is given — never gets its content
// saved under the final name. Real files on the real file system; the swaps happen at the seams
// the receive already has: between planning and receiving, and in the progress callback that
// runs on the receive loop after a chunk reached the part file.
using Tallow.Protocol;
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Tests.Protocol;

public class PartHandleTests
{
    private static (SourcePlan Plan, byte[] Content, string OutRoot, string PartPath) Prepare(TempDir dir, int length)
    {
        string top = dir.Combine("src", "tree");
        TransferKit.WriteRandom(Path.Combine(top, "f.bin"), length, 41);
        SourcePlan plan = SourceScanner.Scan([top], 16 * 1024, followSymlinks: false, _ => { });
        string outRoot = dir.Combine("out");
        return (plan, File.ReadAllBytes(Path.Combine(top, "f.bin")), outRoot, Path.Combine(outRoot, "tree", "f.bin" + OutputDirectory.PartSuffix));
    }

    /// <summary>Puts a file of <paramref name="length"/> bytes of 'X' under <paramref name="partPath"/> (renamed over it, as an attacker would).</summary>
    private static byte[] SwapIn(string partPath, int length, string? keepOriginalAs)
    {
        byte[] forged = new byte[length];
        Array.Fill(forged, (byte)'X');
        string staged = partPath + ".forged";
        File.WriteAllBytes(staged, forged);
        if (keepOriginalAs is not null)
        {
            File.Move(partPath, keepOriginalAs);
        }

        File.Move(staged, partPath, overwrite: true);
        return forged;
    }

    [Fact]
    public async Task A_part_swapped_after_its_prefix_was_hashed_is_not_continued_or_saved()
    {
        using var dir = new TempDir();
        (SourcePlan plan, byte[] content, string outRoot, string partPath) = Prepare(dir, 300_000);
        OfferEntry entry = plan.Offer.Entries.Single(e => e.Type == EntryType.File);
        TransferKit.LeaveInterruptedPart(new OutputDirectory(outRoot, false), entry, ["tree", "f.bin"], content, 200_000);

        // After the plan hashed the 200,000 bytes (and told the sender to continue after them), the
        // part is moved away inside the output folder and a file of the same length with other bytes takes its name.
        var (_, receiver, _, _) = await TransferKit.TransferWithResumeAsync(plan, outRoot,
            afterPlanning: () => SwapIn(partPath, 200_000, keepOriginalAs: Path.Combine(outRoot, "tree", "moved-away")));

        Assert.Equal([("tree/f.bin", 200_000L, 300_000L)], receiver.Resumed);
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(outRoot, "tree", "f.bin")));
    }

    [Fact]
    public async Task A_part_deleted_and_replaced_after_its_prefix_was_hashed_fails_the_receive_instead_of_saving_the_replacement()
    {
        using var dir = new TempDir();
        (SourcePlan plan, byte[] content, string outRoot, string partPath) = Prepare(dir, 300_000);
        OfferEntry entry = plan.Offer.Entries.Single(e => e.Type == EntryType.File);
        TransferKit.LeaveInterruptedPart(new OutputDirectory(outRoot, false), entry, ["tree", "f.bin"], content, 200_000);

        // Renamed over: the hashed file has no name left, so there is nothing verified to save.
        var ex = await Assert.ThrowsAsync<TallowException>(() => TransferKit.TransferWithResumeAsync(plan, outRoot, afterPlanning: () => SwapIn(partPath, 200_000, keepOriginalAs: null)));

        Assert.Equal(FailureKind.FileSystem, ex.Kind);
        Assert.Contains("replaced by another program", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(outRoot, "tree", "f.bin")));
    }

    [Fact]
    public async Task A_part_swapped_before_its_final_name_is_given_is_not_saved()
    {
        using var dir = new TempDir();
        (SourcePlan plan, byte[] content, string outRoot, string partPath) = Prepare(dir, 100_000);
        string moved = Path.Combine(outRoot, "tree", "moved-away");

        // Once the last chunk is in the part file, the part is moved away (it stays in the output
        // folder) and a forged file of the same length takes its name.
        var observer = new RecordingObserver { OnProgressHook = done => { if (done == content.Length) { SwapIn(partPath, content.Length, keepOriginalAs: moved); } } };
        await TransferKit.TransferWithResumeAsync(plan, outRoot, receiverObserver: observer);

        Assert.Equal(content, File.ReadAllBytes(Path.Combine(outRoot, "tree", "f.bin")));
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(outRoot, "tree")), f => Path.GetFileName(f).StartsWith("f (", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_overwrite_a_part_swapped_before_it_replaces_the_old_file_fails_and_the_old_file_stays()
    {
        using var dir = new TempDir();
        (SourcePlan plan, byte[] content, string outRoot, string partPath) = Prepare(dir, 100_000);
        Directory.CreateDirectory(Path.Combine(outRoot, "tree"));
        File.WriteAllText(Path.Combine(outRoot, "tree", "f.bin"), "the old file");

        var observer = new RecordingObserver { OnProgressHook = done => { if (done == content.Length) { SwapIn(partPath, content.Length, keepOriginalAs: Path.Combine(outRoot, "tree", "moved-away")); } } };
        var ex = await Assert.ThrowsAsync<TallowException>(() => TransferKit.TransferWithResumeAsync(plan, outRoot, overwrite: true, receiverObserver: observer));

        Assert.Equal(FailureKind.FileSystem, ex.Kind);
        Assert.Equal("the old file", File.ReadAllText(Path.Combine(outRoot, "tree", "f.bin")));
    }
}
