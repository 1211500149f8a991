// SourceScanner with a PathFilter over real folder trees: --exclude patterns, --git with .git
// skipped, nested .gitignore files (deeper overrides, negation), info/exclude, the .gitignore
// files above the input inside its work tree, nested repositories, and inputs named explicitly.
using Tallow.Protocol.Transfer;
using Tallow.Protocol.Transfer.Selection;
using Tallow.Wire;

namespace Tallow.Tests.Protocol.Selection;

public class ScannerSelectionTests
{
    private static void Write(string path, string content = "x")
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private static PathFilter Filter(bool git, params string[] excludes)
    {
        Assert.True(PathFilter.TryCreate(excludes, git, out PathFilter? filter, out string error), error);
        return filter!;
    }

    private static List<string> Scan(string input, PathFilter filter, List<string>? notices = null)
    {
        SourcePlan plan = SourceScanner.Scan([input], 1024, new ScanOptions { Filter = filter }, (notices ?? []).Add);
        Assert.Equal(plan.Offer.Entries.Count, plan.LocalPaths.Count);
        return [.. plan.Offer.Entries.Select(e => e.Type == EntryType.Directory ? e.Path + "/" : e.Path)];
    }

    [Fact]
    public void Exclude_patterns_apply_relative_to_the_folder_and_excluded_folders_are_not_entered()
    {
        using var dir = new TempDir();
        string top = dir.Combine("top");
        Write(Path.Combine(top, "a.txt"));
        Write(Path.Combine(top, "a.log"));
        Write(Path.Combine(top, "keep.log"));
        Write(Path.Combine(top, "sub", "b.log"));
        Write(Path.Combine(top, "sub", "deep", "c.txt"));
        Write(Path.Combine(top, "cache", "big.bin"));
        Write(Path.Combine(top, "docs", "cache", "kept.bin"));

        List<string> sent = Scan(top, Filter(false, "*.log", "!keep.log", "/cache/", "sub/deep"));
        Assert.Equal(["top/", "top/a.txt", "top/docs/", "top/docs/cache/", "top/docs/cache/kept.bin", "top/keep.log", "top/sub/"], sent);
    }

    [Fact]
    public void Without_a_filter_everything_is_sent_as_before()
    {
        using var dir = new TempDir();
        string top = dir.Combine("top");
        Write(Path.Combine(top, ".git", "config"));
        Write(Path.Combine(top, ".gitignore"), "*\n");
        Write(Path.Combine(top, "a.txt"));
        Assert.Equal(["top/", "top/.git/", "top/.git/config", "top/.gitignore", "top/a.txt"], Scan(top, Filter(false)));
    }

    [Fact]
    public void Git_mode_skips_dot_git_and_honours_nested_gitignore_files_and_info_exclude()
    {
        using var dir = new TempDir();
        string repo = dir.Combine("repo");
        Write(Path.Combine(repo, ".git", "HEAD"), "ref: refs/heads/main\n");
        Write(Path.Combine(repo, ".git", "info", "exclude"), "secret.txt\n");
        Write(Path.Combine(repo, ".gitignore"), "# build output\r\n*.log\r\n!keep.log\r\nbuild/\r\n/only-root.txt\r\n");
        Write(Path.Combine(repo, "a.txt"));
        Write(Path.Combine(repo, "a.log"));
        Write(Path.Combine(repo, "keep.log"));
        Write(Path.Combine(repo, "only-root.txt"));
        Write(Path.Combine(repo, "secret.txt"));
        Write(Path.Combine(repo, "build", "out.o"));
        Write(Path.Combine(repo, "sub", ".gitignore"), "*.tmp\n!important.log\n");
        Write(Path.Combine(repo, "sub", "important.log"));
        Write(Path.Combine(repo, "sub", "noise.log"));
        Write(Path.Combine(repo, "sub", "only-root.txt"));
        Write(Path.Combine(repo, "sub", "x.tmp"));
        Write(Path.Combine(repo, "sub", "deeper", "y.tmp"));
        Write(Path.Combine(repo, "sub", "deeper", "z.c"));
        Write(Path.Combine(repo, "sub", "deeper", ".git"), "gitdir: elsewhere\n");

        var notices = new List<string>();
        List<string> sent = Scan(repo, Filter(true), notices);
        Assert.Empty(notices);
        Assert.Equal(
            ["repo/", "repo/.gitignore", "repo/a.txt", "repo/keep.log",
             "repo/sub/", "repo/sub/.gitignore", "repo/sub/deeper/", "repo/sub/deeper/y.tmp", "repo/sub/deeper/z.c",
             "repo/sub/important.log", "repo/sub/only-root.txt"],
            sent);
    }

