// Running `tallow sync` against `tallow receive` as users do (real binary, real relay), and
// comparing a mirror with its source: content by SHA-256, permission bits, file times, empty
// folders; the mirror's .tallow-sync state folder is left out.
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests.Sync;

internal static class SyncCli
{
    public const string StateFolder = ".tallow-sync";

    /// <summary>`tallow sync SOURCE senderArgs` and `tallow receive --out OUT --yes receiverArgs`; both must exit <paramref name="expectExit"/> (when given).</summary>
    public static async Task<TransferRun> RunAsync(RelayProcess relay, string source, string outDir, string[]? senderArgs = null, string[]? receiverArgs = null, TimeSpan? timeout = null)
    {
        return await Transfer.RunAsync(relay, [source, .. senderArgs ?? []], code => [code, "--out", outDir, "--yes", .. receiverArgs ?? []], timeout: timeout, verb: "sync");
    }

    /// <summary>The sender's sync_round events of a run (one per round).</summary>
    public static JsonElement LastRound(TallowProcess sender) => sender.Events.Last(e => e.GetProperty("event").GetString() == "sync_round");

    public static SortedDictionary<string, string> Tree(string root)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (FileSystemInfo info in new DirectoryInfo(root).EnumerateFileSystemInfos("*", SearchOption.AllDirectories)) // hidden entries included
        {
            string relative = Path.GetRelativePath(root, info.FullName);
            if (relative == StateFolder || relative.StartsWith(StateFolder + "/", StringComparison.Ordinal))
            {
                continue;
            }

            string mode = Convert.ToString((int)File.GetUnixFileMode(info.FullName), 8);
            result[relative] = info is DirectoryInfo ? $"dir m{mode}" : $"{TempDir.Sha256(info.FullName)} m{mode} t{info.LastWriteTimeUtc.Ticks}";
        }

        return result;
    }

    public static void SameTree(string source, string mirror, TransferRun run)
    {
        SortedDictionary<string, string> expected = Tree(source);
        SortedDictionary<string, string> actual = Tree(mirror);
        var missing = expected.Where(kv => !actual.TryGetValue(kv.Key, out string? v) || v != kv.Value).Take(10).Select(kv => $"  {kv.Key} {kv.Value} (mirror: {actual.GetValueOrDefault(kv.Key) ?? "missing"})");
        var extra = actual.Keys.Where(k => !expected.ContainsKey(k)).Take(10).Select(k => "  extra " + k);
        Assert.True(expected.SequenceEqual(actual), $"mirror differs ({expected.Count} in source, {actual.Count} in mirror):\n{string.Join("\n", missing.Concat(extra))}\n{Check.Describe(run)}");
    }

    /// <summary>relay bytes forwarded so far (both directions, every room).</summary>
    public static async Task<double> RelayBytesAsync(RelayProcess relay)
    {
        Dictionary<string, double> metrics = await relay.ReadMetricsAsync();
        return metrics.Where(kv => kv.Key.StartsWith("tallow_relay_bytes_forwarded_total", StringComparison.Ordinal)).Sum(kv => kv.Value);
    }
}
