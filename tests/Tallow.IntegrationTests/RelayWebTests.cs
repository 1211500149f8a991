// `tallow relay serve --web ADDR --web-root DIR` as users run it (issue 19): the address is
// reported in relay_listening, the page is served with its security headers, a WebSocket client
// and a TCP client pair in one room through the real relay process and exchange bytes verbatim,
// and the metrics count the web connection and page requests.
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;
using Tallow.Net;

namespace Tallow.IntegrationTests;

public sealed class RelayWebTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tallow-web-root-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task The_relay_process_serves_the_page_and_pairs_a_WebSocket_client_with_a_TCP_client()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        CancellationToken token = timeout.Token;
        File.WriteAllText(Path.Combine(_root, "index.html"), "<!doctype html><title>self-hosted</title>");
        await using TallowProcess relay = TallowProcess.Start(
            ["relay", "serve", "--bind", "127.0.0.1:0", "--probe-port", "0", "--metrics", "127.0.0.1:0", "--web", "127.0.0.1:0", "--web-root", _root, "--json"]);
        JsonElement listening = await relay.WaitForEventAsync("relay_listening", TimeSpan.FromSeconds(30));
        IPEndPoint main = IPEndPoint.Parse(listening.GetProperty("address").GetString()!);
        IPEndPoint web = IPEndPoint.Parse(listening.GetProperty("web").GetString()!);
        IPEndPoint metrics = IPEndPoint.Parse(listening.GetProperty("metrics").GetString()!);

        string page = await HttpGetAsync(web, "/", token);
        Assert.StartsWith("HTTP/1.1 200 OK", page, StringComparison.Ordinal);
        Assert.Contains("Content-Security-Policy: default-src 'self'", page, StringComparison.Ordinal);
        Assert.EndsWith("<title>self-hosted</title>", page, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 404", await HttpGetAsync(web, "/%2e%2e/etc/passwd", token), StringComparison.Ordinal);

        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Origin", $"http://{web}");
        await socket.ConnectAsync(new Uri($"ws://{web}/ws"), token);
        Stream stream = WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: false);
        await using RelayConnection browser = await RelayConnection.HandshakeAsync(stream, "web", null, TimeSpan.FromSeconds(10), token);
        uint nameplate = await browser.AllocateAsync(0, token);
        await using RelayConnection cli = await RelayConnection.ConnectAsync("127.0.0.1", main.Port, null, TimeSpan.FromSeconds(10), token);
        await cli.ClaimAsync(nameplate, token);
        await browser.WaitForPeerAsync(token);
        await cli.WaitForPeerAsync(token);

        byte[] up = RandomNumberGenerator.GetBytes(5 * 1024 * 1024);
        byte[] down = RandomNumberGenerator.GetBytes(5 * 1024 * 1024);
        Task sendUp = WriteChunkedAsync(browser.Stream, up, token); // one write is one WebSocket message: at most 1 MiB each
        Task sendDown = cli.Stream.WriteAsync(down, token).AsTask();
        byte[] gotUp = new byte[up.Length];
        byte[] gotDown = new byte[down.Length];
        await Task.WhenAll(cli.Stream.ReadExactlyAsync(gotUp, token).AsTask(), browser.Stream.ReadExactlyAsync(gotDown, token).AsTask(), sendUp, sendDown);
        Assert.Equal(SHA256.HashData(up), SHA256.HashData(gotUp));
        Assert.Equal(SHA256.HashData(down), SHA256.HashData(gotDown));

        string scrape = await HttpGetAsync(metrics, "/metrics", token);
        Assert.Contains("tallow_relay_web_connections_total 1\n", scrape, StringComparison.Ordinal);
        Assert.Contains("tallow_relay_web_requests_total 2\n", scrape, StringComparison.Ordinal);
    }

    private static async Task WriteChunkedAsync(Stream stream, byte[] data, CancellationToken token)
    {
        for (int offset = 0; offset < data.Length; offset += 64 * 1024)
        {
            await stream.WriteAsync(data.AsMemory(offset, Math.Min(64 * 1024, data.Length - offset)), token);
        }
    }

    private static async Task<string> HttpGetAsync(IPEndPoint endPoint, string path, CancellationToken token)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(endPoint, token);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {endPoint}\r\n\r\n"), token);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(token);
    }
}
