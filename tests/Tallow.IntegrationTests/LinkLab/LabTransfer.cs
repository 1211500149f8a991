// One real transfer in a ShapedLab (relay in its namespace, sender in A, receiver in B, random
// file checked by SHA-256) or on loopback, plus the checks the link-lab tests share. Failure
// messages show both processes' stderr and their events without the progress lines (a long
// transfer prints hundreds), except the last one, which shows where it stopped.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Tallow.IntegrationTests.LinkLab;

internal sealed record LabRun(string Label, TallowProcess Sender, TallowProcess Receiver, int SenderExit, int ReceiverExit, long Size,
    string SentSha, string? ReceivedSha, double RelayBytes, TimeSpan Elapsed, string Link)
{
    public const double DirectMaxRelayBytes = 1 << 20;

    /// <summary>The receiver's transfer_complete "seconds", or -1.</summary>
    public double Seconds => Check.Events(Receiver, "transfer_complete") is [JsonElement c, ..] ? c.GetProperty("seconds").GetDouble() : -1;

    public string Describe() => $"{LabTransfer.Describe(Sender, "sender")}\n{LabTransfer.Describe(Receiver, "receiver")}\nrelay bytes forwarded: {RelayBytes:N0}; {Link}";

    public void AssertCompleted()
    {
        Assert.True(SenderExit == 0 && ReceiverExit == 0, $"expected both to exit 0; sender {SenderExit}, receiver {ReceiverExit} after {Elapsed.TotalSeconds:F1} s.\n{Describe()}");
        Assert.True(ReceivedSha == SentSha, $"received file sha256 {ReceivedSha ?? "(missing)"} != sent {SentSha}.\n{Describe()}");
        Assert.Single(Check.Events(Receiver, "file_received"));
    }

    /// <summary>Upgraded on both sides, never fell back, and the relay carried (almost) nothing.</summary>
    public void AssertDirect()
    {
        AssertCompleted();
        foreach ((TallowProcess p, string role) in new[] { (Sender, "sender"), (Receiver, "receiver") })
        {
            Assert.True(Check.Events(p, "p2p_upgrade").Count == 1, $"{role}: expected one p2p_upgrade.\n{Describe()}");
            Assert.True(Check.Events(p, "p2p_fallback").Count == 0, $"{role}: unexpected p2p_fallback.\n{Describe()}");
        }

        Assert.True(RelayBytes is >= 0 and < DirectMaxRelayBytes, $"direct transfer, yet the relay forwarded {RelayBytes:N0} bytes.\n{Describe()}");
    }

    /// <summary>--no-p2p on both sides: no P2P event at all and the relay carried the whole file.</summary>
    public void AssertRelayOnly()
    {
        AssertCompleted();
        foreach ((TallowProcess p, string role) in new[] { (Sender, "sender"), (Receiver, "receiver") })
        {
            Assert.True(Check.Events(p, "p2p_upgrade").Count + Check.Events(p, "p2p_attempt").Count == 0, $"{role}: unexpected P2P attempt or upgrade.\n{Describe()}");
        }

        Assert.True(RelayBytes >= Size, $"relay transfer, yet the relay forwarded only {RelayBytes:N0} of {Size:N0} bytes.\n{Describe()}");
    }

    public void AssertLastedAtLeast(double seconds) =>
        Assert.True(Seconds >= seconds, string.Create(CultureInfo.InvariantCulture, $"the transfer took {Seconds:F1} s (transfer_complete), the scenario needs ≥ {seconds} s.\n{Describe()}"));

    public void Summarize(ITestOutputHelper output, string expected)
    {
        string Path(TallowProcess p) => Check.Events(p, "p2p_upgrade").Count > 0
            ? (Check.Events(p, "p2p_fallback") is [JsonElement f, ..] ? $"direct→relay ({f.GetProperty("reason")})" : "direct")
            : Check.Events(p, "p2p_fallback") is [JsonElement g, ..] ? $"relay ({g.GetProperty("reason")})" : "relay (no p2p)";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"LINKLAB | {Label} | expected {expected} | sender {Path(Sender)}, receiver {Path(Receiver)} | {Size / 1e6:F0} MB in {(Seconds < 0 ? "(no transfer_complete)" : Seconds.ToString("F1", CultureInfo.InvariantCulture) + " s")} (wall {Elapsed.TotalSeconds:F1} s) | exits {SenderExit}/{ReceiverExit} | sha {(ReceivedSha is null ? "no file" : SentSha == ReceivedSha ? "ok" : "MISMATCH")} | relay bytes {RelayBytes:N0} | {Link}"));
    }
}

