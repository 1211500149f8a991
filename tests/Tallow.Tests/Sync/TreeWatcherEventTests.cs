// The watcher on a real folder with real inotify events and the real clock: files and folders
// created, changed, deleted and renamed (a folder's rename or removal reports every entry under it),
// folders created faster than their watches, moved in from outside, a burst of 1,000 files, a file
// written slowly, symlinks not followed, Exclude honoured, and names that came and went unreported.
using System.Diagnostics;
using Tallow.Protocol.Sync;
using Xunit.Abstractions;

namespace Tallow.Tests.Sync;

public class TreeWatcherEventTests(ITestOutputHelper output)
{
    private static HashSet<string> Union(IEnumerable<ChangeBatch> batches) =>
        batches.SelectMany(b => b.Paths).ToHashSet(StringComparer.Ordinal);

    [Fact]
    public async Task Create_modify_rename_and_delete_of_a_file_are_each_reported()
    {
        await using var kit = new WatchKit();
        kit.Watcher.Start();

        kit.Write("a.txt", "one");
        ChangeBatch created = await kit.Next();
        Assert.Equal(["a.txt"], created.Paths);
        Assert.False(created.FullRescan);

        File.AppendAllText(kit.PathOf("a.txt"), " two");
        Assert.Equal(["a.txt"], (await kit.Next()).Paths);

        File.Move(kit.PathOf("a.txt"), kit.PathOf("b.txt"));
        Assert.Equal(["a.txt", "b.txt"], (await kit.Next()).Paths);

        File.Delete(kit.PathOf("b.txt"));
        Assert.Equal(["b.txt"], (await kit.Next()).Paths);
        await kit.ExpectNothing();
    }

