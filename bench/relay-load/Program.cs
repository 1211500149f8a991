// relay-load: drives a running `tallow relay serve` (see run.sh).
//   load  --relay H:P --pid N [--pairs 1000] [--bytes 1048576] [--parallel 256] [--direction both|one]
//         all pairs set up (Allocate/Claim/Paired), then all transfer at once, Bytes each way
//         (--direction one: only the creator sends, like a file transfer).
//   abuse --relay H:P --pid N [--pairs 100] [--bytes 33554432] [--attackers 64] [--half-open 1000]
//         hostile connections hammer the relay while the good pairs set up and transfer.
//   hold  --relay H:P --pid N [--pairs 100] [--bytes 1048576] [--warmup 10] [--hold-workers 8]
//         [--hold-from 127.0.4.1] [--scan-from 127.0.4.2]
//         one address takes and holds every connection and room the relay gives it (Holder) and
//         another scans nameplates, for --warmup seconds and on; then the good pairs, each side
//         from its own address (127.0.1.x creators, 127.0.2.x joiners), set up and transfer.
// --metrics H:P prints the relay's counters at the end (and after the warmup in hold mode).
// Exit 1 when a good pair failed.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Tallow.Bench.RelayLoad;

if (args.Length == 0 || args[0] is not ("load" or "abuse" or "hold"))
{
    Console.Error.WriteLine("usage: relay-load load|abuse|hold --relay HOST:PORT --pid PID [--metrics HOST:PORT] [--pairs N] [--bytes N] [--parallel N] [--direction both|one] [--attackers N] [--half-open N] [--warmup S] [--hold-workers N] [--hold-from IP] [--scan-from IP]");
    return 2;
}

string mode = args[0];
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 1; i + 1 < args.Length; i += 2)
{
    options[args[i]] = args[i + 1];
}