internal static class LabTransfer
{
    /// <summary>
    /// Relay in the lab's relay namespace, `send FILE --json` in A, `receive CODE --yes --json` in B; <paramref name="during"/>
    /// runs once the receiver started (sender, receiver). Waits for both to exit within <paramref name="timeout"/>.
    /// <paramref name="binary"/> replaces the published tallow for sender and receiver; <paramref name="relay"/> is a relay
    /// already running in the lab (started here when null; its byte counter then covers earlier runs too).
    /// </summary>
    public static async Task<LabRun> RunInLabAsync(ShapedLab lab, TempDir dir, long size, string[] senderExtra, string[] receiverExtra, TimeSpan timeout,
        Func<TallowProcess, TallowProcess, Task>? during = null, string? binary = null, RelayProcess? relay = null)
    {
        relay ??= lab.Own(await RelayProcess.StartInNamespaceAsync(lab.RelayNamespace, lab.RelayAddress));
        string file = dir.WriteRandomFile("payload.bin", size);
        string outDir = dir.Combine("out");
        Directory.CreateDirectory(outDir);
        long started = Stopwatch.GetTimestamp();
        TallowProcess sender = lab.Own(TallowProcess.Start(["send", file, "--relay", lab.RelayAddress, "--json", .. senderExtra], workingDirectory: dir.Path, netns: lab.NamespaceA, binary: binary));
        string code = (await sender.WaitForEventAsync("code", TimeSpan.FromSeconds(60))).GetProperty("code").GetString()!;
        TallowProcess receiver = lab.Own(TallowProcess.Start(["receive", code, "--relay", lab.RelayAddress, "--yes", "--out", outDir, "--json", .. receiverExtra],
            workingDirectory: dir.Path, netns: lab.NamespaceB, binary: binary));
        return await FinishAsync($"{lab.Profile}", sender, receiver, file, outDir, size, started, timeout, during, relay, () => lab.LinkCounters);
    }

    /// <summary>The same on 127.0.0.1 with a fresh loopback relay (owned by the caller).</summary>
    public static async Task<LabRun> RunOnLoopbackAsync(RelayProcess relay, TempDir dir, long size, string[] senderExtra, string[] receiverExtra, TimeSpan timeout)
    {
        string file = dir.WriteRandomFile("payload.bin", size);
        string outDir = dir.Combine("out");
        Directory.CreateDirectory(outDir);
        long started = Stopwatch.GetTimestamp();
        TallowProcess sender = TallowProcess.Start(["send", file, "--relay", relay.Address, "--json", .. senderExtra], workingDirectory: dir.Path);
        TallowProcess? receiver = null;
        try
        {
            string code = (await sender.WaitForEventAsync("code", TimeSpan.FromSeconds(30))).GetProperty("code").GetString()!;
            receiver = TallowProcess.Start(["receive", code, "--relay", relay.Address, "--yes", "--out", outDir, "--json", .. receiverExtra], workingDirectory: dir.Path);
            return await FinishAsync("loopback", sender, receiver, file, outDir, size, started, timeout, null, relay, () => "loopback");
        }
        catch
        {
            await sender.DisposeAsync();
            if (receiver is not null)
            {
                await receiver.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Polls (every 200 ms, bounded by <paramref name="timeout"/>) for an event with this name that matches; fails when the process exits first.</summary>
    public static async Task<JsonElement> WaitForEventAsync(TallowProcess p, string role, string name, Func<JsonElement, bool> match, TimeSpan timeout)
    {
        long started = Stopwatch.GetTimestamp();
        while (true)
        {
            foreach (JsonElement e in p.Events)
            {
                if (e.TryGetProperty("event", out JsonElement n) && n.GetString() == name && match(e))
                {
                    return e;
                }
            }

            if (p.HasExited)
            {
                await Task.Delay(500); // let the last lines arrive
                if (p.Events.Any(e => e.TryGetProperty("event", out JsonElement n) && n.GetString() == name && match(e)))
                {
                    continue;
                }

                throw new InvalidOperationException($"{role} exited without the expected '{name}' event.\n{Describe(p, role)}");
            }

            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new TimeoutException($"{role}: no matching '{name}' event within {timeout}.\n{Describe(p, role)}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>stderr, then every event but progress (only the last progress line is kept).</summary>
    public static string Describe(TallowProcess p, string role)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"--- {role} (pid {p.Pid}{(p.Namespace is null ? "" : $", {p.Namespace}")}) events:\n");
        string? lastProgress = null;
        foreach (JsonElement e in p.Events)
        {
            if (e.TryGetProperty("event", out JsonElement n) && n.GetString() == "progress")
            {
                lastProgress = e.GetRawText();
                continue;
            }

            text.Append(e.GetRawText()).Append('\n');
        }

        text.Append(CultureInfo.InvariantCulture, $"(last progress: {lastProgress ?? "none"})\n--- {role} stderr:\n{p.Stderr}");
        return text.ToString();
    }

    private static async Task<LabRun> FinishAsync(string label, TallowProcess sender, TallowProcess receiver, string file, string outDir, long size, long started,
        TimeSpan timeout, Func<TallowProcess, TallowProcess, Task>? during, RelayProcess relay, Func<string> link)
    {
        if (during is not null)
        {
            await during(sender, receiver);
        }

        TimeSpan left = timeout - Stopwatch.GetElapsedTime(started);
        int receiverExit = await receiver.WaitForExitAsync(left > TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
        int senderExit = await sender.WaitForExitAsync(TimeSpan.FromSeconds(60));
        TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
        double relayBytes = (await relay.ReadMetricsAsync()).GetValueOrDefault("tallow_relay_bytes_forwarded_total", -1);
        string received = Path.Combine(outDir, Path.GetFileName(file));
        return new LabRun(label, sender, receiver, senderExit, receiverExit, size, TempDir.Sha256(file),
            File.Exists(received) ? TempDir.Sha256(received) : null, relayBytes, elapsed, link());
    }
}
