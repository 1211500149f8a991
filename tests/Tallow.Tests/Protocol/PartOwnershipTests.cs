// Offering a name must not let a sender remove what it does not own (DESIGN.md §8): another
// receive's part file and sidecar under that name (another version of the file) and a user's own
// files that merely look like part files stay exactly as they were; the offered file is received
// beside them, and the other receive can still resume afterwards.
using Tallow.Protocol.Transfer;
using Tallow.Protocol.Transfer.Resume;
using Tallow.Wire;

namespace Tallow.Tests.Protocol;

public class PartOwnershipTests
{
    [Fact]
    public async Task Another_receives_part_and_files_named_like_part_files_survive_an_offer_of_those_names()
    {
        using var dir = new TempDir();
        string top = dir.Combine("src", "tree");
        TransferKit.WriteRandom(Path.Combine(top, "d", "big.iso"), 120_000, 21);
        TransferKit.WriteRandom(Path.Combine(top, "notes"), 3_000, 22);
        SourcePlan plan = SourceScanner.Scan([top], 64 * 1024, followSymlinks: false, _ => { });
        string outRoot = dir.Combine("out");
        var output = new OutputDirectory(outRoot, overwrite: false);

        // An interrupted receive of another version of tree/d/big.iso (other size and time).
        var otherVersion = new OfferEntry(EntryType.File, "tree/d/big.iso", 900_000, 0x1A4, 1_600_000_000);
        TransferKit.LeaveInterruptedPart(output, otherVersion, ["tree", "d", "big.iso"], TransferKit.Random(900_000, 23), 500_000);
        string otherPart = Path.Combine(outRoot, "tree", "d", "big.iso.tallow-part");
        string otherSidecar = Path.Combine(outRoot, "tree", "d", "big.iso.tallow-resume");
        byte[] otherPartBytes = File.ReadAllBytes(otherPart);
        byte[] otherSidecarBytes = File.ReadAllBytes(otherSidecar);

        // The user's own files, named like the part file and sidecar of "notes".
        string userPart = Path.Combine(outRoot, "tree", "notes.tallow-part");
        string userSidecar = Path.Combine(outRoot, "tree", "notes.tallow-resume");
        File.WriteAllText(userPart, "my notes about tallow part files");
        File.WriteAllText(userSidecar, "and about resume files");

        var (_, receiver, _, received) = await TransferKit.TransferWithResumeAsync(plan, outRoot);

        Assert.Equal(2, received.Files);
        Assert.Equal(File.ReadAllBytes(Path.Combine(top, "d", "big.iso")), File.ReadAllBytes(Path.Combine(outRoot, "tree", "d", "big.iso")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(top, "notes")), File.ReadAllBytes(Path.Combine(outRoot, "tree", "notes")));
        Assert.Equal(otherPartBytes, File.ReadAllBytes(otherPart));
        Assert.Equal(otherSidecarBytes, File.ReadAllBytes(otherSidecar));
        Assert.Equal("my notes about tallow part files", File.ReadAllText(userPart));
        Assert.Equal("and about resume files", File.ReadAllText(userSidecar));
        Assert.Contains(receiver.Notices, n => n.Contains("big.iso.tallow-part", StringComparison.Ordinal) && n.Contains("kept", StringComparison.Ordinal));

        // Nothing else is left beside them, and the other receive still continues where it was.
        Assert.Equal(["big.iso", "big.iso.tallow-part", "big.iso.tallow-resume"], Directory.GetFiles(Path.Combine(outRoot, "tree", "d")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(["notes", "notes.tallow-part", "notes.tallow-resume"], Directory.GetFiles(Path.Combine(outRoot, "tree")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using ReceivePlan again = ReceivePlan.Create(new TransferOffer(TransferKind.Files, 64 * 1024, [otherVersion]), null, output, _ => { }, null);
        Assert.Equal(500_000, again.Files.Single().Offset);
    }

    [Fact]
    public void A_part_that_another_receive_of_the_same_offer_holds_open_is_not_removed()
    {
        using var dir = new TempDir();
        var output = new OutputDirectory(dir.Path, overwrite: false);
        var entry = new OfferEntry(EntryType.File, "f.bin", 10, 0x1A4, 1_700_000_000);
        byte[] identity = ResumeSidecar.IdentityOf(entry);

        PartFile running = output.CreatePart(["f.bin"], identity); // open and locked, as while receiving
        RandomAccess.Write(running.Handle, "in progress"u8, 0);
        PartFile second = output.CreatePart(["f.bin"], identity);
        running.Dispose();
        second.Dispose();

        Assert.NotEqual(running.PartPath, second.PartPath);
        Assert.Equal(dir.Combine("f.bin" + OutputDirectory.PartSuffix), running.PartPath);
        Assert.Equal("in progress", File.ReadAllText(running.PartPath));
        Assert.True(File.Exists(dir.Combine("f.bin" + ResumeSidecar.Suffix)));
    }

    [Fact]
    public async Task This_offers_own_stale_part_is_replaced()
    {
        using var dir = new TempDir();
        string top = dir.Combine("src", "tree");
        TransferKit.WriteRandom(Path.Combine(top, "f.bin"), 50_000, 24);
        SourcePlan plan = SourceScanner.Scan([top], 64 * 1024, followSymlinks: false, _ => { });
        string outRoot = dir.Combine("out");
        OfferEntry entry = plan.Offer.Entries.Single(e => e.Path == "tree/f.bin");

        // Its own earlier part, whose prefix no longer verifies: it is this offer's, so it goes.
        byte[] stale = File.ReadAllBytes(Path.Combine(top, "f.bin"));
        TransferKit.LeaveInterruptedPart(new OutputDirectory(outRoot, false), entry, ["tree", "f.bin"], stale, 30_000);
        using (var part = new FileStream(Path.Combine(outRoot, "tree", "f.bin" + OutputDirectory.PartSuffix), FileMode.Open))
        {
            part.Position = 10;
            part.WriteByte(0xEE);
        }

        var (_, receiver, _, _) = await TransferKit.TransferWithResumeAsync(plan, outRoot);

        Assert.Contains(receiver.Notices, n => n.Contains("changed on disk", StringComparison.Ordinal));
        Assert.Equal(File.ReadAllBytes(Path.Combine(top, "f.bin")), File.ReadAllBytes(Path.Combine(outRoot, "tree", "f.bin")));
        Assert.Equal(["f.bin"], Directory.GetFiles(Path.Combine(outRoot, "tree")).Select(Path.GetFileName));
        Assert.False(File.Exists(Path.Combine(outRoot, "tree", "f.bin" + ResumeSidecar.Suffix)));
    }
}
