// --throttle with the real processes (README "--throttle"): a sender or a receiver limited to
// 4 MB/s moves about 14 s of random data through a real relay; from the JSON progress events
// (bytes and elapsed seconds, every 500 ms) every 10 s window and the whole transfer must stay
// within 5 % above the rate (the requirement) and not far below it (a limiter that works).
// Timing-sensitive: the class runs alone (own collection, no parallel tests on the 2 cores).
using System.Globalization;
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Tallow.IntegrationTests;

[Collection(ThrottleCollection.Name)]
public sealed class ThrottleTests(OpenRelayFixture fixture, ITestOutputHelper output) : IClassFixture<OpenRelayFixture>
{
    private const long Rate = 4_000_000;
    private const long FileSize = 56_000_000;
    private const double Window = 10;
    private const double Upper = 1.05;
    private const double Lower = 0.90;
    private const double LowerPerWindow = 0.85; // a window may hold a start-up or a scheduling stall
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Sender_throttle_holds_every_10s_window_within_5_percent()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile(Path.Combine("src", "data.bin"), FileSize);
        string outDir = dir.Combine("out");
        TransferRun run = await Transfer.RunAsync(fixture.Relay, [source, "--throttle", "4MB", "--no-p2p"],
            code => [code, "--out", outDir, "--yes", "--json", "--no-p2p"], timeout: Timeout);
        try
        {
            AssertArrived(run, source, outDir);
            AssertRate(run.Receiver, "receiver", run);
            AssertRate(run.Sender, "sender", run);
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task Receiver_throttle_holds_every_10s_window_within_5_percent()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile(Path.Combine("src", "data.bin"), FileSize);
        string outDir = dir.Combine("out");
        TransferRun run = await Transfer.RunAsync(fixture.Relay, [source, "--no-p2p"],
            code => [code, "--out", outDir, "--yes", "--json", "--no-p2p", "--throttle", "4MB/s"], timeout: Timeout);
        try
        {
            AssertArrived(run, source, outDir);
            AssertRate(run.Receiver, "receiver", run);
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("send")]
    [InlineData("receive")]
    public async Task A_bad_rate_is_a_usage_error_before_any_connection(string command)
    {
        string[] args = command == "send"
            ? ["send", "--text", "hi", "--throttle", "0MB", "--relay", fixture.Relay.Address, "--json"]
            : ["receive", "7-amber-lunar-forge", "--throttle", "fast", "--relay", fixture.Relay.Address, "--json"];
        await using TallowProcess process = TallowProcess.Start(args);
        int exit = await process.WaitForExitAsync(Check.ShortTimeout);
        Check.Exit(2, exit, process, command);
        Check.Contains("--throttle", Check.ErrorMessage(process, command, 2), Check.Describe(process, command));
        Assert.Empty(Check.Events(process, "code"));
    }

    private static void AssertArrived(TransferRun run, string source, string outDir)
    {
        Check.Succeeded(run);
        string received = Path.Combine(outDir, "data.bin");
        Assert.True(File.Exists(received), $"missing {received}\n{Check.Describe(run)}");
        Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(received));
    }

    /// <summary>Checks the rate over every 10 s window between progress samples and over the whole transfer.</summary>
    private void AssertRate(TallowProcess process, string role, TransferRun run)
    {
        List<(double At, long Bytes)> samples = [(0, 0), .. Check.Events(process, "progress").Select(e =>
            (e.GetProperty("elapsed").GetDouble(), e.GetProperty("bytes").GetInt64()))];
        Assert.True(samples[^1].Bytes == FileSize, $"{role}: last progress at {samples[^1].Bytes} bytes.\n{Check.Describe(run)}");

        var windows = new List<(double From, double Seconds, double Ratio)>();
        for (int i = 0; i < samples.Count; i++)
        {
            int j = samples.FindIndex(i, s => s.At - samples[i].At >= Window);
            if (j < 0)
            {
                break;
            }

            double seconds = samples[j].At - samples[i].At;
            windows.Add((samples[i].At, seconds, (samples[j].Bytes - samples[i].Bytes) / seconds / Rate));
        }

        JsonElement complete = Check.SingleEvent(process, "transfer_complete", role);
        double overall = FileSize / complete.GetProperty("seconds").GetDouble() / Rate;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{role}: overall {overall * Rate / 1e6:0.000} MB/s ({overall:P2}) in {complete.GetProperty("seconds").GetDouble():0.00} s; {windows.Count} windows of ≥ 10 s, min {windows.Min(w => w.Ratio):P2}, max {windows.Max(w => w.Ratio):P2}"));
        foreach ((double from, double seconds, double ratio) in windows)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {role} window from {from,6:0.000} s over {seconds:0.000} s: {ratio * Rate / 1e6:0.000} MB/s ({ratio:P2})"));
        }

        Assert.True(windows.Count >= 5, $"{role}: only {windows.Count} windows of 10 s.\n{Check.Describe(run)}");
        Assert.All(windows, w => Assert.True(w.Ratio is <= Upper and >= LowerPerWindow,
            string.Create(CultureInfo.InvariantCulture, $"{role}: window from {w.From:0.000} s: {w.Ratio:P2} of {Rate} B/s")));
        Assert.True(overall is <= Upper and >= Lower, string.Create(CultureInfo.InvariantCulture, $"{role}: whole transfer at {overall:P2} of {Rate} B/s"));
    }
}

/// <summary>Rate measurements need the CPUs to themselves: never in parallel with other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThrottleCollection
{
    public const string Name = "Throttle";
}
