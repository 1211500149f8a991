// A sync killed half-way: the mirror holds each file whole, old or new (never a half-written
// one), and the next sync completes it, reusing the chunks the killed receiver had already
// staged (fewer bytes cross the relay than the changed content). A sender stopped with Ctrl-C
// in the middle of a round is a cancellation for the receiver (exit 3), not a lost connection.
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

    [Fact]
    public async Task Ctrl_c_on_the_sender_in_the_middle_of_a_round_is_a_cancellation_for_the_receiver_not_a_network_error()
    {
        TimeSpan wait = TimeSpan.FromSeconds(30);
        using var dir = new TempDir();
        string source = dir.Combine("work");
        dir.WriteRandomFile("work/big.bin", 24 * MiB);
        string outDir = dir.Combine("out");
        await using TallowProcess sender = TallowProcess.Start(["sync", source, "--no-p2p", "--throttle", "4MiB", "--relay", fixture.Relay.Address, "--json"]);
        string code = (await sender.WaitForEventAsync("code", wait)).GetProperty("code").GetString()!;
        await using TallowProcess receiver = TallowProcess.Start(["receive", code, "--out", outDir, "--yes", "--no-p2p", "--relay", fixture.Relay.Address, "--json"]);
        await sender.WaitForEventAsync("progress", wait); // content is flowing: the round has started

        sender.Interrupt();
        Check.Exit(130, await sender.WaitForExitAsync(wait), sender, "sync");
        Check.Exit(3, await receiver.WaitForExitAsync(wait), receiver, "receiver");
        Check.Contains("sync again", Check.ErrorMessage(receiver, "receiver", 3), Check.Describe(receiver, "receiver"));
        Assert.False(File.Exists(Path.Combine(outDir, "work", "big.bin")), "a half-sent file reached the mirror\n" + Check.Describe(receiver, "receiver"));
    }

    private static Dictionary<string, string> Hashes(string folder) =>
        Directory.GetFiles(folder).ToDictionary(f => Path.GetFileName(f), TempDir.Sha256);
}
