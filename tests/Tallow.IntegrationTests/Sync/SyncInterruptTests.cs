// A sync killed half-way: the mirror holds each file whole, old or new (never a half-written
// one), and the next sync completes it, reusing the chunks the killed receiver had already
// staged (fewer bytes cross the relay than the changed content).
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests.Sync;

public sealed class SyncInterruptTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public async Task A_killed_receiver_leaves_whole_files_and_the_next_sync_reuses_what_it_staged()
    {
        using var dir = new TempDir();
        string source = dir.Combine("work");
        string outDir = dir.Combine("out");
        string mirror = Path.Combine(outDir, "work");
        for (int i = 0; i < 4; i++)
        {
            dir.WriteRandomFile($"work/part{i}.bin", 12 * MiB);
        }

        TransferRun first = await SyncCli.RunAsync(fixture.Relay, source, outDir, ["--no-p2p"], ["--no-p2p"]);
        await using (first.AsDisposable())
        {
            Check.Exit(0, first.ReceiverExit, first.Receiver, "receiver");
        }

        Dictionary<string, string> old = Hashes(source);
        for (int i = 0; i < 4; i++)
        {
            dir.WriteRandomFile($"work/part{i}.bin", 12 * MiB);
        }

        Dictionary<string, string> updated = Hashes(source);
        await using (InterruptedRun killed = await InterruptedTransfer.RunAsync(
            fixture.Relay, [source, "--no-p2p", "--throttle", "6MiB"], code => [code, "--out", outDir, "--yes", "--no-p2p"], 20 * MiB, Victim.Receiver, verb: "sync"))
        {
            foreach ((string name, string hash) in Hashes(mirror))
            {
                Assert.True(hash == old[name] || hash == updated[name], $"{name} is neither the old nor the new file after the kill\n{Check.Describe(killed.Receiver, "receiver")}");
            }
        }

        double before = await SyncCli.RelayBytesAsync(fixture.Relay);
        TransferRun resumed = await SyncCli.RunAsync(fixture.Relay, source, outDir, ["--no-p2p"], ["--no-p2p"]);
        await using (resumed.AsDisposable())
        {
            Check.Exit(0, resumed.ReceiverExit, resumed.Receiver, "receiver");
            SyncCli.SameTree(source, mirror, resumed);
            double moved = await SyncCli.RelayBytesAsync(fixture.Relay) - before;
            Assert.True(moved < 36 * MiB, $"the resumed sync moved {moved:N0} bytes: the ~20 MiB staged before the kill were not reused\n{Check.Describe(resumed)}");
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(mirror, ".tallow-sync", "staging")));
    }

    private static Dictionary<string, string> Hashes(string folder) =>
        Directory.GetFiles(folder).ToDictionary(f => Path.GetFileName(f), TempDir.Sha256);
}
