// OutputDirectory (DESIGN.md §8 output safety): part files, commit under the final name,
// "name (1).ext" instead of overwriting, --overwrite, and symlinks that are never followed.
using System.Text;
using Tallow.Protocol;
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Tests.Protocol;

public class OutputDirectoryTests
{
    private static void Write(PartFile part, string text) => RandomAccess.Write(part.Handle, Encoding.UTF8.GetBytes(text), 0);

    private static string Receive(OutputDirectory output, string text, List<string> notices, params string[] components)
    {
        PartFile part = output.CreatePart(components);
        Assert.EndsWith(OutputDirectory.PartSuffix, part.PartPath, StringComparison.Ordinal);
        Assert.True(File.Exists(part.PartPath));
        Write(part, text);
        return output.Commit(part, 1_700_000_000, 0x1A4, notices.Add);
    }

    [Fact]
    public void CreatePart_then_Commit_gives_the_final_name()
    {
        using var dir = new TempDir();
        var output = new OutputDirectory(dir.Path, overwrite: false);
        var notices = new List<string>();

        string saved = Receive(output, "hello", notices, "sub", "deeper", "file.txt");

        Assert.Equal(dir.Combine("sub", "deeper", "file.txt"), saved);
        Assert.Equal("hello", File.ReadAllText(saved));
        Assert.False(File.Exists(saved + OutputDirectory.PartSuffix));
        Assert.Empty(notices);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).UtcDateTime, File.GetLastWriteTimeUtc(saved));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(saved));
        Assert.Equal(Path.Combine("sub", "deeper", "file.txt"), output.Relative(saved));
    }

    [Fact]
    public void Creates_the_output_root_when_missing()
    {
        using var dir = new TempDir();
        string root = dir.Combine("new", "out");
        var output = new OutputDirectory(root, overwrite: false);
        Assert.True(Directory.Exists(root));
        Assert.Equal(root, output.Root);
    }

    [Fact]
    public void An_existing_file_is_kept_and_the_new_one_is_numbered_with_a_notice()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Combine("report.txt"), "old");
        var output = new OutputDirectory(dir.Path, overwrite: false);
        var notices = new List<string>();

        string first = Receive(output, "new 1", notices, "report.txt");
        string second = Receive(output, "new 2", notices, "report.txt");

        Assert.Equal(dir.Combine("report (1).txt"), first);
        Assert.Equal(dir.Combine("report (2).txt"), second);
        Assert.Equal("old", File.ReadAllText(dir.Combine("report.txt")));
        Assert.Equal("new 1", File.ReadAllText(first));
        Assert.Equal("new 2", File.ReadAllText(second));
        Assert.Equal(2, notices.Count);
        Assert.Contains("report.txt", notices[0], StringComparison.Ordinal);
        Assert.Contains("report (1).txt", notices[0], StringComparison.Ordinal);
        Assert.Contains("--overwrite", notices[0], StringComparison.Ordinal);
    }

    [Fact]
    public void An_existing_folder_with_the_final_name_is_not_touched()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine("thing"));
        var output = new OutputDirectory(dir.Path, overwrite: true);
        var notices = new List<string>();
        string saved = Receive(output, "x", notices, "thing");
        Assert.Equal(dir.Combine("thing (1)"), saved);
        Assert.True(Directory.Exists(dir.Combine("thing")));
        Assert.Single(notices);
    }

    [Fact]
    public void Overwrite_replaces_an_existing_file()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Combine("a.txt"), "old");
        var output = new OutputDirectory(dir.Path, overwrite: true);
        var notices = new List<string>();

        string saved = Receive(output, "new", notices, "a.txt");

        Assert.Equal(dir.Combine("a.txt"), saved);
        Assert.Equal("new", File.ReadAllText(saved));
        Assert.False(File.Exists(dir.Combine("a (1).txt")));
        Assert.Empty(notices);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_symlink_at_the_final_name_is_never_written_through(bool overwrite)
    {
        using var dir = new TempDir();
        string outside = dir.Combine("outside.txt");
        File.WriteAllText(outside, "precious");
        string root = dir.Combine("out");
        Directory.CreateDirectory(root);
        File.CreateSymbolicLink(Path.Combine(root, "a.txt"), outside);
        var output = new OutputDirectory(root, overwrite);

        string saved = Receive(output, "attacker", [], "a.txt");

        Assert.Equal(Path.Combine(root, "a (1).txt"), saved);
        Assert.Equal("precious", File.ReadAllText(outside));
        Assert.NotNull(new FileInfo(Path.Combine(root, "a.txt")).LinkTarget);
    }

    [Theory]
    [InlineData("link")]
    [InlineData("real/link")]
    public void A_symlinked_folder_in_the_path_is_refused(string linkPath)
    {
        using var dir = new TempDir();
        string outside = dir.Combine("outside");
        Directory.CreateDirectory(outside);
        string root = dir.Combine("out");
        Directory.CreateDirectory(Path.Combine(root, "real"));
        Directory.CreateSymbolicLink(Path.Combine(root, linkPath), outside);
        var output = new OutputDirectory(root, overwrite: false);
        string[] components = [.. linkPath.Split('/'), "x.txt"];

        var ex = Assert.Throws<TallowException>(() => output.CreatePart(components));
        Assert.Equal(FailureKind.FileSystem, ex.Kind);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));

        var ex2 = Assert.Throws<TallowException>(() => output.EnsureDirectory([.. linkPath.Split('/'), "sub"]));
        Assert.Equal(FailureKind.FileSystem, ex2.Kind);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Fact]
    public void A_dangling_symlink_in_the_path_is_refused()
    {
        using var dir = new TempDir();
        string root = dir.Combine("out");
        Directory.CreateDirectory(root);
        string target = dir.Combine("not-yet");
        File.CreateSymbolicLink(Path.Combine(root, "d"), target);
        var output = new OutputDirectory(root, overwrite: false);

        Assert.Throws<TallowException>(() => output.CreatePart(["d", "x.txt"]));
        Assert.False(Directory.Exists(target));
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void A_file_where_a_folder_is_needed_is_refused()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Combine("d"), "i am a file");
        var output = new OutputDirectory(dir.Path, overwrite: true);
        var ex = Assert.Throws<TallowException>(() => output.CreatePart(["d", "x.txt"]));
        Assert.Equal(FailureKind.FileSystem, ex.Kind);
        Assert.Equal("i am a file", File.ReadAllText(dir.Combine("d")));
    }

    [Fact]
    public void A_planted_part_file_symlink_is_left_alone_and_its_target_unchanged()
    {
        using var dir = new TempDir();
        string outside = dir.Combine("victim.txt");
        File.WriteAllText(outside, "precious");
        string root = dir.Combine("out");
        Directory.CreateDirectory(root);
        string planted = Path.Combine(root, "x" + OutputDirectory.PartSuffix);
        File.CreateSymbolicLink(planted, outside);
        var output = new OutputDirectory(root, overwrite: false);

        var notices = new List<string>();
        PartFile part = output.CreatePart(["x"], notice: notices.Add);
        Assert.Equal(Path.Combine(root, "x.1" + OutputDirectory.PartSuffix), part.PartPath); // beside it: the link is not this receive's to remove
        Assert.Contains(notices, n => n.Contains("kept", StringComparison.Ordinal));
        Write(part, "received");
        string saved = output.Commit(part, 0, 0x180, _ => { });

        Assert.Equal(Path.Combine(root, "x"), saved);
        Assert.Equal("received", File.ReadAllText(saved));
        Assert.Equal("precious", File.ReadAllText(outside));
        Assert.Equal(outside, new FileInfo(planted).LinkTarget);
        Assert.Equal(["x", "x" + OutputDirectory.PartSuffix], Directory.GetFileSystemEntries(root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_planted_part_file_symlink_to_a_folder_is_left_alone_and_the_folder_unchanged()
    {
        using var dir = new TempDir();
        string outsideDir = dir.Combine("victim-dir");
        Directory.CreateDirectory(outsideDir);
        File.WriteAllText(Path.Combine(outsideDir, "keep.txt"), "keep");
        string root = dir.Combine("out");
        Directory.CreateDirectory(root);
        string planted = Path.Combine(root, "y" + OutputDirectory.PartSuffix);
        Directory.CreateSymbolicLink(planted, outsideDir);
        var output = new OutputDirectory(root, overwrite: false);

        PartFile part = output.CreatePart(["y"]);
        Write(part, "data");
        output.Commit(part, 0, 0x180, _ => { });

        Assert.Equal(["keep.txt"], Directory.EnumerateFileSystemEntries(outsideDir).Select(Path.GetFileName));
        Assert.Equal("keep", File.ReadAllText(Path.Combine(outsideDir, "keep.txt")));
        Assert.Equal(outsideDir, new FileInfo(planted).LinkTarget);
    }

    [Fact]
    public void A_part_file_without_a_sidecar_is_neither_appended_to_nor_removed()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Combine("z.bin" + OutputDirectory.PartSuffix), "stale stale stale"); // whose it is cannot be told
        var output = new OutputDirectory(dir.Path, overwrite: false);
        string saved = Receive(output, "fresh", [], "z.bin");
        Assert.Equal("fresh", File.ReadAllText(saved));
        Assert.Equal("stale stale stale", File.ReadAllText(dir.Combine("z.bin" + OutputDirectory.PartSuffix)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // a verified file is made in the folder opened before the move
    public void A_folder_moved_out_and_replaced_by_a_link_while_receiving_is_caught_at_commit(bool verified)
    {
        using var dir = new TempDir();
        string root = dir.Combine("out");
        string outside = dir.Combine("outside");
        Directory.CreateDirectory(root);
        Directory.CreateDirectory(outside);
        using var output = new OutputDirectory(root, overwrite: false);

        PartFile part = verified ? output.CreateVerified(["d", "f.txt"], new byte[32], 0x1A4, _ => { }) : output.CreatePart(["d", "f.txt"]);
        Write(part, "data");
        // An attacker with local access moves the folder out of the root while the file is open.
        Directory.Move(Path.Combine(root, "d"), Path.Combine(outside, "d"));
        Directory.CreateSymbolicLink(Path.Combine(root, "d"), Path.Combine(outside, "d"));

        var ex = Assert.Throws<TallowException>(() => output.Commit(part, 0, 0x1A4, _ => { }));
        Assert.Equal(FailureKind.FileSystem, ex.Kind);
        Assert.False(File.Exists(Path.Combine(outside, "d", "f.txt")));
    }

    [Fact]
    public void Where_the_kernel_refuses_to_link_a_descriptor_itself_proc_self_fd_names_the_file()
    {
        using var dir = new TempDir();
        using var output = new OutputDirectory(dir.Path, overwrite: false);
        bool before = NativePath.EmptyPathRefused;
        try
        {
            NativePath.EmptyPathRefused = true; // as for a user without CAP_DAC_READ_SEARCH before Linux 6.10
            PartFile verified = output.CreateVerified(["d", "v.txt"], new byte[32], 0x1A4, _ => { });
            Write(verified, "verified");
            Assert.Equal(Path.Combine(dir.Path, "d", "v.txt"), output.Commit(verified, 0, 0x1A4, _ => { }));
            Assert.Equal("verified", File.ReadAllText(Path.Combine(dir.Path, "d", "v.txt")));
            Assert.Equal("part", File.ReadAllText(Receive(output, "part", [], "d", "p.txt")));
        }
        finally
        {
            NativePath.EmptyPathRefused = before;
        }
    }

    [Fact]
    public void Planning_skips_the_files_of_a_folder_found_missing_until_folders_are_made()
    {
        using var dir = new TempDir();
        using var output = new OutputDirectory(dir.Path, overwrite: false);
        var held = new OfferEntry(EntryType.File, "top/sub/x.txt", 4, 0x1A4, 1_700_000_000);
        var offer = new TransferOffer(TransferKind.Files, 64 * 1024, [held, held with { Path = "top/y.txt" }]);

        using (ReceivePlan fresh = ReceivePlan.Create(offer, null, output, _ => { }, null))
        {
            Assert.All(fresh.Files, f => Assert.False(f.CheckExisting));
            Assert.True(output.IsUnderMissingFolder("top/y.txt"));
            Assert.False(output.IsUnderMissingFolder("topping/z.txt")); // a name that only starts like it
            Assert.False(output.IsUnderMissingFolder("top"));
        }

        // The folder is made (as a receive makes it): what was missing is looked at again.
        output.EnsureDirectory(["top", "sub"]);
        string path = Path.Combine(dir.Path, "top", "sub", "x.txt");
        File.WriteAllText(path, "here");
        File.SetLastWriteTimeUtc(path, DateTime.UnixEpoch.AddSeconds(held.ModifiedUnixSeconds));
        Assert.False(output.IsUnderMissingFolder("top/y.txt"));
        using ReceivePlan again = ReceivePlan.Create(offer, null, output, _ => { }, null);
        Assert.True(again.Files[0].CheckExisting);
        Assert.False(again.Files[1].CheckExisting);
    }

    private static VerifiedFile Verified(string text, long modified, params string[] components) =>
        new(components, Encoding.UTF8.GetBytes(text), new OfferEntry(EntryType.File, string.Join('/', components), (ulong)Encoding.UTF8.GetByteCount(text), 0x1A4, modified));

    [Fact]
    public void A_batch_saves_its_files_at_once_across_many_folders_in_order_with_their_own_notices()
    {
        using var dir = new TempDir();
        using var output = new OutputDirectory(dir.Path, overwrite: false);
        Directory.CreateDirectory(Path.Combine(dir.Path, "f07"));
        File.WriteAllText(Path.Combine(dir.Path, "f07", "x3.txt"), "here before");

        // 80 folders (more than are opened at once) of 3 files each, enough to be saved in parallel.
        var files = new List<VerifiedFile>();
        for (int f = 0; f < 80; f++)
        {
            for (int x = 0; x < 3; x++)
            {
                files.Add(Verified($"{f}/{x}", 1_600_000_000 + (f * 3) + x, $"f{f:D2}", $"x{x + 1}.txt"));
            }
        }

        SavedFile[] saved = output.SaveVerified(files);

        Assert.Equal(files.Count, saved.Length);
        for (int i = 0; i < files.Count; i++)
        {
            string expected = i == (7 * 3) + 2 ? Path.Combine(dir.Path, "f07", "x3 (1).txt") : Path.Combine(dir.Path, string.Join('/', files[i].Components));
            Assert.Null(saved[i].Failure);
            Assert.Equal(expected, saved[i].Path);
            Assert.Equal($"{i / 3}/{i % 3}", File.ReadAllText(expected));
            Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_600_000_000 + i).UtcDateTime, File.GetLastWriteTimeUtc(expected));
            Assert.Equal(i == (7 * 3) + 2 ? 1 : 0, saved[i].Notices?.Count ?? 0);
        }

        Assert.Equal("here before", File.ReadAllText(Path.Combine(dir.Path, "f07", "x3.txt")));
        Assert.Empty(Directory.GetFiles(dir.Path, "*" + OutputDirectory.PartSuffix, SearchOption.AllDirectories));
    }

    [Fact]
    public void A_folder_moved_out_and_replaced_by_a_link_between_batches_fails_the_next_batch()
    {
        using var dir = new TempDir();
        string root = dir.Combine("out");
        string outside = dir.Combine("outside");
        Directory.CreateDirectory(outside);
        using var output = new OutputDirectory(root, overwrite: false);

        Assert.NotNull(output.SaveVerified([Verified("one", 0, "d", "a.txt")])[0].Path);
        Directory.Move(Path.Combine(root, "d"), Path.Combine(outside, "d"));
        Directory.CreateSymbolicLink(Path.Combine(root, "d"), Path.Combine(outside, "d"));

        var ex = Assert.Throws<TallowException>(() => output.SaveVerified([Verified("two", 0, "d", "b.txt")]));
        Assert.Equal(FailureKind.FileSystem, ex.Kind);
        Assert.False(File.Exists(Path.Combine(outside, "d", "b.txt")));
    }

    [Fact]
    public void Verified_files_are_named_through_the_open_folder_with_time_mode_and_free_names()
    {
        using var dir = new TempDir();
        string root = dir.Combine("out");
        using var output = new OutputDirectory(root, overwrite: false);

        PartFile first = output.CreateVerified(["d", "a.txt"], new byte[32], 0x1ED, _ => { });
        Write(first, "one");
        string saved = output.Commit(first, 1_700_000_000, 0x1ED, _ => { });
        Assert.Equal(Path.Combine(root, "d", "a.txt"), saved);
        Assert.Equal("one", File.ReadAllText(saved));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).UtcDateTime, File.GetLastWriteTimeUtc(saved));
        Assert.True(File.GetUnixFileMode(saved).HasFlag(UnixFileMode.UserExecute));

        var notices = new List<string>();
        PartFile again = output.CreateVerified(["d", "a.txt"], new byte[32], 0x1A4, _ => { });
        Write(again, "two");
        Assert.Equal(Path.Combine(root, "d", "a (1).txt"), output.Commit(again, 0, 0x1A4, notices.Add));
        Assert.Single(notices);
        Assert.Equal("one", File.ReadAllText(saved));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(Path.Combine(root, "d", "a (1).txt")));

        // Never set-id or sticky, always the owner's read and write, and the umask applies (022 or stricter here).
        PartFile odd = output.CreateVerified(["d", "b.txt"], new byte[32], 0xF24, _ => { }); // 07444: r--r--r-- with setuid, setgid, sticky
        Write(odd, "three");
        string oddSaved = output.Commit(odd, 0, 0xF24, _ => { });
        UnixFileMode oddMode = File.GetUnixFileMode(oddSaved);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, oddMode & (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        Assert.Equal((UnixFileMode)0, oddMode & (UnixFileMode.SetUser | UnixFileMode.SetGroup | UnixFileMode.StickyBit | UnixFileMode.OtherWrite | UnixFileMode.GroupWrite));
    }

    [Theory]
    [InlineData("a.txt", 1, "a (1).txt")]
    [InlineData("a.txt", 2, "a (2).txt")]
    [InlineData(".bashrc", 1, ".bashrc (1)")]
    [InlineData("noext", 1, "noext (1)")]
    [InlineData("archive.tar.gz", 3, "archive.tar (3).gz")]
    [InlineData("trailing.", 1, "trailing (1).")]
    [InlineData("日本.txt", 10, "日本 (10).txt")]
    public void NumberedName_cases(string name, int n, string expected) =>
        Assert.Equal(expected, LocalNames.Numbered(name, n));
}
