// The relay's web port as an HTTP server (issue 19): the page's files with their types, ETag,
// no-cache and security headers; 304, HEAD, 405, 404 for every traversal form, a symbolic link
// out of --web-root refused, 431 for a huge head, the WebSocket upgrade's checks (cross-origin
// 403, bad key 400, version 426), HTTPS with the relay's certificate, and the embedded web/dist.
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Tallow.Relay;
using Tallow.Relay.Web;

namespace Tallow.Tests.Relay;

public sealed class WebPageTests : IDisposable
{
    private const string IndexHtml = "<!doctype html><title>Tallow</title><script src=\"app.js\"></script>\n";
    private readonly string _root = Directory.CreateTempSubdirectory("tallow-web-").FullName;
    private readonly string _outside = Directory.CreateTempSubdirectory("tallow-outside-").FullName;

    public WebPageTests()
    {
        File.WriteAllText(Path.Combine(_root, "index.html"), IndexHtml);
        File.WriteAllText(Path.Combine(_root, "app.js"), "console.log('tallow');\n");
        Directory.CreateDirectory(Path.Combine(_root, "assets"));
        File.WriteAllText(Path.Combine(_root, "assets", "style.css"), "body{}\n");
        File.WriteAllText(Path.Combine(_root, ".secret"), "hidden");
        File.WriteAllText(Path.Combine(_outside, "passwd"), "root:x:0:0");
        File.CreateSymbolicLink(Path.Combine(_root, "escape.txt"), Path.Combine(_outside, "passwd"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "out"), _outside);
    }

    public void Dispose()
    {
        Directory.Delete(_root, recursive: true);
        Directory.Delete(_outside, recursive: true);
    }

