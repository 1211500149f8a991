// A file under the offered name with the offered size and time counts as already received only
// when its content hashes to the sender's whole-file hash (protocol.md "Resume"): otherwise it is
// a name clash — kept, with the sender's file saved as "name (1).ext", or replaced with
// --overwrite. A file that really is the same still moves nothing.
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Tests.Protocol;

public class AlreadyHereCheckTests
{
    /// <summary>src/tree: doc.txt = "GOOD", same.bin (40,000 random bytes); out/tree: doc.txt = <paramref name="held"/> and the same same.bin, both with the sender's times.</summary>
    private static (SourcePlan Plan, string Top, string OutRoot) Prepare(TempDir dir, string held)
    {
        string top = dir.Combine("src", "tree");
        Directory.CreateDirectory(top);
        File.WriteAllText(Path.Combine(top, "doc.txt"), "GOOD");
        TransferKit.WriteRandom(Path.Combine(top, "same.bin"), 40_000, 11);
        SourcePlan plan = SourceScanner.Scan([top], 64 * 1024, followSymlinks: false, _ => { });

        string outRoot = dir.Combine("out");
        Directory.CreateDirectory(Path.Combine(outRoot, "tree"));
        File.WriteAllText(Path.Combine(outRoot, "tree", "doc.txt"), held);
        File.Copy(Path.Combine(top, "same.bin"), Path.Combine(outRoot, "tree", "same.bin"));
        foreach (OfferEntry entry in plan.Offer.Entries.Where(e => e.Type == EntryType.File))
        {
            File.SetLastWriteTimeUtc(Path.Combine(outRoot, entry.Path), DateTimeOffset.FromUnixTimeSeconds(entry.ModifiedUnixSeconds).UtcDateTime);
        }

        return (plan, top, outRoot);
    }

    private static string[] Names(string folder) => [.. Directory.GetFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    [Fact]
    public async Task Other_content_with_the_offered_size_and_time_is_kept_and_the_sent_file_saved_as_a_numbered_copy()
    {
        using var dir = new TempDir();
        (SourcePlan plan, string top, string outRoot) = Prepare(dir, held: "EVIL");

        var (sender, receiver, sent, received) = await TransferKit.TransferWithResumeAsync(plan, outRoot);

        Assert.Equal("EVIL", File.ReadAllText(Path.Combine(outRoot, "tree", "doc.txt")));
        Assert.Equal("GOOD", File.ReadAllText(Path.Combine(outRoot, "tree", "doc (1).txt")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(top, "same.bin")), File.ReadAllBytes(Path.Combine(outRoot, "tree", "same.bin")));
        Assert.Equal(["doc (1).txt", "doc.txt", "same.bin"], Names(Path.Combine(outRoot, "tree")));

        Assert.Equal([("tree/same.bin", 40_000L, 40_000L)], receiver.Resumed); // only the file whose content matched is "already here"
        Assert.Contains(receiver.Notices, n => n.Contains("not the sender's content", StringComparison.Ordinal));
        Assert.Contains(receiver.Notices, n => n.Contains("doc (1).txt", StringComparison.Ordinal));
        Assert.Contains(sender.Notices, n => n.Contains("did not match", StringComparison.Ordinal));
        Assert.Equal([Path.Combine("tree", "doc (1).txt")], receiver.Reports.Select(r => r.Path));
        Assert.Equal(["tree/doc.txt"], sender.Reports.Select(r => r.Path));
        Assert.Equal(4, sender.LastProgress); // same.bin never moved; doc.txt once, after the check
        Assert.Equal(1, received.Files);
        Assert.Equal(1, sent.Files);
    }

    [Fact]
    public async Task Other_content_with_the_offered_size_and_time_is_replaced_with_overwrite()
    {
        using var dir = new TempDir();
        (SourcePlan plan, _, string outRoot) = Prepare(dir, held: "EVIL");

        var (_, receiver, _, received) = await TransferKit.TransferWithResumeAsync(plan, outRoot, overwrite: true);

        Assert.Equal("GOOD", File.ReadAllText(Path.Combine(outRoot, "tree", "doc.txt")));
        Assert.Equal(["doc.txt", "same.bin"], Names(Path.Combine(outRoot, "tree")));
        Assert.Equal([("tree/same.bin", 40_000L, 40_000L)], receiver.Resumed);
        Assert.Equal(1, received.Files);
    }

    [Fact]
    public async Task The_same_content_moves_nothing_and_counts_no_file()
    {
        using var dir = new TempDir();
        (SourcePlan plan, _, string outRoot) = Prepare(dir, held: "GOOD");

        var (sender, receiver, sent, received) = await TransferKit.TransferWithResumeAsync(plan, outRoot);

        Assert.Equal([("tree/doc.txt", 4L, 4L), ("tree/same.bin", 40_000L, 40_000L)], receiver.Resumed);
        Assert.Empty(receiver.Reports);
        Assert.Empty(sender.Reports);
        Assert.Empty(receiver.Notices);
        Assert.Empty(sender.Notices);
        Assert.Equal(new TransferSummary(0, 0, 0), received);
        Assert.Equal(new TransferSummary(0, 0, 0), sent);
        Assert.Equal(["doc.txt", "same.bin"], Names(Path.Combine(outRoot, "tree")));
    }
}
