// Folders are scanned at the same time (a task per subfolder), yet the offer lists the tree in
// one fixed order — each folder, then its entries by ordinal name, a subfolder's contents in its
// place — and notices come in that same order, as a walk of one folder after another gave them.
using Tallow.Protocol.Transfer;

namespace Tallow.Tests.Protocol;

public class SourceScannerOrderTests
{
    [Fact]
    public void A_tree_of_many_folders_is_offered_in_walk_order_with_its_notices_in_that_order()
    {
        using var dir = new TempDir();
        string top = dir.Combine("top");
        var expected = new List<string> { "top" };
        var expectedNotices = new List<string>();
        for (int d = 0; d < 40; d++)
        {
            string folder = $"d{d:D2}";
            expected.Add($"top/{folder}");
            for (int s = 0; s < 3; s++)
            {
                string sub = Path.Combine(top, folder, $"s{s}");
                Directory.CreateDirectory(sub);
                expected.Add($"top/{folder}/s{s}");
                for (int f = 0; f < 5; f++)
                {
                    File.WriteAllText(Path.Combine(sub, $"f{f}.txt"), $"{d}/{s}/{f}");
                    expected.Add($"top/{folder}/s{s}/f{f}.txt");
                }

                string link = Path.Combine(sub, "zz-link");
                File.CreateSymbolicLink(link, Path.Combine(sub, "f0.txt"));
                expectedNotices.Add($"skipping symlink '{link}' (pass --follow-symlinks to send what it points to)");
            }
        }

        for (int round = 0; round < 3; round++)
        {
            var notices = new List<string>();
            SourcePlan plan = SourceScanner.Scan([top], 64 * 1024, followSymlinks: false, notices.Add);

            Assert.Equal(expected, plan.Offer.Entries.Select(e => e.Path));
            Assert.Equal(expectedNotices, notices);
            for (int i = 0; i < plan.Offer.Entries.Count; i++)
            {
                string? local = plan.LocalPaths[i];
                Assert.Equal(plan.Offer.Entries[i].Type == Tallow.Wire.EntryType.File ? Path.Combine(dir.Path, plan.Offer.Entries[i].Path) : null, local);
            }
        }
    }
}
