// The byte targets for sync, counted by the relay (tallow_relay_bytes_forwarded_total,
// both directions, everything: handshake, index, plan, needs, content) with --no-p2p so that
// every byte crosses it: a 1-byte change in the middle of a 1 GiB file moves < 2 MiB, 100 bytes
// inserted at the start of a 256 MiB file move < 2 MiB, a renamed 500 MiB file moves < 1 MiB.
using Tallow.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Tallow.IntegrationTests.Sync;

public sealed class SyncByteTargetTests(OpenRelayFixture fixture, ITestOutputHelper output) : IClassFixture<OpenRelayFixture>
{
    private const long MiB = 1024 * 1024;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task One_byte_changed_100_bytes_inserted_and_a_rename_each_move_almost_nothing()
    {
        using var dir = new TempDir();
        string source = dir.Combine("data");
        string outDir = dir.Combine("out");
        string mirror = Path.Combine(outDir, "data");
        string big = dir.WriteRandomFile("data/one-gib.bin", 1024 * MiB);
        string middle = dir.WriteRandomFile("data/quarter-gib.bin", 256 * MiB);
        string renamed = dir.WriteRandomFile("data/half-gib.bin", 500 * MiB);
        await SyncAsync(source, outDir, mirror, "initial");

        using (var file = new FileStream(big, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = 512 * MiB + 12345;
            int old = file.ReadByte();
            file.Position--;
            file.WriteByte((byte)(old ^ 0x5A));
        }

        double flipped = await SyncAsync(source, outDir, mirror, "1 byte changed in the middle of 1 GiB");
        Assert.True(flipped < 2 * MiB, $"1 byte changed in 1 GiB moved {flipped:N0} bytes through the relay (target < 2 MiB)");

        string grown = middle + ".new";
        using (var output = File.Create(grown))
        {
            output.Write(System.Security.Cryptography.RandomNumberGenerator.GetBytes(100));
            using FileStream input = File.OpenRead(middle);
            input.CopyTo(output);
        }

        File.Move(grown, middle, overwrite: true);
        double inserted = await SyncAsync(source, outDir, mirror, "100 bytes inserted at the start of 256 MiB");
        Assert.True(inserted < 2 * MiB, $"100 bytes inserted at the start of 256 MiB moved {inserted:N0} bytes (target < 2 MiB)");

        Directory.CreateDirectory(Path.Combine(source, "elsewhere"));
        File.Move(renamed, Path.Combine(source, "elsewhere", "renamed.bin"));
        double moved = await SyncAsync(source, outDir, mirror, "500 MiB renamed", "--delete");
        Assert.True(moved < 1 * MiB, $"renaming a 500 MiB file moved {moved:N0} bytes (target < 1 MiB)");
    }

    /// <summary>One sync through the relay only; returns the relay's forwarded bytes for it.</summary>
    private async Task<double> SyncAsync(string source, string outDir, string mirror, string what, params string[] extra)
    {
        double before = await SyncCli.RelayBytesAsync(fixture.Relay);
        TransferRun run = await SyncCli.RunAsync(fixture.Relay, source, outDir, ["--no-p2p", .. extra], ["--no-p2p"], Timeout);
        await using (run.AsDisposable())
        {
            Check.Exit(0, run.ReceiverExit, run.Receiver, "receiver");
            Check.Exit(0, run.SenderExit, run.Sender, "sender");
            SyncCli.SameTree(source, mirror, run);
            double bytes = await SyncCli.RelayBytesAsync(fixture.Relay) - before;
            output.WriteLine($"{what}: {bytes:N0} bytes through the relay; sender: {SyncCli.LastRound(run.Sender)}");
            return bytes;
        }
    }
}
