// Reads the relay's Prometheus text (`relay serve --metrics`) with one HTTP/1.1 GET and returns its
// sample lines (tallow_…), or an empty list with the reason when the endpoint cannot be read.
using System.Net;
using System.Net.Sockets;

namespace Tallow.Bench.RelayLoad;

internal static class MetricsScrape
{
    public static async Task<(IReadOnlyList<string> Samples, string? Error)> FetchAsync(IPEndPoint endpoint, CancellationToken token)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(endpoint, token).ConfigureAwait(false);
            NetworkStream stream = client.GetStream();
            await stream.WriteAsync("GET /metrics HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n"u8.ToArray(), token).ConfigureAwait(false);
            using var reader = new StreamReader(stream);
            string text = await reader.ReadToEndAsync(token).ConfigureAwait(false);
            return (text.Split('\n').Where(l => l.StartsWith("tallow_", StringComparison.Ordinal)).ToArray(), null);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            return ([], e.Message);
        }
    }

    /// <summary>The value of the sample named exactly <paramref name="name"/> (with labels, if any), or null.</summary>
    public static string? Value(IReadOnlyList<string> samples, string name) =>
        samples.FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal))?[(name.Length + 1)..];
}
