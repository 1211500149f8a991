// Issue 18 part 2 benchmark (bench/links/run.sh runs it; test.sh leaves its Benchmark category out):
// on each long fat or lossy LinkProfile (A, B, C), single-stream iperf3 A→B, then Tallow direct
// and through the relay with each binary given (TALLOW_LINK_BENCH_BINARIES, "label=path;…",
// e.g. before=/tmp/old/tallow;after=artifacts/tallow/tallow), one lab per profile so every row of
// a profile is measured in the same run. Files are checked by SHA-256; peak RSS of sender and
// receiver is sampled from /proc. Then magic-wormhole and wormhole-william on the same link
// (LabWormholes; their time includes the key exchange). Prints a table and writes TALLOW_LINK_BENCH_JSON.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;
using Tallow.IntegrationTests.NatLab;
using Xunit.Abstractions;

namespace Tallow.IntegrationTests.LinkLab;

// A benchmark, not a test: test.sh leaves the Benchmark category out, bench/links/run.sh selects it.
[Collection("LinkLab.Benchmark")]
[Trait("Category", "Benchmark")]
public sealed class LinkBenchmark(ITestOutputHelper output)
{
    private static bool Quick => Environment.GetEnvironmentVariable("TALLOW_LINK_BENCH_QUICK") == "1";

