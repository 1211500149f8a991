// OfferReview: what a Files offer would do to the output folder. The rule --yes enforces (a hidden
// name landing in a folder that already exists, the output folder included), the marks the
// prompt and the JSON offer carry, and the screenful limit of the prompt.
using Tallow.Cli.Output;
using Tallow.Tests.Protocol;
using Tallow.Wire;

namespace Tallow.Tests.Cli;

public class OfferReviewTests
{
    private const uint Plain = 0x1A4;      // 0644
    private const uint Executable = 0x1ED; // 0755

    private static OfferEntry Folder(string path) => new(EntryType.Directory, path, 0, 0x1ED, 0);

    private static OfferEntry File(string path, ulong size = 10, uint mode = Plain) => new(EntryType.File, path, size, mode, 0);

    private static TransferOffer Offer(params OfferEntry[] entries) => new(TransferKind.Files, 65536, entries);

    [Fact]
    public void A_hidden_top_level_folder_is_flagged_even_when_the_output_folder_is_new()
    {
        using var dir = new TempDir();
        // `tallow send evil/.config`: what lands is .config/autostart/update.desktop, mode 0755.
        TransferOffer offer = Offer(Folder(".config"), Folder(".config/autostart"), File(".config/autostart/update.desktop", 81, Executable));
        OfferReview review = OfferReview.Create(offer, dir.Combine("not-yet"), overwrite: false);
        Assert.Equal([".config"], review.HiddenIntoExisting);
        TopLevelEntry top = Assert.Single(review.Entries);
        Assert.Equal(new TopLevelEntry(".config", IsFolder: true, Files: 1, Bytes: 81, Hidden: true, HiddenInside: 0, Executables: 1, Exists: false, Replaces: 0), top);
    }

    [Fact]
    public void Hidden_names_inside_a_new_folder_are_shown_but_not_flagged()
    {
        using var dir = new TempDir();
        TransferOffer offer = Offer(Folder("evil"), Folder("evil/.config"), File("evil/.config/x"), File("evil/run.sh", 5, Executable));
        OfferReview review = OfferReview.Create(offer, dir.Path, overwrite: false);
        Assert.Empty(review.HiddenIntoExisting);
        TopLevelEntry top = Assert.Single(review.Entries);
        Assert.False(top.Hidden);
        Assert.Equal(2, top.HiddenInside);
        Assert.Equal(1, top.Executables);
        Assert.False(top.Exists);
    }

