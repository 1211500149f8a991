// The relay's zero-copy forwarding with the real binaries (DESIGN.md §5.4): a large file through
// `tallow relay serve` (splice(2) on Linux) arrives intact, both directions of the pair are spliced
// and every byte is counted; with TALLOW_RELAY_SPLICE=0 the copy path does the same; a TLS relay
// keeps the copy path (nothing spliced) and still delivers the file intact.
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class RelaySpliceTests
{
    private const string ZeroCopy = "tallow_relay_zero_copy_directions_total";
    private const string Forwarded = "tallow_relay_bytes_forwarded_total";

    public static TheoryData<bool> Paths => new() { true, false };

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task A_large_file_through_the_relay_arrives_intact_and_is_counted(bool splice)
    {
        const long size = 96L * 1024 * 1024;
        var environment = new Dictionary<string, string?> { ["TALLOW_RELAY_SPLICE"] = splice ? null : "0" };
        await using RelayProcess relay = await RelayProcess.StartWithEnvironmentAsync(environment);
        Dictionary<string, double> metrics = await TransferAsync(relay, size, "large.bin");

        string all = Describe(metrics);
        Assert.Equal(splice && OperatingSystem.IsLinux() ? 2 : 0, metrics.GetValueOrDefault(ZeroCopy));
        Assert.True(metrics.GetValueOrDefault(Forwarded) >= size, all);
    }

    [Fact]
    public async Task A_TLS_relay_copies_and_delivers_the_file_intact()
    {
        const long size = 16L * 1024 * 1024;
        await using RelayProcess relay = await RelayProcess.StartTlsAsync();
        var senderEnv = new Dictionary<string, string?> { ["TALLOW_RELAY_FINGERPRINT"] = relay.Fingerprint };
        Dictionary<string, double> metrics = await TransferAsync(relay, size, "tls.bin", senderEnv, ["--relay-fingerprint", relay.Fingerprint!]);

        Assert.Equal(0, metrics.GetValueOrDefault(ZeroCopy));
        Assert.True(metrics.GetValueOrDefault(Forwarded) >= size, Describe(metrics));
    }

    /// <summary>Sends a random file of <paramref name="size"/> over the relay path only, checks its hash, returns the relay's metrics once they count it.</summary>
    private static async Task<Dictionary<string, double>> TransferAsync(RelayProcess relay, long size, string name,
        IDictionary<string, string?>? senderEnv = null, string[]? receiverExtra = null)
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile(name, size);
        string outDir = dir.Combine("out");
        TransferRun run = await Transfer.RunAsync(relay, [source, "--no-p2p"],
            code => [code, "--out", outDir, "--yes", "--json", "--no-p2p", .. receiverExtra ?? []],
            senderEnv: senderEnv, timeout: TimeSpan.FromMinutes(3));
        try
        {
            Check.Succeeded(run);
            string received = Path.Combine(outDir, name);
            Assert.True(File.Exists(received), Check.Describe(run));
            Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(received));
        }
        finally
        {
            await run.DisposeAsync();
        }

        // The relay counts the last bytes as the pair ends: give it a bounded moment after both peers left.
        Dictionary<string, double> metrics = await relay.ReadMetricsAsync();
        for (int i = 0; i < 50 && metrics.GetValueOrDefault(Forwarded) < size; i++)
        {
            await Task.Delay(100);
            metrics = await relay.ReadMetricsAsync();
        }

        return metrics;
    }

    private static string Describe(Dictionary<string, double> metrics) => string.Join("\n", metrics.Select(kv => $"{kv.Key} {kv.Value}"));
}
