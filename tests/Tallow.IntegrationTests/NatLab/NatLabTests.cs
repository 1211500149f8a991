// NAT lab: real topologies (network namespaces, veth, iptables NAT), the real relay and two real
// `tallow` processes inside them. Each topology test prints one "NATLAB |" summary line (outcome,
// p2p_attempt → decision time per side, relay bytes) for the NAT matrix. Needs root; otherwise
// every test is reported as skipped. Sequential (own collection, parallelization disabled).
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Tallow.IntegrationTests.NatLab;

[Collection(NatLabCollection.Name)]
public sealed class NatLabTests(ITestOutputHelper output)
{
    private const long FileSize = 64L << 20;
    private const long DirectMaxRelayBytes = 1L << 20;
    private const string BytesForwarded = "tallow_relay_bytes_forwarded_total";
    private static readonly TimeSpan OverallP2pTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan TransferTimeout = TimeSpan.FromSeconds(120);

    // ---------------------------------------------------------------- infrastructure (pass today)

    [NatLabFact]
    public async Task Lab_namespaces_and_processes_are_removed_on_dispose()
    {
        Topology lab = Topology.Nat("cleanup", NatKind.PortPreserving, NatKind.Symmetric);
        IReadOnlyList<string> created = [.. lab.Namespaces];
        int relayPid;
        try
        {
            Assert.Equal(6, created.Count); // router, relay, NAT A, A, NAT B, B
            Assert.All(created, ns => Assert.Contains(ns, Netns.List()));
            RelayProcess relay = lab.Own(await RelayProcess.StartInNamespaceAsync(lab.RelayNamespace, lab.RelayAddress));
            relayPid = relay.Process.Pid;
            string pids = Netns.Run("ip", "netns", "pids", lab.RelayNamespace);
            Assert.Contains(relay.Process.Pid.ToString(CultureInfo.InvariantCulture), pids.Split('\n', StringSplitOptions.TrimEntries));
            Dictionary<string, double> metrics = await relay.ReadMetricsAsync();
            Assert.True(metrics.ContainsKey(BytesForwarded), "metrics read through ip netns exec curl");
        }
        finally
        {
            await lab.DisposeAsync();
        }

        Assert.False(Directory.Exists($"/proc/{relayPid}"), $"relay (pid {relayPid}, the tallow process itself) killed by PID");
        Assert.All(created, ns => Assert.DoesNotContain(ns, Netns.List()));
    }

    /// <summary>Plain transfer through the relay inside the lab: both peers behind NAT, relay on the public side.
    /// Asserts only what holds with and without P2P (the product decides the path).</summary>
    [NatLabFact]
    public async Task Lab_transfer_through_relay_in_namespaces_works()
    {
        await using Topology lab = Topology.Nat("relay transfer", NatKind.PortPreserving, NatKind.PortPreserving);
        LabRun run = await RunTransferAsync(lab, [], []);
        Summarize(lab, run, "infrastructure");
        run.AssertCompleted();
        Assert.True(run.Metrics.GetValueOrDefault("tallow_relay_pairings_total") >= 1, run.Describe());
    }

    // ---------------------------------------------------------------- topologies (need the P2P feature)

    [NatLabFact]
    public async Task Same_lan_without_nat_goes_direct()
    {
        await using Topology lab = Topology.SameLan();
        LabRun run = await RunTransferAsync(lab, [], []);
        Summarize(lab, run, "direct");
        run.AssertDirect();
    }

