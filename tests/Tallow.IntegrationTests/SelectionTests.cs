// `send --exclude`, `--git` and `--dry-run` with the real binaries: excluded files never reach
// the receiver and the rest arrive identical (SHA-256); a dry run lists the right entries and
// totals and connects to nothing (its --relay is a closed port); bad patterns exit 2.
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class SelectionTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private RelayProcess Relay => fixture.Relay;

    private static string[] ReceiveInto(string code, string outDir) => [code, "--out", outDir, "--yes", "--json", "--no-p2p"];

    /// <summary>The snapshot of <paramref name="root"/> without the given relative paths (folders end with '/').</summary>
    private static SortedDictionary<string, string> SnapshotWithout(string root, params string[] left)
    {
        SortedDictionary<string, string> all = Check.Snapshot(root);
        foreach (string key in all.Keys.ToList())
        {
            if (left.Any(l => key == l || (l.EndsWith('/') && key.StartsWith(l, StringComparison.Ordinal))))
            {
                all.Remove(key);
            }
        }

        return all;
    }

    private static void SameSnapshot(SortedDictionary<string, string> expected, string receivedRoot, TransferRun run)
    {
        SortedDictionary<string, string> actual = Check.Snapshot(receivedRoot);
        string Show(SortedDictionary<string, string> s) => string.Join("\n", s.Select(kv => $"  {kv.Key} {kv.Value}"));
        Assert.True(expected.SequenceEqual(actual), $"received tree differs.\nexpected:\n{Show(expected)}\nactual:\n{Show(actual)}\n{Check.Describe(run)}");
    }

    private static string BuildProject(TempDir dir)
    {
        string project = dir.Combine("src", "project");
        dir.WriteRandomFile(Path.Combine("src", "project", "main.c"), 3000);
        dir.WriteRandomFile(Path.Combine("src", "project", "debug.log"), 100);
        dir.WriteRandomFile(Path.Combine("src", "project", "keep.log"), 120);
        dir.WriteRandomFile(Path.Combine("src", "project", "build", "main.o"), 70_000);
        dir.WriteRandomFile(Path.Combine("src", "project", "lib", "util.c"), 500);
        dir.WriteRandomFile(Path.Combine("src", "project", "lib", "util.tmp"), 10);
        dir.WriteRandomFile(Path.Combine("src", "project", "lib", "trace.log"), 10);
        dir.WriteRandomFile(Path.Combine("src", "project", "docs", "build", "guide.txt"), 200);
        return project;
    }

    [Fact]
    public async Task Exclude_leaves_matching_files_out_and_the_rest_arrives_identical()
    {
        using var dir = new TempDir();
        string project = BuildProject(dir);
        string outDir = dir.Combine("out");
        TransferRun run = await Transfer.RunAsync(Relay,
            [project, "--exclude", "*.log", "--exclude", "!keep.log", "--exclude", "/build/", "--exclude", "lib/*.tmp", "--no-p2p"],
            code => ReceiveInto(code, outDir));
        await using var cleanup = new RunCleanup(run);
        Check.Succeeded(run);
        SameSnapshot(SnapshotWithout(project, "debug.log", "build/", "lib/util.tmp", "lib/trace.log"), Path.Combine(outDir, "project"), run);
        Assert.True(File.Exists(Path.Combine(outDir, "project", "docs", "build", "guide.txt")), "an anchored /build/ must not exclude docs/build");
        Assert.Equal(4, Check.Events(run.Receiver, "file_received").Count);
    }

    [Fact]
    public async Task Git_mode_skips_dot_git_and_what_nested_gitignore_files_ignore()
    {
        using var dir = new TempDir();
        string project = BuildProject(dir);
        dir.WriteRandomFile(Path.Combine("src", "project", ".git", "objects", "ab", "cdef"), 300);
        File.WriteAllText(Path.Combine(project, ".git", "HEAD"), "ref: refs/heads/main\n");
        Directory.CreateDirectory(Path.Combine(project, ".git", "info"));
        File.WriteAllText(Path.Combine(project, ".git", "info", "exclude"), "docs/\n");
        File.WriteAllText(Path.Combine(project, ".gitignore"), "# generated\r\n*.log\r\n!keep.log\r\nbuild/\r\n");
        File.WriteAllText(Path.Combine(project, "lib", ".gitignore"), "*.tmp\n!trace.log\n");

        string outDir = dir.Combine("out");
        TransferRun run = await Transfer.RunAsync(Relay, ["project", "--git", "--no-p2p"], code => ReceiveInto(code, outDir), workingDirectory: dir.Combine("src"));
        await using var cleanup = new RunCleanup(run);
        Check.Succeeded(run);
        SameSnapshot(SnapshotWithout(project, ".git/", "debug.log", "build/", "docs/", "lib/util.tmp"), Path.Combine(outDir, "project"), run);
        Assert.True(File.Exists(Path.Combine(outDir, "project", "lib", "trace.log")), "the nested !trace.log must re-include it");
        Assert.False(Directory.Exists(Path.Combine(outDir, "project", ".git")), ".git must not be sent");
    }

    [Fact]
    public async Task Dry_run_lists_entries_and_totals_and_connects_to_nothing()
    {
        using var dir = new TempDir();
        string project = BuildProject(dir);
        string closedRelay = $"127.0.0.1:{Check.ClosedPort()}";
        await using TallowProcess json = TallowProcess.Start(["send", project, "--exclude", "*.log", "--exclude", "build/", "--dry-run", "--json", "--relay", closedRelay]);
        Check.Exit(0, await json.WaitForExitAsync(Check.ShortTimeout), json, "sender");

        string[] expected = ["project", "project/docs", "project/lib", "project/lib/util.c", "project/lib/util.tmp", "project/main.c"];
        List<JsonElement> entries = Check.Events(json, "dry_run_entry");
        Assert.Equal(expected, entries.Select(e => e.GetProperty("path").GetString()));
        Assert.Equal(["directory", "directory", "directory", "file", "file", "file"], entries.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal(500, entries[3].GetProperty("size").GetInt64());
        Assert.Equal(JsonValueKind.Null, entries[0].GetProperty("size").ValueKind);
        JsonElement total = Check.SingleEvent(json, "dry_run", "sender");
        Assert.Equal(3, total.GetProperty("files").GetInt32());
        Assert.Equal(3, total.GetProperty("folders").GetInt32());
        Assert.Equal(3510, total.GetProperty("bytes").GetInt64());
        Assert.Empty(Check.Events(json, "code"));
        Assert.Empty(Check.Events(json, "error"));

        await using TallowProcess human = TallowProcess.Start(["send", project, "--exclude", "*.log", "--exclude", "build/", "--dry-run", "--relay", closedRelay]);
        Check.Exit(0, await human.WaitForExitAsync(Check.ShortTimeout), human, "sender");
        string[] lines = human.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains("500 B  project/lib/util.c", lines);
        Assert.Contains("project/docs/", lines);
        Assert.Equal("3 files, 3 folders, 3.4 KiB", lines[^1]);
        Assert.DoesNotContain("main.o", human.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dry_run_of_text_describes_it()
    {
        await using TallowProcess process = TallowProcess.Start(["send", "--text", "hello there", "--dry-run", "--json", "--relay", $"127.0.0.1:{Check.ClosedPort()}"]);
        Check.Exit(0, await process.WaitForExitAsync(Check.ShortTimeout), process, "sender");
        JsonElement entry = Check.SingleEvent(process, "dry_run_entry", "sender");
        Assert.Equal("text", entry.GetProperty("type").GetString());
        Assert.Equal(11, entry.GetProperty("size").GetInt64());
        Assert.Equal(11, Check.SingleEvent(process, "dry_run", "sender").GetProperty("bytes").GetInt64());
    }

    [Theory]
    [InlineData("[unclosed")]
    [InlineData("trailing\\")]
    public async Task Invalid_pattern_exits_2_with_a_clear_message(string pattern)
    {
        using var dir = new TempDir();
        string project = BuildProject(dir);
        await using TallowProcess process = TallowProcess.Start(["send", project, "--exclude", pattern, "--json", "--relay", $"127.0.0.1:{Check.ClosedPort()}"]);
        Check.Exit(2, await process.WaitForExitAsync(Check.ShortTimeout), process, "sender");
        string message = Check.ErrorMessage(process, "sender", 2);
        Check.Contains("--exclude", message, Check.Describe(process, "sender"));
        Check.Contains("not a valid pattern", message, Check.Describe(process, "sender"));
    }

    /// <summary>Disposes both processes of a run at the end of a test.</summary>
    private sealed class RunCleanup(TransferRun run) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => run.DisposeAsync();
    }
}
