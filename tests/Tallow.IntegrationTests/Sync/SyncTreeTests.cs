// `tallow sync` of a large tree through a real relay: 10,000 files in nested folders arrive with
// their modes, times and empty folders; then files are modified, renamed (into a new nested
// folder), deleted, and the next `sync --delete` brings the mirror back to the source exactly,
// moving only the changed content; a third sync finds nothing to do.
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests.Sync;

public sealed class SyncTreeTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Ten_thousand_files_then_modify_rename_delete_and_a_nested_new_folder()
    {
        using var dir = new TempDir();
        string source = dir.Combine("tree");
        string outDir = dir.Combine("out");
        string mirror = Path.Combine(outDir, "tree");
        for (int d = 0; d < 100; d++)
        {
            string folder = Path.Combine(source, $"d{d / 10}", $"e{d % 10}");
            Directory.CreateDirectory(folder);
            for (int f = 0; f < 100; f++)
            {
                File.WriteAllText(Path.Combine(folder, $"f{f}.txt"), $"file {d}/{f}\n");
            }
        }

        File.SetUnixFileMode(Path.Combine(source, "d0", "e0", "f0.txt"), (UnixFileMode)0x1ED);
        Directory.CreateDirectory(Path.Combine(source, "empty", "folder"));

        TransferRun first = await SyncCli.RunAsync(fixture.Relay, source, outDir, timeout: Timeout);
        await using (first.AsDisposable())
        {
            Check.Exit(0, first.ReceiverExit, first.Receiver, "receiver");
            Check.Exit(0, first.SenderExit, first.Sender, "sender");
            SyncCli.SameTree(source, mirror, first);
            Assert.Equal(10_000, SyncCli.LastRound(first.Sender).GetProperty("written").GetInt32());
        }

        for (int f = 0; f < 10; f++)
        {
            File.AppendAllText(Path.Combine(source, "d1", "e1", $"f{f}.txt"), "changed\n");
            File.Delete(Path.Combine(source, "d2", "e2", $"f{f}.txt"));
        }

        Directory.CreateDirectory(Path.Combine(source, "new", "deeper", "still"));
        for (int f = 0; f < 10; f++)
        {
            File.Move(Path.Combine(source, "d3", "e3", $"f{f}.txt"), Path.Combine(source, "new", "deeper", "still", $"moved{f}.txt"));
        }

        TransferRun second = await SyncCli.RunAsync(fixture.Relay, source, outDir, ["--delete"], timeout: Timeout);
        await using (second.AsDisposable())
        {
            Check.Exit(0, second.ReceiverExit, second.Receiver, "receiver");
            SyncCli.SameTree(source, mirror, second);
            var round = SyncCli.LastRound(second.Sender);
            Assert.Equal(20, round.GetProperty("deleted").GetInt32()); // 10 deleted, 10 moved away
            Assert.True(round.GetProperty("bytes").GetInt64() < 400, $"only the 10 changed files' content should move: {round}");
            Assert.Contains("10 changed, 10 renamed", second.Receiver.Stderr, StringComparison.Ordinal);
        }

        TransferRun third = await SyncCli.RunAsync(fixture.Relay, source, outDir, ["--delete"], timeout: Timeout);
        await using (third.AsDisposable())
        {
            Check.Exit(0, third.ReceiverExit, third.Receiver, "receiver");
            var round = SyncCli.LastRound(third.Sender);
            Assert.Equal(0, round.GetProperty("written").GetInt32() + round.GetProperty("deleted").GetInt32());
            Assert.Contains("already up to date", third.Receiver.Stderr, StringComparison.Ordinal);
        }
    }
}