    [Fact]
    public async Task Renaming_a_folder_reports_both_names_of_it_and_of_everything_under_it()
    {
        await using var kit = new WatchKit(prepare: root =>
        {
            Directory.CreateDirectory(Path.Combine(root, "d", "sub"));
            File.WriteAllText(Path.Combine(root, "d", "x"), "x");
            File.WriteAllText(Path.Combine(root, "d", "sub", "y"), "y");
        });
        kit.Watcher.Start();

        Directory.Move(kit.PathOf("d"), kit.PathOf("e"));
        string[] expected = ["d", "d/sub", "d/sub/y", "d/x", "e", "e/sub", "e/sub/y", "e/x"];
        List<ChangeBatch> batches = await kit.Gather(expected);
        Assert.Equal(expected, Union(batches).Order(StringComparer.Ordinal));
        batches.ForEach(WatchKit.AssertWellFormed);

        Directory.Delete(kit.PathOf("e"), recursive: true);
        Assert.Equal(["e", "e/sub", "e/sub/y", "e/x"], Union(await kit.Gather(["e", "e/sub", "e/sub/y", "e/x"])).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Nested_folders_created_in_a_burst_report_the_file_at_the_bottom()
    {
        await using var kit = new WatchKit();
        kit.Watcher.Start();
        // Twenty times `mkdir -p nI/b/c && echo x > nI/b/c/f`: each file lands before .NET can watch its folder.
        WatchKit.Run("sh", "-c", $"cd '{kit.Root}' && for i in $(seq 1 20); do mkdir -p n$i/b/c && echo x > n$i/b/c/f; done");
        string[] expected = [.. Enumerable.Range(1, 20).SelectMany(i => new[] { $"n{i}", $"n{i}/b", $"n{i}/b/c", $"n{i}/b/c/f" })];
        HashSet<string> reported = Union(await kit.Gather(expected));
        Assert.True(reported.SetEquals(expected), string.Join(", ", reported.Except(expected)));
    }

    [Fact]
    public async Task Unpacking_an_archive_of_nested_folders_reports_every_entry_it_made()
    {
        await using var kit = new WatchKit();
        string source = Path.Combine(kit.Outside, "project");
        var expected = new List<string>();
        for (int a = 0; a < 6; a++)
        {
            for (int b = 0; b < 5; b++)
            {
                string folder = $"project/m{a}/p{b}/deep";
                Directory.CreateDirectory(Path.Combine(kit.Outside, folder));
                expected.AddRange([$"project/m{a}", $"project/m{a}/p{b}", folder]);
                for (int f = 0; f < 8; f++)
                {
                    File.WriteAllText(Path.Combine(kit.Outside, folder, $"f{f}.c"), new string('x', 100 * f));
                    expected.Add($"{folder}/f{f}.c");
                }
            }
        }

        expected.Add("project");
        string archive = Path.Combine(kit.Outside, "project.tar");
        WatchKit.Run("tar", "-cf", archive, "-C", kit.Outside, "project");
        kit.Watcher.Start();
        WatchKit.Run("tar", "-xf", archive, "-C", kit.Root); // folders and their files in quick succession, as `mkdir -p` does
        HashSet<string> reported = Union(await kit.Gather(expected.Distinct()));
        Assert.True(reported.SetEquals(expected), string.Join(", ", reported.Except(expected)));
    }

    [Fact]
    public async Task A_folder_moved_in_from_outside_reports_all_it_holds_in_one_batch_and_moved_out_reports_it_gone()
    {
        await using var kit = new WatchKit();
        string outsideFolder = Path.Combine(kit.Outside, "album");
        Directory.CreateDirectory(Path.Combine(outsideFolder, "disc1"));
        File.WriteAllText(Path.Combine(outsideFolder, "disc1", "track.flac"), "music");
        File.WriteAllText(Path.Combine(outsideFolder, "cover.jpg"), "cover");
        kit.Watcher.Start();

        Directory.Move(outsideFolder, kit.PathOf("album"));
        string[] expected = ["album", "album/cover.jpg", "album/disc1", "album/disc1/track.flac"];
        ChangeBatch movedIn = Assert.Single(await kit.Gather(expected)); // one event, one batch: the folder with all it holds
        Assert.Equal(expected, movedIn.Paths);

        Directory.Move(kit.PathOf("album"), Path.Combine(kit.Outside, "gone"));
        Assert.Equal(expected, Union(await kit.Gather(expected)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_burst_of_1000_files_in_under_2_seconds_arrives_in_a_handful_of_batches_holding_all_of_them()
    {
        await using var kit = new WatchKit(new TreeWatcherOptions { Debounce = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(10) });
        kit.Watcher.Start();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 1000; i++)
        {
            kit.Write($"burst/f{i:D4}", $"content {i}");
            if (i % 100 == 99)
            {
                Thread.Sleep(50); // spread out a little, like an unpacking archive
            }
        }

        output.WriteLine($"writing 1,000 files took {clock.Elapsed.TotalSeconds:F2} s");
        string[] expected = [.. Enumerable.Range(0, 1000).Select(i => $"burst/f{i:D4}")];
        List<ChangeBatch> batches = await kit.Gather(expected, seconds: 15);
        output.WriteLine($"{batches.Count} batch(es): {string.Join(", ", batches.Select(b => b.Paths.Count))} paths");
        Assert.InRange(batches.Count, 1, 4);
        Assert.Equal(1001, Union(batches).Count); // the files and their folder
        batches.ForEach(WatchKit.AssertWellFormed);
    }

    [Fact]
    public async Task A_file_written_slowly_is_reported_only_after_its_writer_stops_even_past_MaxDelay()
    {
        await using var kit = new WatchKit(new TreeWatcherOptions { Debounce = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(2) });
        kit.Watcher.Start();
        var clock = Stopwatch.StartNew();
        Task<ChangeBatch> first = kit.Next(15);

        await using (var writer = new FileStream(kit.PathOf("slow.bin"), FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1))
        {
            for (int chunk = 0; chunk < 10; chunk++) // a chunk every 300 ms for 3 s
            {
                await writer.WriteAsync(new byte[4096]);
                await writer.FlushAsync();
                await Task.Delay(300);
                Assert.False(first.IsCompleted, $"reported while still being written, {clock.Elapsed.TotalSeconds:F1} s in");
            }
        }

        TimeSpan stopped = clock.Elapsed;
        ChangeBatch batch = await first;
        TimeSpan reported = clock.Elapsed;
        Assert.Equal(["slow.bin"], batch.Paths);
        Assert.True(reported - stopped >= TimeSpan.FromMilliseconds(600), $"reported {(reported - stopped).TotalMilliseconds:F0} ms after the last write");
        Assert.Equal(40960, new FileInfo(kit.PathOf("slow.bin")).Length);
    }

    [Fact]
    public async Task Exclude_leaves_out_a_folder_with_everything_under_it_and_matching_files()
    {
        var options = new TreeWatcherOptions
        {
            Debounce = TimeSpan.FromMilliseconds(300),
            Exclude = p => p == ".tallow-sync" || p.EndsWith(".tmp", StringComparison.Ordinal),
        };
        await using var kit = new WatchKit(options);
        kit.Watcher.Start();
        kit.Write(".tallow-sync/state/db", "internal");
        kit.Write("docs/draft.tmp", "scratch");
        kit.Write("docs/keep.md", "keep");
        List<ChangeBatch> batches = await kit.Gather(["docs/keep.md"]);
        Assert.Equal(["docs", "docs/keep.md"], Union(batches).Order(StringComparer.Ordinal));
        File.AppendAllText(kit.PathOf(".tallow-sync/state/db"), "more");
        await kit.ExpectNothing(1);
    }

    [Fact]
    public async Task A_symlink_is_reported_as_itself_and_never_followed()
    {
        await using var kit = new WatchKit();
        Directory.CreateDirectory(Path.Combine(kit.Outside, "elsewhere"));
        File.WriteAllText(Path.Combine(kit.Outside, "elsewhere", "secret.txt"), "not part of the tree");
        kit.Watcher.Start();
        File.CreateSymbolicLink(kit.PathOf("link"), Path.Combine(kit.Outside, "elsewhere"));
        kit.Write("marker", "m");
        Assert.Equal(["link", "marker"], Union(await kit.Gather(["link", "marker"])).Order(StringComparer.Ordinal));

        File.AppendAllText(Path.Combine(kit.Outside, "elsewhere", "secret.txt"), " changed");
        await kit.ExpectNothing(1);
    }

    [Fact]
    public async Task A_file_that_came_and_went_between_two_batches_is_not_reported_and_chmod_is()
    {
        await using var kit = new WatchKit(prepare: root => File.WriteAllText(Path.Combine(root, "script.sh"), "echo"));
        kit.Watcher.Start();
        kit.Write(".editor.swp", "scratch");
        File.Delete(kit.PathOf(".editor.swp"));
        File.SetUnixFileMode(kit.PathOf("script.sh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.Equal(["script.sh"], (await kit.Next()).Paths);
        await kit.ExpectNothing();
    }

    [Fact]
    public async Task An_atomic_save_reports_the_saved_file_and_not_the_temporary_it_was_renamed_from()
    {
        await using var kit = new WatchKit(prepare: root => File.WriteAllText(Path.Combine(root, "config.toml"), "port = 1\n"));
        kit.Watcher.Start();
        WatchKit.Run("sed", "-i", "s/1/2/", kit.PathOf("config.toml")); // writes ./sedXXXXXX, renames it over config.toml
        ChangeBatch batch = await kit.Next();
        Assert.Equal(["config.toml"], batch.Paths);
        Assert.Equal("port = 2\n", File.ReadAllText(kit.PathOf("config.toml")));
    }

    [Fact]
    public async Task Start_on_a_missing_folder_says_so_and_NextBatch_without_a_successful_Start_is_refused()
    {
        await using var watcher = new TreeWatcher(Path.Combine(Path.GetTempPath(), "tallow-no-such-" + Guid.NewGuid().ToString("N")), new TreeWatcherOptions());
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await watcher.NextBatchAsync(CancellationToken.None));
        var error = Assert.Throws<Tallow.Protocol.TallowException>(watcher.Start);
        Assert.Contains("is not a folder", error.Message, StringComparison.Ordinal);
        Task<ChangeBatch> afterFailedStart = watcher.NextBatchAsync(CancellationToken.None).AsTask();
        await Assert.ThrowsAsync<InvalidOperationException>(() => afterFailedStart.WaitAsync(TimeSpan.FromSeconds(10))); // refused, not a wait forever
        Assert.Throws<InvalidOperationException>(watcher.Start);
    }

    [Fact]
    public async Task Dispose_wakes_a_waiting_consumer()
    {
        var kit = new WatchKit();
        kit.Watcher.Start();
        ValueTask<ChangeBatch> waiting = kit.Watcher.NextBatchAsync(CancellationToken.None);
        await kit.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