    [Fact]
    public void Hidden_names_going_into_an_existing_folder_are_flagged_at_any_depth()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine("proj", "src"));
        TransferOffer offer = Offer(
            Folder("proj"),
            Folder("proj/.git"), Folder("proj/.git/hooks"), File("proj/.git/hooks/pre-commit", 40, Executable),
            File("proj/src/.env"),
            File("proj/new/.hidden"));     // 'new' does not exist: created by the transfer, not flagged
        OfferReview review = OfferReview.Create(offer, dir.Path, overwrite: false);
        Assert.Equal(["proj/.git", "proj/src/.env"], review.HiddenIntoExisting);
        TopLevelEntry top = Assert.Single(review.Entries);
        Assert.True(top.Exists);
        Assert.Equal(5, top.HiddenInside);
    }

    [Fact]
    public void A_symlinked_folder_is_not_an_existing_folder_and_entries_outside_the_selection_are_ignored()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine("real"));
        Directory.CreateSymbolicLink(dir.Combine("link"), dir.Combine("real"));
        TransferOffer offer = Offer(File("link/.bashrc"), File(".profile"), File("keep.txt"));
        OfferReview review = OfferReview.Create(offer, dir.Path, overwrite: false, include: (_, e) => e.Path != ".profile");
        Assert.Empty(review.HiddenIntoExisting); // writing through 'link' is refused anyway; .profile is not taken
        Assert.Equal(["link", "keep.txt"], review.Entries.Select(e => e.Name));
        Assert.True(review.Entries[0].Exists);
    }

    [Fact]
    public void With_overwrite_the_existing_files_that_would_be_replaced_are_counted()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine("docs"));
        System.IO.File.WriteAllText(dir.Combine("docs", "a.txt"), "old");
        System.IO.File.WriteAllText(dir.Combine("top.txt"), "old");
        TransferOffer offer = Offer(Folder("docs"), File("docs/a.txt"), File("docs/b.txt"), File("top.txt"));
        Assert.Equal(1, OfferReview.Create(offer, dir.Path, overwrite: true).Entries[0].Replaces);
        Assert.Equal(0, OfferReview.Create(offer, dir.Path, overwrite: false).Entries[0].Replaces);
        IReadOnlyList<string> lines = OfferReview.Create(offer, dir.Path, overwrite: true).Describe("3 files in 1 folder (30 B)", 10, overwrite: true);
        Assert.Equal("  docs/  (2 files, 20 B)  [merged into the existing folder, replaces 1 existing file]", lines[1]);
        Assert.Equal("  top.txt  (10 B)  [replaces the existing file]", lines[2]);
    }

    [Fact]
    public void The_prompt_names_every_entry_with_its_marks_and_warns_about_hidden_names()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine(".ssh"));
        TransferOffer offer = Offer(Folder(".ssh"), File(".ssh/authorized_keys", 100), File("tool", 2048, Executable), File("\u001b[31mred"));
        IReadOnlyList<string> lines = OfferReview.Create(offer, dir.Path, overwrite: false).Describe("3 files in 1 folder (2.1 KiB)", 10, overwrite: false);
        Assert.Equal(
        [
            "The sender offers 3 files in 1 folder (2.1 KiB):",
            "  .ssh/  (1 file, 100 B)  [hidden, merged into the existing folder]",
            "  tool  (2.0 KiB)  [executable]",
            "  ?[31mred  (10 B)",
            "Warning: hidden names would go into folders that already exist here: '.ssh'.",
            "Files like these can run code (autostart entries, git hooks, shell startup files, SSH keys): accept only if you expect them.",
        ], lines);
    }

    [Fact]
    public void Beyond_a_screenful_the_rest_is_counted_with_its_hidden_entries()
    {
        using var dir = new TempDir();
        OfferEntry[] entries = [.. Enumerable.Range(0, 30).Select(i => File($"f{i:D2}")), File(".a"), File(".b")];
        OfferReview review = OfferReview.Create(Offer(entries), dir.Path, overwrite: false);
        IReadOnlyList<string> lines = review.Describe("32 files (320 B)", 5, overwrite: false);
        Assert.Equal(1 + 5 + 2, lines.Count);
        Assert.Equal("  f03  (10 B)", lines[4]);
        Assert.Equal("  … and 28 more, 2 of them hidden", lines[5]);
        Assert.Contains("'.a', '.b'", lines[6], StringComparison.Ordinal);
        Assert.Contains("--allow-hidden", review.RefusalMessage(dir.Path), StringComparison.Ordinal);
        Assert.Contains("'.a', '.b'", review.RefusalMessage(dir.Path), StringComparison.Ordinal);
    }

    [Fact]
    public void The_json_fields_carry_the_same_marks()
    {
        using var dir = new TempDir();
        TransferOffer offer = Offer(Folder(".git"), Folder(".git/hooks"), File(".git/hooks/pre-commit", 40, Executable));
        (string Key, object? Value)[] fields = OfferReview.Create(offer, dir.Path, overwrite: false).JsonFields();
        var entries = (List<(string Key, object? Value)[]>)fields.Single(f => f.Key == "entries").Value!;
        Dictionary<string, object?> entry = entries.Single().ToDictionary(f => f.Key, f => f.Value);
        Assert.Equal(".git", entry["name"]);
        Assert.Equal("folder", entry["type"]);
        Assert.Equal(true, entry["hidden"]);
        Assert.Equal(1, entry["executables"]);
        Assert.Equal(false, entry["exists"]);
        Assert.Equal(new List<string> { ".git" }, fields.Single(f => f.Key == "hidden_into_existing").Value);
        Assert.Equal(0, fields.Single(f => f.Key == "entries_omitted").Value);
    }
}