    [Fact]
    public async Task The_index_and_files_are_served_with_types_ETags_and_security_headers()
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        await using RelayServer server = await WebTestKit.StartAsync(_root);
        HttpReply index = await WebTestKit.GetAsync(server, "/", token);
        Assert.Equal(200, index.Status);
        Assert.Equal(IndexHtml, Encoding.UTF8.GetString(index.Body));
        Assert.Equal("text/html; charset=utf-8", index.Header("Content-Type"));
        Assert.Equal("no-cache", index.Header("Cache-Control"));
        Assert.Equal($"\"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(IndexHtml)))}\"", index.Header("ETag"));
        Assert.Equal(IndexHtml.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), index.Header("Content-Length"));
        AssertSecurityHeaders(index);

        HttpReply script = await WebTestKit.GetAsync(server, "/app.js?v=1", token);
        Assert.Equal(200, script.Status);
        Assert.Equal("text/javascript; charset=utf-8", script.Header("Content-Type"));
        AssertSecurityHeaders(script);
        HttpReply css = await WebTestKit.GetAsync(server, "/assets/style.css", token);
        Assert.Equal("text/css; charset=utf-8", css.Header("Content-Type"));

        HttpReply again = await WebTestKit.GetAsync(server, "/", token, extraHeaders: $"If-None-Match: {index.Header("ETag")}\r\n");
        Assert.Equal(304, again.Status);
        Assert.Empty(again.Body);
        Assert.True(server.Metrics.WebRequestsTotal >= 4);
        Assert.Contains("tallow_relay_web_requests_total", server.Metrics.Render(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HEAD_has_no_body_and_other_methods_get_405()
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        await using RelayServer server = await WebTestKit.StartAsync(_root);
        HttpReply head = await WebTestKit.GetAsync(server, "/", token, method: "HEAD");
        Assert.Equal(200, head.Status);
        Assert.Equal(IndexHtml.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), head.Header("Content-Length"));
        Assert.Empty(head.Body);
        foreach (string method in new[] { "POST", "PUT", "DELETE", "OPTIONS" })
        {
            HttpReply reply = await WebTestKit.GetAsync(server, "/", token, method: method);
            Assert.Equal(405, reply.Status);
            Assert.Equal("GET, HEAD", reply.Header("Allow"));
        }
    }

    [Theory]
    [InlineData("/../index.html")]
    [InlineData("/assets/../index.html")]
    [InlineData("/%2e%2e/%2e%2e/etc/passwd")]
    [InlineData("/assets%2fstyle.css")]
    [InlineData("/assets%2F..%2F..%2Fetc%2Fpasswd")]
    [InlineData("/..%5c..%5cetc%5cpasswd")]
    [InlineData("/assets\\style.css")]
    [InlineData("//etc/passwd")]
    [InlineData("/.secret")]
    [InlineData("/escape.txt")]
    [InlineData("/out/passwd")]
    [InlineData("/assets/")]
    [InlineData("/missing.js")]
    public async Task Traversal_and_unknown_paths_get_404(string path)
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        await using RelayServer server = await WebTestKit.StartAsync(_root);
        HttpReply reply = await WebTestKit.GetAsync(server, path, token);
        Assert.Equal(404, reply.Status);
        Assert.DoesNotContain("root:x", Encoding.UTF8.GetString(reply.Body), StringComparison.Ordinal);
        AssertSecurityHeaders(reply);
    }

    [Fact]
    public async Task A_request_head_over_8_KiB_gets_431_and_garbage_gets_400()
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        await using RelayServer server = await WebTestKit.StartAsync(_root);
        string big = $"GET / HTTP/1.1\r\nHost: x\r\nX-Fill: {new string('a', 9000)}\r\n\r\n";
        Assert.Equal(431, (await WebTestKit.RawAsync(server, Encoding.ASCII.GetBytes(big), token)).Status);
        Assert.Equal(400, (await WebTestKit.RawAsync(server, "GET /\r\n\r\n"u8.ToArray(), token)).Status);
        Assert.Equal(400, (await WebTestKit.RawAsync(server, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"u8.ToArray(), token)).Status);
        Assert.Equal(400, (await WebTestKit.RawAsync(server, "GET / HTTP/1.1\r\n folded: x\r\n\r\n"u8.ToArray(), token)).Status);
        Assert.Equal(400, (await WebTestKit.RawAsync(server, "GET / HTTP/1.1\r\nX: \u0001\r\n\r\n"u8.ToArray(), token)).Status);
    }

    [Fact]
    public async Task One_address_holding_16_unfinished_requests_cannot_starve_the_others()
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        await using RelayServer server = await WebTestKit.StartAsync(_root);
        var idle = new List<System.Net.Sockets.Socket>();
        try
        {
            for (int i = 0; i < 16; i++)
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                idle.Add(socket);
                socket.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.3"), 0));
                await socket.ConnectAsync(server.WebEndPoint!, token);
                await socket.SendAsync("GET / HTTP/1.1\r\n"u8.ToArray(), token); // never finished
            }

            using var extra = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            extra.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.3"), 0));
            await extra.ConnectAsync(server.WebEndPoint!, token);
            await extra.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), token);
            byte[] answer = new byte[1024];
            int read;
            try
            {
                read = await extra.ReceiveAsync(answer, token);
            }
            catch (System.Net.Sockets.SocketException)
            {
                read = 0;
            }

            Assert.Equal(0, read); // the 17th unfinished request from that address is closed unanswered
            Assert.Equal(200, (await WebTestKit.GetAsync(server, "/", token)).Status); // another address is served
        }
        finally
        {
            idle.ForEach(socket => socket.Dispose());
        }
    }

    [Fact]
    public async Task A_cross_origin_upgrade_is_refused_with_403_and_a_same_origin_one_accepted()
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        await using RelayServer server = await WebTestKit.StartAsync(_root);
        HttpReply reply = await WebTestKit.GetAsync(server, "/ws", token, extraHeaders: Upgrade("https://evil.example"));
        Assert.Equal(403, reply.Status);
        HttpReply otherPort = await WebTestKit.GetAsync(server, "/ws", token, extraHeaders: Upgrade($"http://127.0.0.1:{server.WebEndPoint!.Port + 1}"));
        Assert.Equal(403, otherPort.Status);
        HttpReply otherHost = await WebTestKit.GetAsync(server, "/ws", token, extraHeaders: Upgrade($"http://localhost:{server.WebEndPoint!.Port}"));
        Assert.Equal(403, otherHost.Status);
        HttpReply notHttp = await WebTestKit.GetAsync(server, "/ws", token, extraHeaders: Upgrade($"file://{server.WebEndPoint}"));
        Assert.Equal(403, notHttp.Status);

        // The page's host and port under https (a TLS-terminating proxy in front of a plain web port) is the same page.
        HttpReply proxied = await WebTestKit.GetAsync(server, "/ws", token, extraHeaders: Upgrade(WebTestKit.Origin(server, tls: true)));
        Assert.Equal(101, proxied.Status);
        await Assert.ThrowsAsync<WebSocketException>(() => WebTestKit.OpenWebSocketAsync(server, token, origin: "null"));

        HttpReply accepted = await WebTestKit.GetAsync(server, "/ws", token, extraHeaders: Upgrade(WebTestKit.Origin(server)));
        Assert.Equal(101, accepted.Status);
        Assert.Equal(WebSocketHandshake.Accept("dGhlIHNhbXBsZSBub25jZQ=="), accepted.Header("Sec-WebSocket-Accept"));
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketHandshake.Accept("dGhlIHNhbXBsZSBub25jZQ==")); // RFC 6455 §1.3
        using ClientWebSocket noOrigin = await WebTestKit.OpenWebSocketAsync(server, token, origin: null);
        Assert.Equal(WebSocketState.Open, noOrigin.State);
    }

    [Fact]
    public async Task Malformed_upgrades_get_400_and_an_unknown_version_426()
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        await using RelayServer server = await WebTestKit.StartAsync(_root);
        string origin = WebTestKit.Origin(server);
        Assert.Equal(400, (await WebTestKit.GetAsync(server, "/ws", token, extraHeaders: Upgrade(origin).Replace("dGhlIHNhbXBsZSBub25jZQ==", "c2hvcnQ=", StringComparison.Ordinal))).Status);
        Assert.Equal(400, (await WebTestKit.GetAsync(server, "/ws", token, extraHeaders: Upgrade(origin).Replace("Upgrade: websocket", "Upgrade: h2c", StringComparison.Ordinal))).Status);
        Assert.Equal(426, (await WebTestKit.GetAsync(server, "/ws", token, extraHeaders: Upgrade(origin).Replace("Version: 13", "Version: 8", StringComparison.Ordinal))).Status);
        Assert.Equal(400, (await WebTestKit.GetAsync(server, "/ws", token)).Status);
        Assert.Equal(0, server.Metrics.WebConnectionsTotal);
    }

    [Fact]
    public async Task With_TLS_the_page_and_the_WebSocket_are_served_over_HTTPS_only()
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        using X509Certificate2 certificate = RelayCertificate.CreateSelfSigned(IPAddress.Loopback, TimeProvider.System);
        await using RelayServer server = await WebTestKit.StartAsync(_root, new RelayOptions { TlsCertificate = certificate });
        HttpReply index = await WebTestKit.GetAsync(server, "/", token, tls: certificate);
        Assert.Equal(200, index.Status);
        Assert.Equal(IndexHtml, Encoding.UTF8.GetString(index.Body));
        using ClientWebSocket socket = await WebTestKit.OpenWebSocketAsync(server, token, tls: certificate);
        Assert.Equal(WebSocketState.Open, socket.State);
        await Assert.ThrowsAnyAsync<Exception>(() => WebTestKit.GetAsync(server, "/", token));
    }

    [Fact]
    public async Task Relay_json_tells_the_page_the_main_port_and_with_TLS_the_certificate_pin()
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        await using (RelayServer plain = await WebTestKit.StartAsync(_root))
        {
            HttpReply info = await WebTestKit.GetAsync(plain, "/relay.json", token);
            Assert.Equal(200, info.Status);
            Assert.Equal("application/json", info.Header("Content-Type"));
            Assert.Equal($"{{\"port\":{plain.LocalEndPoint.Port},\"tls\":false,\"fingerprint\":null}}\n", Encoding.ASCII.GetString(info.Body));
        }

        using X509Certificate2 certificate = RelayCertificate.CreateSelfSigned(IPAddress.Loopback, TimeProvider.System);
        await using RelayServer tls = await WebTestKit.StartAsync(_root, new RelayOptions { TlsCertificate = certificate });
        HttpReply pinned = await WebTestKit.GetAsync(tls, "/relay.json", token, tls: certificate);
        Assert.Equal($"{{\"port\":{tls.LocalEndPoint.Port},\"tls\":true,\"fingerprint\":\"{RelayCertificate.Fingerprint(certificate)}\"}}\n", Encoding.ASCII.GetString(pinned.Body));
    }

    [Fact]
    public async Task Without_web_root_the_embedded_web_dist_is_served()
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        await using RelayServer server = await WebTestKit.StartAsync(null);
        string dist = Path.Combine(RepoRoot(), "web", "dist");
        string[] files = Directory.Exists(dist)
            ? [.. Directory.EnumerateFiles(dist, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dist, f).Replace('\\', '/')).Where(f => WebContent.ToName("/" + f) is not null)]
            : [];
        Assert.Equal(files.Length, WebContent.EmbeddedCount);
        foreach (string file in files)
        {
            HttpReply reply = await WebTestKit.GetAsync(server, "/" + file, token);
            Assert.Equal(200, reply.Status);
            Assert.Equal(File.ReadAllBytes(Path.Combine(dist, file)), reply.Body);
            Assert.Equal(WebContent.ContentType(file), reply.Header("Content-Type"));
        }

        Assert.Equal(files.Contains("index.html") ? 200 : 404, (await WebTestKit.GetAsync(server, "/", token)).Status);
    }

    private static string Upgrade(string origin) =>
        $"Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: {origin}\r\n";

    private static void AssertSecurityHeaders(HttpReply reply)
    {
        string csp = reply.Header("Content-Security-Policy");
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", reply.Header("X-Content-Type-Options"));
        Assert.Equal("no-referrer", reply.Header("Referrer-Policy"));
        Assert.Equal("same-origin", reply.Header("Cross-Origin-Opener-Policy"));
        Assert.Equal("close", reply.Header("Connection"));
    }

    private static string RepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Directory.Build.props")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