    [Fact]
    public void Exclude_patterns_take_precedence_over_gitignore_negations()
    {
        using var dir = new TempDir();
        string repo = dir.Combine("repo");
        Directory.CreateDirectory(Path.Combine(repo, ".git"));
        Write(Path.Combine(repo, ".gitignore"), "!*.log\n");
        Write(Path.Combine(repo, "a.log"));
        Write(Path.Combine(repo, "b.txt"));
        Assert.Equal(["repo/", "repo/.gitignore", "repo/b.txt"], Scan(repo, Filter(true, "*.log")));
    }

    [Fact]
    public void A_file_under_an_excluded_folder_cannot_be_re_included()
    {
        using var dir = new TempDir();
        string top = dir.Combine("top");
        Write(Path.Combine(top, ".gitignore"), "build/\n!build/keep.txt\nlogs/*\n!logs/keep.txt\n");
        Write(Path.Combine(top, "build", "keep.txt"));
        Write(Path.Combine(top, "logs", "keep.txt"));
        Write(Path.Combine(top, "logs", "other.txt"));
        Assert.Equal(["top/", "top/.gitignore", "top/logs/", "top/logs/keep.txt"], Scan(top, Filter(true)));
    }

    [Fact]
    public void Gitignore_files_above_the_input_apply_up_to_the_work_tree_root()
    {
        using var dir = new TempDir();
        string repo = dir.Combine("repo");
        Write(Path.Combine(dir.Path, ".gitignore"), "*.c\n");
        Write(Path.Combine(repo, ".git", "info", "exclude"), "/src/app/private/\n");
        Write(Path.Combine(repo, ".gitignore"), "*.bak\nsrc/app/gen/\n");
        Write(Path.Combine(repo, "src", ".gitignore"), "*.tmp\n");
        string app = Path.Combine(repo, "src", "app");
        Write(Path.Combine(app, "main.c"));
        Write(Path.Combine(app, "old.bak"));
        Write(Path.Combine(app, "x.tmp"));
        Write(Path.Combine(app, "gen", "g.c"));
        Write(Path.Combine(app, "private", "p.c"));
        Write(Path.Combine(app, "lib", "gen", "kept.c"));

        Assert.Equal(["app/", "app/lib/", "app/lib/gen/", "app/lib/gen/kept.c", "app/main.c"], Scan(app, Filter(true)));
    }

    [Fact]
    public void A_repository_inside_the_tree_does_not_inherit_the_outer_rules()
    {
        using var dir = new TempDir();
        string outer = dir.Combine("outer");
        Directory.CreateDirectory(Path.Combine(outer, ".git"));
        Write(Path.Combine(outer, ".gitignore"), "*.log\n");
        Write(Path.Combine(outer, "a.log"));
        Write(Path.Combine(outer, "inner", ".git", "info", "exclude"), "*.tmp\n");
        Write(Path.Combine(outer, "inner", "b.log"));
        Write(Path.Combine(outer, "inner", "c.tmp"));
        Assert.Equal(["outer/", "outer/.gitignore", "outer/inner/", "outer/inner/b.log"], Scan(outer, Filter(true)));
    }

    [Fact]
    public void Inputs_named_explicitly_are_always_sent()
    {
        using var dir = new TempDir();
        string file = dir.Combine("notes.log");
        Write(file);
        string folder = dir.Combine("cache");
        Write(Path.Combine(folder, "cache", "inner.bin"));
        Write(Path.Combine(folder, "kept.txt"));
        PathFilter filter = Filter(false, "*.log", "cache");
        SourcePlan plan = SourceScanner.Scan([file, folder], 1024, new ScanOptions { Filter = filter }, _ => { });
        Assert.Equal(["notes.log", "cache", "cache/kept.txt"], plan.Offer.Entries.Select(e => e.Path));
    }

    [Fact]
    public void Invalid_exclude_patterns_name_the_pattern()
    {
        Assert.False(PathFilter.TryCreate(["ok", "[bad"], false, out PathFilter? filter, out string error));
        Assert.Null(filter);
        Assert.Contains("--exclude '[bad'", error, StringComparison.Ordinal);
    }
}
