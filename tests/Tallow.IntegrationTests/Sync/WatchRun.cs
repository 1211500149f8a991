// A running `tallow watch SOURCE --json` and the `tallow receive --json --yes` that mirrors it,
// with a wait for "the mirror equals the source" (polled, bounded) and both processes cleaned up.
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests.Sync;

internal sealed class WatchRun : IAsyncDisposable
{
    private WatchRun(TallowProcess sender, TallowProcess receiver, string source, string mirror)
    {
        Sender = sender;
        Receiver = receiver;
        Source = source;
        Mirror = mirror;
    }

    public TallowProcess Sender { get; }

    public TallowProcess Receiver { get; }

    public string Source { get; }

    public string Mirror { get; }

    public string Describe => $"{Check.Describe(Sender, "watch")}\n{Check.Describe(Receiver, "receiver")}";

    public static async Task<WatchRun> StartAsync(string relay, string source, string outDir, string[]? senderArgs = null, string[]? receiverArgs = null)
    {
        TallowProcess sender = TallowProcess.Start(["watch", source, "--relay", relay, "--json", "--debounce", "300ms", .. senderArgs ?? []]);
        try
        {
            JsonElement code = await sender.WaitForEventAsync("code", TimeSpan.FromSeconds(30));
            TallowProcess receiver = TallowProcess.Start(["receive", code.GetProperty("code").GetString()!, "--relay", relay, "--out", outDir, "--yes", "--json", .. receiverArgs ?? []]);
            var run = new WatchRun(sender, receiver, source, Path.Combine(outDir, Path.GetFileName(source)));
            await run.Sender.WaitForEventAsync("watching", TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            return run;
        }
        catch
        {
            await sender.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until the mirror equals the source (content, modes, times), or fails after <paramref name="timeout"/>.</summary>
    public async Task InSyncAsync(TimeSpan timeout, string what)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        SortedDictionary<string, string> expected = SyncCli.Tree(Source);
        while (true)
        {
            SortedDictionary<string, string>? actual = Directory.Exists(Mirror) ? TryTree(Mirror) : null;
            if (actual is not null && expected.SequenceEqual(actual))
            {
                return;
            }

            if (DateTime.UtcNow > deadline || Sender.HasExited || Receiver.HasExited)
            {
                string diff = actual is null ? "no mirror" : string.Join("\n", expected.Where(kv => !actual.TryGetValue(kv.Key, out string? v) || v != kv.Value).Take(10).Select(kv => $"  {kv.Key}")
                    .Concat(actual.Keys.Where(k => !expected.ContainsKey(k)).Take(10).Select(k => "  extra " + k)));
                Assert.Fail($"{what}: the mirror did not follow the source within {timeout.TotalSeconds} s:\n{diff}\n{Describe}");
            }

            await Task.Delay(200);
        }
    }

    public int Rounds(TallowProcess process, string name) => process.Events.Count(e => e.GetProperty("event").GetString() == name);

    private static SortedDictionary<string, string>? TryTree(string root)
    {
        try
        {
            return SyncCli.Tree(root);
        }
        catch (IOException)
        {
            return null; // a file renamed while it was read: look again
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Sender.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}
