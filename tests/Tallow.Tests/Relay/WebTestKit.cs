// Helpers for the relay's web port tests: a relay with --web on 127.0.0.1:0 serving a temporary
// --web-root, a raw HTTP/1.1 exchange over TCP or TLS (to see exact status lines and headers), and
// a WebSocket relay client: .NET's ClientWebSocket wrapped by WebSocketStream, running the real
// client handshake (RelayConnection.HandshakeAsync) over it, as the browser page does.
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Tallow.Net;
using Tallow.Relay;

namespace Tallow.Tests.Relay;

internal sealed record HttpReply(int Status, Dictionary<string, string> Headers, byte[] Body)
{
    public string Header(string name) => Headers.TryGetValue(name, out string? value) ? value : throw new KeyNotFoundException(name);
}

internal static class WebTestKit
{
    public static async Task<RelayServer> StartAsync(string? webRoot, RelayOptions? options = null)
    {
        options ??= new RelayOptions();
        return await RelayTestKit.StartAsync(options with { WebBind = new IPEndPoint(IPAddress.Loopback, 0), WebRoot = webRoot });
    }

    public static string Origin(RelayServer server, bool tls = false) => $"{(tls ? "https" : "http")}://{server.WebEndPoint}";

    /// <summary>Sends <paramref name="request"/> as is and reads the whole answer (the server closes after one).</summary>
    public static async Task<HttpReply> RawAsync(RelayServer server, byte[] request, CancellationToken token, X509Certificate2? tls = null)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.WebEndPoint!, token);
        Stream stream = client.GetStream();
        if (tls is not null)
        {
            var ssl = new SslStream(stream, false, (_, certificate, _, _) => certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(tls.RawData));
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, token);
            stream = ssl;
        }

        await stream.WriteAsync(request, token);
        using var all = new MemoryStream();
        byte[] chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk, token)) > 0)
            {
                all.Write(chunk, 0, read);
                byte[] sofar = all.ToArray();
                if (sofar.AsSpan().StartsWith("HTTP/1.1 101 "u8) && sofar.AsSpan().IndexOf("\r\n\r\n"u8) > 0)
                {
                    break; // an upgraded connection stays open
                }
            }
        }
        catch (IOException)
        {
            // A reset after the answer (the server closed with our unread bytes) still leaves the answer read.
        }

        return Parse(all.ToArray());
    }

    public static Task<HttpReply> GetAsync(RelayServer server, string path, CancellationToken token, string method = "GET", string extraHeaders = "", X509Certificate2? tls = null) =>
        RawAsync(server, Encoding.ASCII.GetBytes($"{method} {path} HTTP/1.1\r\nHost: {server.WebEndPoint}\r\n{extraHeaders}\r\n"), token, tls);

    private static HttpReply Parse(byte[] response)
    {
        int end = response.AsSpan().IndexOf("\r\n\r\n"u8);
        Assert.True(end > 0, "no HTTP answer: " + Encoding.ASCII.GetString(response));
        string[] lines = Encoding.ASCII.GetString(response, 0, end).Split("\r\n");
        int status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }

        return new HttpReply(status, headers, response[(end + 4)..]);
    }

    /// <summary>An open WebSocket to the relay's /ws (same-origin unless <paramref name="origin"/> says otherwise).</summary>
    public static async Task<ClientWebSocket> OpenWebSocketAsync(RelayServer server, CancellationToken token, string? origin = "", X509Certificate2? tls = null)
    {
        var socket = new ClientWebSocket();
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin.Length == 0 ? Origin(server, tls is not null) : origin);
        }

        if (tls is not null)
        {
            socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(tls.RawData);
        }

        try
        {
            await socket.ConnectAsync(new Uri($"{(tls is null ? "ws" : "wss")}://{server.WebEndPoint}/ws"), token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return socket;
    }

    /// <summary>A relay client over a WebSocket (Hello/Welcome done), like the browser page.</summary>
    public static async Task<RelayConnection> ConnectAsync(RelayServer server, CancellationToken token, X509Certificate2? tls = null)
    {
        ClientWebSocket socket = await OpenWebSocketAsync(server, token, tls: tls);
        Stream stream = WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: true);
        return await RelayConnection.HandshakeAsync(stream, "web", null, RelayTestKit.ConnectTimeout, token);
    }

    /// <summary>Reads until EOF; true when the stream ended cleanly or was reset (either is "closed").</summary>
    public static async Task<long> DrainAsync(Stream stream, CancellationToken token)
    {
        byte[] sink = new byte[64 * 1024];
        long total = 0;
        try
        {
            int read;
            while ((read = await stream.ReadAsync(sink, token)) > 0)
            {
                total += read;
            }
        }
        catch (Exception e) when (e is IOException or WebSocketException)
        {
            // reset also counts as closed
        }

        return total;
    }
}