    [NatLabFact]
    public async Task Iperf3_and_tallow_direct_and_relay_on_long_fat_and_lossy_links()
    {
        string binaries = Environment.GetEnvironmentVariable("TALLOW_LINK_BENCH_BINARIES") ?? $"current={Repo.TallowBinary}";
        (string Label, string Path)[] tallows = [.. binaries.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(b => b.Split('=', 2)).Select(p => (p[0], Path.GetFullPath(p[1])))];
        string? only = Environment.GetEnvironmentVariable("TALLOW_LINK_BENCH_PROFILES"); // e.g. "A,C"
        var rows = new List<Dictionary<string, object?>>();
        long wmemMax = long.TryParse(Environment.GetEnvironmentVariable("TALLOW_LINK_BENCH_WMEM_MAX"), out long w) ? w : 0; // 0: the kernel's default
        output.WriteLine($"LINKBENCH | tcp_wmem max {(wmemMax > 0 ? wmemMax.ToString(CultureInfo.InvariantCulture) + " (raised in every lab namespace, for every tool)" : "default")}; {Reps} repetition(s), medians");
        foreach ((string key, LinkProfile profile, long size) in Profiles())
        {
            if (only is null ? key == "D" : !only.Split(',').Contains(key))
            {
                continue;
            }

            await using ShapedLab lab = ShapedLab.Create(profile);
            if (wmemMax > 0)
            {
                foreach (string ns in lab.Namespaces)
                {
                    Netns.Exec(ns, "sysctl", "-q", "-w", $"net.ipv4.tcp_wmem=4096 16384 {wmemMax}");
                }
            }

            RelayProcess relayServer = lab.Own(await RelayProcess.StartInNamespaceAsync(lab.RelayNamespace, lab.RelayAddress));
            var samples = new Dictionary<string, List<Sample>>();
            using LabWormholes? wormholes = LabWormholes.Available ? new LabWormholes(lab) : null;
            if (wormholes is null)
            {
                output.WriteLine("LINKBENCH | magic-wormhole / wormhole-william not installed (bench/run.sh installs them): skipped");
            }

            for (int rep = 0; rep < Reps; rep++)
            {
                await RunOnceAsync(lab, relayServer, wormholes, size, tallows, (tool, sample) => (samples.TryGetValue(tool, out var l) ? l : samples[tool] = []).Add(sample));
            }

            // Medians of the repetitions; the ratio is to iperf3's median in the same lab.
            double iperf = Median(samples["iperf3 (single stream)"].Select(x => x.Rate));
            foreach ((string tool, var list) in samples)
            {
                Report(rows, key, profile, tool, Median(list.Select(x => x.Rate)), iperf, list[0].SenderMib is null ? null : list.Max(x => x.SenderMib),
                    list[0].ReceiverMib is null ? null : list.Max(x => x.ReceiverMib), list.All(x => x.Ok), [.. list.Select(x => Math.Round(x.Rate, 2))]);
            }
        }

        string json = Environment.GetEnvironmentVariable("TALLOW_LINK_BENCH_JSON") ?? Path.Combine(Repo.Root, "bench", "results", "links.json");
        Directory.CreateDirectory(Path.GetDirectoryName(json)!);
        await File.WriteAllTextAsync(json, JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["when"] = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
            ["loadavg"] = (await File.ReadAllTextAsync("/proc/loadavg")).Trim(),
            ["quick"] = Quick,
            ["reps"] = Reps,
            ["tcp_wmem_max"] = wmemMax > 0 ? wmemMax : null,
            ["rows"] = rows,
        }, new JsonSerializerOptions { WriteIndented = true }));
        Assert.All(rows, r => Assert.True((bool)r["ok"]!, $"{r["profile"]} {r["tool"]}: failed (see the output)"));
    }

    private readonly record struct Sample(double Rate, double? SenderMib, double? ReceiverMib, bool Ok);

    /// <summary>One repetition on a lab: iperf3, each binary direct and relay, then the wormhole tools (interleaved, so load drifts hit all rows).</summary>
    private async Task RunOnceAsync(ShapedLab lab, RelayProcess relayServer, LabWormholes? wormholes, long size, (string Label, string Path)[] tallows, Action<string, Sample> add)
    {
        add("iperf3 (single stream)", new Sample(Iperf3(lab, Quick ? 8 : 15), null, null, true));
        // Context, not the ratios' base: on the lab's user-space delay, iperf3's own rate depends on
        // its write size (on (A): 16 KiB 31.4, 128 KiB (its default) 40.2, 1 MiB 33.6 MB/s).
        add("iperf3 -l 1M", new Sample(Iperf3(lab, Quick ? 8 : 15, "1M"), null, null, true));
        foreach ((string label, string binary) in tallows)
        {
            foreach (bool relay in new[] { false, true })
            {
                using var dir = new TempDir();
                string[] extra = relay ? ["--no-p2p"] : [];
                long peakSender = 0, peakReceiver = 0;
                LabRun run = await LabTransfer.RunInLabAsync(lab, dir, size, extra, extra, TimeSpan.FromMinutes(8), async (s, r) =>
                {
                    for (int i = 0; i < 6000 && !r.HasExited; i++)
                    {
                        peakSender = Math.Max(peakSender, RssKib(s.Pid));
                        peakReceiver = Math.Max(peakReceiver, RssKib(r.Pid));
                        await Task.Delay(100);
                    }
                }, binary, relayServer);
                bool ok = run.SenderExit == 0 && run.ReceiverExit == 0 && run.ReceivedSha == run.SentSha && (relay || Check.Events(run.Sender, "p2p_upgrade").Count == 1);
                double rate = ok && run.Seconds > 0 ? size / run.Seconds / 1e6 : 0;
                add($"tallow {label} {(relay ? "relay" : "direct")}", new Sample(rate, peakSender / 1024.0, peakReceiver / 1024.0, ok));
                if (!ok)
                {
                    output.WriteLine(run.Describe());
                }
                else if (!relay)
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"LINKBENCH | {label} direct: {rate:F1} MB/s, kernel min RTT sender {KernelMinRtt(run.Sender)}, receiver {KernelMinRtt(run.Receiver)}"));
                }
            }
        }

        if (wormholes is null)
        {
            return;
        }

        using var whDir = new TempDir();
        string whFile = whDir.WriteRandomFile("payload.bin", size);
        string whSha = TempDir.Sha256(whFile);
        foreach ((string tool, bool relayOnly, string label) in new[]
        {
            ("magic-wormhole", false, "magic-wormhole default"), ("magic-wormhole", true, "magic-wormhole relay (--no-listen)"),
            ("wormhole-william", false, "wormhole-william default"),
        })
        {
            double? seconds = wormholes.Transfer(tool, relayOnly, whFile, whSha, TimeSpan.FromSeconds(60 + (size / 1e6)));
            add(label, new Sample(seconds is double t ? size / t / 1e6 : 0, null, null, seconds is not null));
        }
    }

    private static IEnumerable<(string Key, LinkProfile Profile, long Size)> Profiles() =>
    [
        ("A", LinkProfile.LongFat, Quick ? 256L << 20 : 1L << 30),
        ("B", LinkProfile.Lossy, Quick ? 64L << 20 : 200L << 20),
        ("C", LinkProfile.Satellite, Quick ? 16L << 20 : 40L << 20),
        ("D", LongFatLink.Profile, Quick ? 128L << 20 : 256L << 20), // only with TALLOW_LINK_BENCH_PROFILES=…D…: the test link where a fixed 4 MiB window is the limit
    ];

    private static int Reps => int.TryParse(Environment.GetEnvironmentVariable("TALLOW_LINK_BENCH_REPS"), out int n) && n is > 0 and <= 9 ? n : 1;

    private static double Median(IEnumerable<double> values)
    {
        double[] v = [.. values.Order()];
        return v.Length == 0 ? 0 : v.Length % 2 == 1 ? v[v.Length / 2] : (v[(v.Length / 2) - 1] + v[v.Length / 2]) / 2;
    }

    private void Report(List<Dictionary<string, object?>> rows, string key, LinkProfile profile, string tool, double mbps, double iperf, double? senderMib, double? receiverMib, bool ok, double[] each)
    {
        rows.Add(new() { ["profile"] = key, ["link"] = profile.Name, ["tool"] = tool, ["MB_per_s"] = Math.Round(mbps, 2), ["each_MB_per_s"] = each, ["ratio_to_iperf3"] = iperf > 0 ? Math.Round(mbps / iperf, 3) : null, ["sender_rss_MiB"] = senderMib, ["receiver_rss_MiB"] = receiverMib, ["ok"] = ok });
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"LINKBENCH | {profile.Name,-40} | {tool,-36} | {mbps,8:F2} MB/s | {(iperf > 0 ? mbps / iperf : 0),5:F2}× iperf3 | RSS sender {senderMib?.ToString("F0", CultureInfo.InvariantCulture) ?? "-"} MiB, receiver {receiverMib?.ToString("F0", CultureInfo.InvariantCulture) ?? "-"} MiB | {(ok ? "sha ok" : "FAILED")} | runs {string.Join(' ', each.Select(e => e.ToString("F1", CultureInfo.InvariantCulture)))}"));
    }

    /// <summary>iperf3 server in B (one test, then it exits), client in A for <paramref name="seconds"/> writing <paramref name="writeSize"/> at a time: received MB/s.</summary>
    private double Iperf3(ShapedLab lab, int seconds, string writeSize = "128K")
    {
        using Process server = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", lab.NamespaceB, "iperf3", "-s", "-1", "-p", "5201"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        try
        {
            Thread.Sleep(500);
            string json = Netns.Run(TimeSpan.FromSeconds(seconds + 30), true, "ip", "netns", "exec", lab.NamespaceA, "iperf3", "-c", ShapedLab.AddressB, "-p", "5201", "-t", seconds.ToString(CultureInfo.InvariantCulture), "-l", writeSize, "-J");
            using JsonDocument doc = JsonDocument.Parse(json);
            return doc.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bits_per_second").GetDouble() / 8 / 1e6;
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
            }

            server.WaitForExit(5000);
        }
    }

    /// <summary>The p2p_upgrade's kernel_min_rtt_ms (a crossing SYN leaves it far under the link's RTT), or "-" (an older binary).</summary>
    private static string KernelMinRtt(TallowProcess process) =>
        Check.Events(process, "p2p_upgrade") is [JsonElement e, ..] && e.TryGetProperty("kernel_min_rtt_ms", out JsonElement ms) && ms.ValueKind == JsonValueKind.Number
            ? ms.GetDouble().ToString("F2", CultureInfo.InvariantCulture) + " ms" : "-";

    private static long RssKib(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return 0;
    }
}