string Get(string key, string fallback) => options.TryGetValue(key, out string? v) ? v : fallback;
long Number(string key, long fallback) => long.Parse(Get(key, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

IPEndPoint relay = IPEndPoint.Parse(Get("--relay", "127.0.0.1:4433"));
int pid = (int)Number("--pid", 0);
bool abuse = mode == "abuse";
bool hold = mode == "hold";
int pairCount = (int)Number("--pairs", abuse || hold ? 100 : 1000);
long bytes = Number("--bytes", abuse ? 32L << 20 : 1L << 20);
int parallel = (int)Number("--parallel", 256);
bool oneWay = Get("--direction", "both") == "one";
string host = relay.Address.ToString();
IPEndPoint? metricsEndpoint = options.TryGetValue("--metrics", out string? metricsText) ? IPEndPoint.Parse(metricsText) : null;
using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(10));
CancellationToken token = deadline.Token;

RelayProcStats? before = RelayProcStats.Read(pid);
Console.WriteLine($"mode {mode}: {pairCount} pairs, {bytes} bytes {(oneWay ? "one way" : "each way")} per pair, relay {relay} (pid {pid}); relay before: {before}");

var attacker = new Attacker(relay);
using var attackStop = new CancellationTokenSource();
Task attack = Task.CompletedTask;
var attackClock = Stopwatch.StartNew();
if (abuse)
{
    int workers = (int)Number("--attackers", 64);
    int halfOpenPerWorker = (int)Math.Max(1, Number("--half-open", 1000) / Math.Max(1, workers / 4));
    attack = Task.WhenAll(Enumerable.Range(0, workers).Select(i => Task.Run(() => attacker.RunWorkerAsync(i, halfOpenPerWorker, attackStop.Token))));
    await Task.Delay(TimeSpan.FromSeconds(2), token);
    Console.WriteLine($"attack running for 2 s before the good pairs: {attacker.Connections} hostile connections so far; relay: {RelayProcStats.Read(pid)}");
}

var holder = new Holder(relay, IPAddress.Parse(Get("--hold-from", "127.0.4.1")), IPAddress.Parse(Get("--scan-from", "127.0.4.2")));
if (hold)
{
    int warmup = (int)Number("--warmup", 10);
    attack = Task.Run(() => holder.RunAsync((int)Number("--hold-workers", 8), attackStop.Token));
    await Task.Delay(TimeSpan.FromSeconds(warmup), token);
    string snapshot = metricsEndpoint is null ? string.Empty : await RelaySnapshot(metricsEndpoint);
    Console.WriteLine($"after {warmup} s of holding, before the good pairs: {holder}\n  relay: {snapshot}{RelayProcStats.Read(pid)}");
}

async Task<string> RelaySnapshot(IPEndPoint endpoint)
{
    (IReadOnlyList<string> samples, string? error) = await MetricsScrape.FetchAsync(endpoint, token);
    return error ?? $"connections_active {MetricsScrape.Value(samples, "tallow_relay_connections_active")}, rooms_active {MetricsScrape.Value(samples, "tallow_relay_rooms_active")}; ";
}

// Hold mode: every good client has its own address, as behind distinct NATs (127.0.1.x creators, 127.0.2.x joiners).
IPAddress? Source(int subnet, int index) => hold ? new IPAddress([127, 0, (byte)subnet, (byte)(1 + index % 250)]) : null;

var pairs = Enumerable.Range(0, pairCount).Select(_ => new GoodPair()).ToArray();
using var gate = new SemaphoreSlim(parallel);
var wall = Stopwatch.StartNew();
async Task<bool> SetUpOne(GoodPair pair, int index)
{
    await gate.WaitAsync(token);
    try
    {
        return await pair.SetUpAsync(host, relay.Port, Source(1, index), Source(2, index), token);
    }
    finally
    {
        gate.Release();
    }
}

bool[] ready = await Task.WhenAll(pairs.Select((pair, index) => SetUpOne(pair, index)));
TimeSpan setupWall = wall.Elapsed;
GoodPair[] paired = pairs.Where((_, i) => ready[i]).ToArray();
RelayProcStats? afterSetup = RelayProcStats.Read(pid);
Console.WriteLine($"setup: {paired.Length}/{pairCount} pairs paired in {setupWall.TotalSeconds:0.00} s ({paired.Length * 2} relay connections open); relay: {afterSetup}");

var transferClock = Stopwatch.StartNew();
bool[] transferred = await Task.WhenAll(paired.Select(p => Task.Run(() => p.TransferAsync(bytes, oneWay, token))));
TimeSpan transferWall = transferClock.Elapsed;
attackStop.Cancel();
await attack.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
RelayProcStats? after = RelayProcStats.Read(pid);

double[] setups = paired.Select(p => p.SetupTime.TotalMilliseconds).Order().ToArray();
double Percentile(double p) => setups.Length == 0 ? double.NaN : setups[Math.Min(setups.Length - 1, (int)Math.Ceiling(p * setups.Length) - 1)];
long moved = paired.Sum(p => p.BytesReceived);
int failures = pairCount - transferred.Count(t => t);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"session setup: p50 {Percentile(0.50):0.0} ms, p99 {Percentile(0.99):0.0} ms, max {Percentile(1.0):0.0} ms"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"transfer: {moved / 1048576.0:0} MiB through the relay in {transferWall.TotalSeconds:0.00} s = {moved / 1048576.0 / transferWall.TotalSeconds:0.0} MiB/s aggregate"));
Console.WriteLine($"good pairs completed: {transferred.Count(t => t)}/{pairCount}, failures: {failures}");
foreach (string failure in pairs.Select(p => p.Failure).OfType<string>().GroupBy(f => f).Select(g => $"  {g.Count()} x {g.Key}").Take(10))
{
    Console.WriteLine(failure);
}

if (abuse)
{
    Console.WriteLine($"attack over {attackClock.Elapsed.TotalSeconds:0.0} s: {attacker}");
}

if (hold)
{
    Console.WriteLine($"hold attack over {attackClock.Elapsed.TotalSeconds:0.0} s: {holder}");
}

if (before is not null && after is not null)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"relay: peak RSS (VmHWM) {after.PeakRssKiB / 1024.0:0.0} MiB, RSS now {after.RssKiB / 1024.0:0.0} MiB, CPU {after.CpuSeconds - before.CpuSeconds:0.00} s during the run ({after.CpuSeconds:0.00} s total)"));
}

if (metricsEndpoint is not null)
{
    (IReadOnlyList<string> samples, string? error) = await MetricsScrape.FetchAsync(metricsEndpoint, token);
    if (error is not null)
    {
        Console.WriteLine("metrics unavailable: " + error);
    }

    foreach (string line in samples.Where(l => !l.EndsWith(" 0", StringComparison.Ordinal)))
    {
        Console.WriteLine("  metric " + line);
    }
}

return failures == 0 ? 0 : 1;
