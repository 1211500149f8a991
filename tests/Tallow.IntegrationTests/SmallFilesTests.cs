// Trees of many small files with the real processes (protocol.md "Small files"): fresh files of
// up to a quarter chunk travel together in FileBatch records, each with its own hash. Every
// received file is compared by SHA-256 with its source (and no file more), through the relay and
// over the direct path; empty files and a file larger than a batch take the per-file way in the
// same transfer. A batch transfer cut off by killing the receiver ends, on the next run into the
// same folder, with the whole tree, the files already there only checked, and no part files left.
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Tallow.IntegrationTests;

public sealed class SmallFilesTests(OpenRelayFixture fixture, ITestOutputHelper output) : IClassFixture<OpenRelayFixture>
{
    /// <summary>
    /// <paramref name="files"/> files of 1..8000 bytes in 40 folders two levels deep, 5 empty files and
    /// one 700 KiB file (over a quarter of the 1 MiB chunk), with fixed times; returns the tree's path.
    /// </summary>
    private static string MakeTree(TempDir dir, int files)
    {
        var random = new Random(18);
        var stamp = new DateTime(2022, 5, 6, 7, 8, 9, DateTimeKind.Utc);
        for (int i = 0; i < files; i++)
        {
            string path = dir.WriteRandomFile(Path.Combine("src", "tree", $"d{i % 8}", $"s{i % 40:00}", $"f{i:0000}.bin"), random.Next(1, 8001));
            File.SetLastWriteTimeUtc(path, stamp.AddSeconds(i));
        }

        for (int i = 0; i < 5; i++)
        {
            dir.WriteRandomFile(Path.Combine("src", "tree", $"d{i}", $"empty{i}.txt"), 0);
        }

        dir.WriteRandomFile(Path.Combine("src", "tree", "d3", "larger.bin"), 700 * 1024);
        return dir.Combine("src", "tree");
    }

    [Theory]
    [InlineData("relay")]
    [InlineData("direct")]
    public async Task Thousands_of_small_files_arrive_each_verified(string path)
    {
        using var dir = new TempDir();
        string tree = MakeTree(dir, 3000);
        string outDir = dir.Combine("out");
        string[] mode = path == "relay" ? ["--no-p2p"] : [];
        TransferRun run = await Transfer.RunAsync(fixture.Relay, [tree, .. mode], code => [code, "--out", outDir, "--yes", "--json", .. mode],
            timeout: TimeSpan.FromSeconds(120));
        await using (run.AsDisposable())
        {
            Check.Succeeded(run);
            Assert.True((path == "direct") == Check.Events(run.Sender, "p2p_upgrade").Count > 0, $"expected the {path} path.\n{Check.Describe(run)}");
            Check.SameTree(tree, Path.Combine(outDir, "tree"), Check.Describe(run));
            Check.NoPartFiles(outDir, Check.Describe(run));
            Assert.Empty(Directory.GetFiles(outDir, "*.tallow-resume", SearchOption.AllDirectories));
            Assert.Equal(3006, Check.Events(run.Sender, "file_sent").Count);
            List<JsonElement> received = Check.Events(run.Receiver, "file_received");
            Assert.Equal(3006, received.Count);
            foreach (JsonElement file in received)
            {
                string relative = file.GetProperty("path").GetString()!["tree/".Length..];
                Assert.Equal(new FileInfo(Path.Combine(tree, relative)).Length, file.GetProperty("size").GetInt64());
            }

            Assert.Equal(File.GetLastWriteTimeUtc(Path.Combine(tree, "d7", "s39", "f2999.bin")), File.GetLastWriteTimeUtc(Path.Combine(outDir, "tree", "d7", "s39", "f2999.bin")));
            JsonElement complete = Check.SingleEvent(run.Receiver, "transfer_complete", "receiver");
            output.WriteLine($"{path}: {complete}");
        }
    }

    [Fact]
    public async Task A_cut_batch_transfer_completes_on_the_next_run()
    {
        using var dir = new TempDir();
        string tree = MakeTree(dir, 4000);
        string outDir = dir.Combine("out");
        long total = Directory.EnumerateFiles(tree, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

        await using (InterruptedRun killed = await InterruptedTransfer.RunAsync(fixture.Relay, [tree, "--no-p2p", "--throttle", "4MB"],
            code => [code, "--out", outDir, "--yes", "--no-p2p"], total * 2 / 5, Victim.Receiver))
        {
            int here = Directory.GetFiles(Path.Combine(outDir, "tree"), "f*.bin", SearchOption.AllDirectories).Length;
            output.WriteLine($"receiver killed at {killed.ProgressAtKill} of {total} B, {here} files saved");
            Assert.True(here > 0 && here < 4000, $"{here} files saved before the kill.\n{Check.Describe(killed.Receiver, "receiver")}");
        }

        TransferRun run = await Transfer.RunAsync(fixture.Relay, [tree, "--no-p2p"], code => [code, "--out", outDir, "--yes", "--json", "--no-p2p"],
            timeout: TimeSpan.FromSeconds(120));
        await using (run.AsDisposable())
        {
            Check.Succeeded(run);
            Check.SameTree(tree, Path.Combine(outDir, "tree"), Check.Describe(run));
            Check.NoPartFiles(outDir, Check.Describe(run));
            Assert.Empty(Directory.GetFiles(outDir, "*.tallow-resume", SearchOption.AllDirectories));
            int alreadyHere = Check.Events(run.Receiver, "resume").Count;
            int moved = Check.Events(run.Receiver, "file_received").Count;
            output.WriteLine($"second run: {alreadyHere} files already here (checked), {moved} received");
            Assert.True(alreadyHere > 0 && moved > 0 && alreadyHere + moved == 4006, $"{alreadyHere} already here + {moved} received.\n{Check.Describe(run)}");
        }
    }
}