    // The router between the NATs answers the expired low-TTL SYN with ICMP time-exceeded (Linux's
    // default, as most routers do); the dialer's IP_MINTTL makes its kernel ignore that. The quiet
    // variant models a hop that stays silent.
    [NatLabTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Both_behind_port_preserving_nat_go_direct_by_simultaneous_open(bool quietRouter)
    {
        await using Topology lab = Topology.Nat($"both NAT (MASQUERADE){(quietRouter ? ", quiet router" : "")}", NatKind.PortPreserving, NatKind.PortPreserving, quietRouter: quietRouter);
        LabRun run = await RunTransferAsync(lab, [], []);
        Summarize(lab, run, "direct");
        run.AssertDirect();
    }

    [NatLabFact]
    public async Task One_behind_nat_one_public_goes_direct()
    {
        await using Topology lab = Topology.Nat("A NAT, B public", NatKind.PortPreserving, NatKind.Public);
        LabRun run = await RunTransferAsync(lab, [], []);
        Summarize(lab, run, "direct");
        run.AssertDirect();
    }

    [NatLabTheory]
    [InlineData(NatKind.PortPreservingDrop)]
    [InlineData(NatKind.PortPreservingReject)]
    public async Task Nats_that_drop_or_reset_unsolicited_syns_still_go_direct(NatKind kind)
    {
        await using Topology lab = Topology.Nat($"both NAT, unsolicited SYN {(kind == NatKind.PortPreservingDrop ? "DROP" : "REJECT/RST")}", kind, kind);
        LabRun run = await RunTransferAsync(lab, [], []);
        Summarize(lab, run, "direct");
        run.AssertDirect();
    }

    /// <summary>
    /// Zero configuration on a LAN (DESIGN.md §10): the sender has no relay, embeds one and announces
    /// it by mDNS; the receiver has no relay either, finds it by the nameplate, and the session goes
    /// direct over the LAN. Only the namespaces' own addresses are used.
    /// </summary>
    [NatLabFact]
    public async Task Zero_config_on_a_lan_finds_the_sender_by_mdns_and_goes_direct()
    {
        await using Topology lab = Topology.SameLan();
        using var dir = new TempDir();
        string file = dir.WriteRandomFile("payload.bin", 8L << 20);
        string outDir = dir.Combine("out");
        TallowProcess sender = lab.Own(TallowProcess.Start(["send", file, "--json"], workingDirectory: dir.Path, netns: lab.A.Namespace));
        JsonElement code = await sender.WaitForEventAsync("code", TimeSpan.FromSeconds(30));
        string command = code.GetProperty("command").GetString()!;
        Assert.True(code.GetProperty("lan_discovery").GetBoolean(), command);
        Assert.DoesNotContain("--relay", command);
        Assert.StartsWith(lab.A.Address + ":", code.GetProperty("relay").GetString());

        TallowProcess receiver = lab.Own(TallowProcess.Start(
            ["receive", code.GetProperty("code").GetString()!, "--yes", "--out", outDir, "--json"], workingDirectory: dir.Path, netns: lab.B.Namespace));
        int receiverExit = await receiver.WaitForExitAsync(TransferTimeout);
        int senderExit = await sender.WaitForExitAsync(TimeSpan.FromSeconds(30));
        string context = $"{Check.Describe(sender, "sender")}\n{Check.Describe(receiver, "receiver")}";
        Assert.True(senderExit == 0 && receiverExit == 0, $"exits {senderExit}/{receiverExit}\n{context}");
        Assert.Equal(TempDir.Sha256(file), TempDir.Sha256(Path.Combine(outDir, "payload.bin")));
        Assert.StartsWith(lab.A.Address + ":", Check.SingleEvent(receiver, "p2p_upgrade", "receiver").GetProperty("address").GetString());
        Assert.StartsWith(lab.B.Address + ":", Check.SingleEvent(sender, "p2p_upgrade", "sender").GetProperty("address").GetString());
    }

    /// <summary>Zero configuration with nobody announcing the nameplate: a clear network error, not a hang.</summary>
    [NatLabFact]
    public async Task Zero_config_receive_without_a_sender_on_the_lan_says_so()
    {
        await using Topology lab = Topology.SameLan();
        using var dir = new TempDir();
        TallowProcess receiver = lab.Own(TallowProcess.Start(["receive", "417-amber-lunar-forge", "--yes", "--out", dir.Combine("out")], workingDirectory: dir.Path, netns: lab.B.Namespace));
        Check.Exit(4, await receiver.WaitForExitAsync(TimeSpan.FromSeconds(30)), receiver, "receiver");
        Check.Contains("with a code starting 417- found on this local network", receiver.Stderr, Check.Describe(receiver, "receiver"));
    }

    /// <summary>
    /// The symmetric side sees different mappings for the relay and the probe port, so it does not
    /// offer its server-reflexive candidate; its SYNs come from unpredictable ports that the other
    /// NAT (address+port dependent filtering) drops or resets. Expected: fallback, `symmetric NAT detected`.
    /// </summary>
    [NatLabFact]
    public async Task One_side_symmetric_falls_back_to_relay()
    {
        await using Topology lab = Topology.Nat("A symmetric, B MASQUERADE", NatKind.Symmetric, NatKind.PortPreserving);
        LabRun run = await RunTransferAsync(lab, [], []);
        Summarize(lab, run, "fallback: symmetric NAT detected");
        run.AssertFallback("symmetric NAT detected");
    }

    [NatLabFact]
    public async Task Both_sides_symmetric_fall_back_to_relay()
    {
        await using Topology lab = Topology.Nat("both symmetric", NatKind.Symmetric, NatKind.Symmetric);
        LabRun run = await RunTransferAsync(lab, [], []);
        Summarize(lab, run, "fallback: symmetric NAT detected");
        run.AssertFallback("symmetric NAT detected");
    }

    [NatLabFact]
    public async Task Firewall_between_peers_falls_back_after_the_overall_timeout()
    {
        await using Topology lab = Topology.Nat("firewall blocks A<->B", NatKind.PortPreserving, NatKind.PortPreserving, blockDirect: true);
        LabRun run = await RunTransferAsync(lab, [], []);
        Summarize(lab, run, "fallback: timeout");
        run.AssertFallback("timeout");
        TimeSpan limit = OverallP2pTimeout + TimeSpan.FromSeconds(4);
        foreach ((TallowProcess p, string role) in new[] { (run.Sender, "sender"), (run.Receiver, "receiver") })
        {
            TimeSpan? decision = p.TimeBetween("p2p_attempt", "p2p_fallback");
            Assert.True(decision is not null && decision <= limit, $"{role}: p2p_attempt → p2p_fallback took {decision?.TotalSeconds:F2}s (limit {limit.TotalSeconds}s).\n{run.Describe()}");
        }
    }

    /// <summary>`--no-p2p` on one side: no attempt at all, the other side reports `disabled by peer`.</summary>
    [NatLabFact]
    public async Task No_p2p_on_the_sender_keeps_the_transfer_on_the_relay()
    {
        await using Topology lab = Topology.Nat("sender --no-p2p", NatKind.PortPreserving, NatKind.PortPreserving);
        LabRun run = await RunTransferAsync(lab, ["--no-p2p"], []);
        Summarize(lab, run, "fallback on receiver: disabled by peer");
        run.AssertCompleted();
        Assert.True(run.RelayBytes >= FileSize, $"relay forwarded {run.RelayBytes} bytes, expected ≥ {FileSize}.\n{run.Describe()}");
        Assert.Empty(Check.Events(run.Sender, "p2p_attempt"));
        Assert.Empty(Check.Events(run.Sender, "p2p_upgrade"));
        Assert.Empty(Check.Events(run.Receiver, "p2p_upgrade"));
        JsonElement fallback = Check.SingleEvent(run.Receiver, "p2p_fallback", "receiver");
        Assert.Equal("disabled by peer", fallback.GetProperty("reason").GetString());
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>Relay in its namespace, sender in A, receiver in B; 64 MiB random file; waits for both to exit.</summary>
    private static async Task<LabRun> RunTransferAsync(Topology lab, string[] senderExtra, string[] receiverExtra)
    {
        RelayProcess relay = lab.Own(await RelayProcess.StartInNamespaceAsync(lab.RelayNamespace, lab.RelayAddress));
        using var dir = new TempDir();
        string file = dir.WriteRandomFile("payload.bin", FileSize);
        string outDir = dir.Combine("out");
        Directory.CreateDirectory(outDir);
        long started = Stopwatch.GetTimestamp();
        TallowProcess sender = lab.Own(TallowProcess.Start(["send", file, "--relay", lab.RelayAddress, "--json", .. senderExtra], workingDirectory: dir.Path, netns: lab.A.Namespace));
        JsonElement code = await sender.WaitForEventAsync("code", TimeSpan.FromSeconds(30));
        TallowProcess receiver = lab.Own(TallowProcess.Start(
            ["receive", code.GetProperty("code").GetString()!, "--relay", lab.RelayAddress, "--yes", "--out", outDir, "--json", .. receiverExtra],
            workingDirectory: dir.Path, netns: lab.B.Namespace));
        int receiverExit = await receiver.WaitForExitAsync(TransferTimeout);
        int senderExit = await sender.WaitForExitAsync(TimeSpan.FromSeconds(30));
        TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
        Dictionary<string, double> metrics = await relay.ReadMetricsAsync();
        string received = Path.Combine(outDir, "payload.bin");
        return new LabRun(sender, receiver, senderExit, receiverExit, TempDir.Sha256(file),
            File.Exists(received) ? TempDir.Sha256(received) : null, metrics, elapsed);
    }

    private void Summarize(Topology lab, LabRun run, string expected)
    {
        static string Decision(TallowProcess p)
        {
            List<JsonElement> up = Check.Events(p, "p2p_upgrade");
            List<JsonElement> down = Check.Events(p, "p2p_fallback");
            string what = up.Count > 0 ? $"direct {(up[0].TryGetProperty("address", out JsonElement a) ? a.ToString() : "?")}"
                : down.Count > 0 ? $"fallback '{(down[0].TryGetProperty("reason", out JsonElement r) ? r.ToString() : "?")}'"
                : "no p2p decision";
            TimeSpan? t = p.TimeBetween("p2p_attempt", up.Count > 0 ? "p2p_upgrade" : "p2p_fallback");
            return $"{what} in {(t is { } s ? s.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture) + "s" : "n/a")}";
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"NATLAB | {lab.Name} | A={lab.A.Nat} B={lab.B.Nat} | expected {expected} | sender: {Decision(run.Sender)} | receiver: {Decision(run.Receiver)} | relay bytes {run.RelayBytes:N0} | exits {run.SenderExit}/{run.ReceiverExit} | sha {(run.SentSha == run.ReceivedSha ? "ok" : "MISMATCH")} | {run.Elapsed.TotalSeconds:F1}s"));
    }

    private sealed record LabRun(TallowProcess Sender, TallowProcess Receiver, int SenderExit, int ReceiverExit, string SentSha, string? ReceivedSha,
        Dictionary<string, double> Metrics, TimeSpan Elapsed)
    {
        public double RelayBytes => Metrics.GetValueOrDefault(BytesForwarded, -1);

        public string Describe() =>
            $"{Check.Describe(Sender, $"sender [{Sender.Namespace}]")}\n{Check.Describe(Receiver, $"receiver [{Receiver.Namespace}]")}\nrelay bytes forwarded: {RelayBytes}";

        public void AssertCompleted()
        {
            Assert.True(SenderExit == 0 && ReceiverExit == 0, $"expected both to exit 0; sender {SenderExit}, receiver {ReceiverExit}.\n{Describe()}");
            Assert.True(ReceivedSha == SentSha, $"received file sha256 {ReceivedSha ?? "(missing)"} != sent {SentSha}.\n{Describe()}");
        }

        public void AssertDirect()
        {
            AssertCompleted();
            foreach ((TallowProcess p, string role) in new[] { (Sender, "sender"), (Receiver, "receiver") })
            {
                Check.SingleEvent(p, "p2p_attempt", role);
                Check.SingleEvent(p, "p2p_upgrade", role);
                Assert.True(Check.Events(p, "p2p_fallback").Count == 0, $"{role}: unexpected p2p_fallback.\n{Describe()}");
            }

            Assert.True(RelayBytes >= 0 && RelayBytes < DirectMaxRelayBytes, $"direct transfer, yet the relay forwarded {RelayBytes} bytes (limit {DirectMaxRelayBytes}).\n{Describe()}");
        }

        public void AssertFallback(string reason)
        {
            AssertCompleted();
            foreach ((TallowProcess p, string role) in new[] { (Sender, "sender"), (Receiver, "receiver") })
            {
                Assert.True(Check.Events(p, "p2p_upgrade").Count == 0, $"{role}: unexpected p2p_upgrade.\n{Describe()}");
                JsonElement fallback = Check.SingleEvent(p, "p2p_fallback", role);
                Assert.True(fallback.TryGetProperty("reason", out JsonElement r) && r.GetString() == reason,
                    $"{role}: expected fallback reason '{reason}', got {fallback}.\n{Describe()}");
            }

            Assert.True(RelayBytes >= FileSize, $"relay transfer, yet the relay forwarded only {RelayBytes} bytes (file {FileSize}).\n{Describe()}");
        }
    }
}
