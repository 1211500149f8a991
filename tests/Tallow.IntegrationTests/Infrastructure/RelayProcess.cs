// A real relay: `tallow relay serve` on 127.0.0.1 with an ephemeral port and a metrics port,
// or (NAT lab) inside a network namespace on a fixed address, metrics read with `ip netns exec NS curl`.
// StartTlsAsync: the same with --tls (a self-signed certificate); Address is then tls://host:port.
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Tallow.IntegrationTests.Infrastructure;

public sealed class RelayProcess : IAsyncDisposable
{
    private RelayProcess(TallowProcess process, string address, string metrics, string? netns = null, string? fingerprint = null)
    {
        Process = process;
        Address = address;
        MetricsAddress = metrics;
        Namespace = netns;
        Fingerprint = fingerprint;
    }

    /// <summary>SHA-256 fingerprint of a TLS relay's certificate as it printed it (null without TLS).</summary>
    public string? Fingerprint { get; }

    /// <summary>The network namespace the relay runs in (null: the test's own).</summary>
    public string? Namespace { get; }

    public TallowProcess Process { get; }

    /// <summary>host:port (tls://host:port for a TLS relay) to pass as --relay.</summary>
    public string Address { get; }

    public string MetricsAddress { get; }

    public static Task<RelayProcess> StartAsync(string? password = null, params string[] extraArgs) => StartOnAsync("127.0.0.1:0", password, extraArgs);

    /// <summary>A relay on 127.0.0.1 started with extra environment variables (e.g. TALLOW_RELAY_SPLICE=0).</summary>
    public static Task<RelayProcess> StartWithEnvironmentAsync(IDictionary<string, string?> environment, params string[] extraArgs) =>
        StartOnAsync("127.0.0.1:0", null, extraArgs, environment);

    /// <summary>A relay on a given address (e.g. the port of one that was stopped: a relay restart).</summary>
    public static Task<RelayProcess> StartOnAsync(string bind, string? password = null, params string[] extraArgs) => StartOnAsync(bind, password, extraArgs, null);

    private static async Task<RelayProcess> StartOnAsync(string bind, string? password, string[] extraArgs, IDictionary<string, string?>? environment)
    {
        var args = new List<string> { "relay", "serve", "--bind", bind, "--metrics", "127.0.0.1:0", "--json" };
        if (password is not null)
        {
            args.AddRange(["--pass", password]);
        }

        args.AddRange(extraArgs);
        TallowProcess process = TallowProcess.Start(args, environment: environment);
        try
        {
            JsonElement listening = await process.WaitForEventAsync("relay_listening", TimeSpan.FromSeconds(30));
            return new RelayProcess(process, listening.GetProperty("address").GetString()!, listening.GetProperty("metrics").GetString()!);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A relay restarted on the address of one that was stopped. The port was free a moment ago, but
    /// an outgoing connection (another test's, or a reconnecting client's that the kernel connected to
    /// itself on that port) may hold it as its local port for a moment: a relay that exits without
    /// listening is started again, for at most 20 s, and the last failure is thrown.
    /// </summary>
    public static async Task<RelayProcess> RestartOnAsync(string address)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnAsync(address);
            }
            catch (InvalidOperationException) when (DateTime.UtcNow < deadline && attempt < 40)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }
    }

    /// <summary>A TLS relay (`--tls`, self-signed) on 127.0.0.1 with an ephemeral port and a metrics port.</summary>
    public static async Task<RelayProcess> StartTlsAsync(params string[] extraArgs)
    {
        TallowProcess process = TallowProcess.Start(["relay", "serve", "--tls", "--bind", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--json", .. extraArgs]);
        try
        {
            JsonElement listening = await process.WaitForEventAsync("relay_listening", TimeSpan.FromSeconds(30));
            Assert.True(listening.GetProperty("tls").GetBoolean());
            return new RelayProcess(process, "tls://" + listening.GetProperty("address").GetString()!, listening.GetProperty("metrics").GetString()!,
                fingerprint: listening.GetProperty("fingerprint").GetString()!);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts a relay inside network namespace <paramref name="netns"/>, listening on <paramref name="bind"/>
    /// (e.g. 203.0.113.10:4433) with metrics on 127.0.0.1:<paramref name="metricsPort"/> of that namespace.
    /// </summary>
    public static async Task<RelayProcess> StartInNamespaceAsync(string netns, string bind, int metricsPort = 9090, params string[] extraArgs)
    {
        TallowProcess process = TallowProcess.Start(["relay", "serve", "--bind", bind, "--metrics", $"127.0.0.1:{metricsPort}", "--json", .. extraArgs], netns: netns);
        try
        {
            JsonElement listening = await process.WaitForEventAsync("relay_listening", TimeSpan.FromSeconds(30));
            return new RelayProcess(process, listening.GetProperty("address").GetString()!, listening.GetProperty("metrics").GetString()!, netns);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Reads the Prometheus text and returns metric (with labels) → value.</summary>
    public async Task<Dictionary<string, double>> ReadMetricsAsync()
    {
        return Parse(Namespace is null ? await FetchAsync() : await FetchInNamespaceAsync());
    }

    private async Task<string> FetchInNamespaceAsync()
    {
        var info = new System.Diagnostics.ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "netns", "exec", Namespace!, "curl", "-sS", "--max-time", "5", $"http://{MetricsAddress}/metrics" })
        {
            info.ArgumentList.Add(a);
        }

        using var curl = System.Diagnostics.Process.Start(info) ?? throw new InvalidOperationException("cannot start curl");
        Task<string> text = curl.StandardOutput.ReadToEndAsync();
        Task<string> error = curl.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await curl.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            curl.Kill(entireProcessTree: true);
            throw new TimeoutException($"reading relay metrics in {Namespace} timed out");
        }

        if (curl.ExitCode != 0)
        {
            throw new InvalidOperationException($"reading relay metrics in {Namespace} failed ({curl.ExitCode}): {await error}");
        }

        return await text;
    }

    private async Task<string> FetchAsync()
    {
        IPEndPoint endpoint = IPEndPoint.Parse(MetricsAddress);
        using var client = new TcpClient();
        await client.ConnectAsync(endpoint).WaitAsync(TimeSpan.FromSeconds(5));
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync("GET /metrics HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n"u8.ToArray());
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(5));
    }

    private static Dictionary<string, double> Parse(string text)
    {
        var values = new Dictionary<string, double>();
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith("tallow_", StringComparison.Ordinal))
            {
                int space = line.LastIndexOf(' ');
                if (space > 0 && double.TryParse(line[(space + 1)..], System.Globalization.CultureInfo.InvariantCulture, out double v))
                {
                    values[line[..space]] = v;
                }
            }
        }

        return values;
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
