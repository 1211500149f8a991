// A real relay: `tallow relay serve` on 127.0.0.1 with an ephemeral port and a metrics port.
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Tallow.IntegrationTests.Infrastructure;

public sealed class RelayProcess : IAsyncDisposable
{
    private RelayProcess(TallowProcess process, string address, string metrics)
    {
        Process = process;
        Address = address;
        MetricsAddress = metrics;
    }

    public TallowProcess Process { get; }

    /// <summary>host:port to pass as --relay.</summary>
    public string Address { get; }

    public string MetricsAddress { get; }

    public static async Task<RelayProcess> StartAsync(string? password = null, params string[] extraArgs)
    {
        var args = new List<string> { "relay", "serve", "--bind", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--json" };
        if (password is not null)
        {
            args.AddRange(["--pass", password]);
        }

        args.AddRange(extraArgs);
        TallowProcess process = TallowProcess.Start(args);
        JsonElement listening = await process.WaitForEventAsync("relay_listening", TimeSpan.FromSeconds(30));
        return new RelayProcess(process, listening.GetProperty("address").GetString()!, listening.GetProperty("metrics").GetString()!);
    }

    /// <summary>Reads the Prometheus text and returns metric (with labels) → value.</summary>
    public async Task<Dictionary<string, double>> ReadMetricsAsync()
    {
        IPEndPoint endpoint = IPEndPoint.Parse(MetricsAddress);
        using var client = new TcpClient();
        await client.ConnectAsync(endpoint).WaitAsync(TimeSpan.FromSeconds(5));
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync("GET /metrics HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n"u8.ToArray());
        using var reader = new StreamReader(stream);
        string text = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(5));
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
