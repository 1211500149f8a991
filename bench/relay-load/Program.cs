// relay-load: drives a running `tallow relay serve` (see run.sh).
//   load  --relay H:P --pid N [--pairs 1000] [--bytes 1048576] [--parallel 256] [--direction both|one]
//         all pairs set up (Allocate/Claim/Paired), then all transfer at once, Bytes each way
//         (--direction one: only the creator sends, like a file transfer).
//   abuse --relay H:P --pid N [--pairs 100] [--bytes 33554432] [--attackers 64] [--half-open 1000]
//         hostile connections hammer the relay while the good pairs set up and transfer.
// --metrics H:P prints the relay's rejection counters at the end. Exit 1 when a good pair failed.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Tallow.Bench.RelayLoad;

if (args.Length == 0 || args[0] is not ("load" or "abuse"))
{
    Console.Error.WriteLine("usage: relay-load load|abuse --relay HOST:PORT --pid PID [--metrics HOST:PORT] [--pairs N] [--bytes N] [--parallel N] [--direction both|one] [--attackers N] [--half-open N]");
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
int pairCount = (int)Number("--pairs", abuse ? 100 : 1000);
long bytes = Number("--bytes", abuse ? 32L << 20 : 1L << 20);
int parallel = (int)Number("--parallel", 256);
bool oneWay = Get("--direction", "both") == "one";
string host = relay.Address.ToString();
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

var pairs = Enumerable.Range(0, pairCount).Select(_ => new GoodPair()).ToArray();
using var gate = new SemaphoreSlim(parallel);
var wall = Stopwatch.StartNew();
async Task<bool> SetUpOne(GoodPair pair)
{
    await gate.WaitAsync(token);
    try
    {
        return await pair.SetUpAsync(host, relay.Port, token);
    }
    finally
    {
        gate.Release();
    }
}

bool[] ready = await Task.WhenAll(pairs.Select(SetUpOne));
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

if (before is not null && after is not null)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"relay: peak RSS (VmHWM) {after.PeakRssKiB / 1024.0:0.0} MiB, RSS now {after.RssKiB / 1024.0:0.0} MiB, CPU {after.CpuSeconds - before.CpuSeconds:0.00} s during the run ({after.CpuSeconds:0.00} s total)"));
}

if (options.TryGetValue("--metrics", out string? metrics))
{
    try
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPEndPoint.Parse(metrics), token);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync("GET /metrics HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n"u8.ToArray(), token);
        using var reader = new StreamReader(stream);
        string text = await reader.ReadToEndAsync(token);
        foreach (string line in text.Split('\n').Where(l => l.StartsWith("tallow_", StringComparison.Ordinal) && !l.EndsWith(" 0", StringComparison.Ordinal)))
        {
            Console.WriteLine("  metric " + line);
        }
    }
    catch (Exception e) when (e is IOException or SocketException)
    {
        Console.WriteLine("metrics unavailable: " + e.Message);
    }
}

return failures == 0 ? 0 : 1;
