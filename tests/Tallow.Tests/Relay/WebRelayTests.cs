// WebSocket clients of the relay (issue 19): a client on /ws joins the same rooms as TCP clients,
// and the relay forwards bytes verbatim between a WebSocket and a TCP peer or two WebSocket
// peers (SHA-256 of 20 MiB each way), under TLS too; EOF and a vanishing peer or relay close the
// other side; oversized and text messages are refused with the RFC's close codes.
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tallow.Net;
using Tallow.Relay;
using Tallow.Relay.Web;
using Tallow.Wire;

namespace Tallow.Tests.Relay;

public sealed class WebRelayTests
{
    private const int BulkBytes = 20 * 1024 * 1024;

    [Fact]
    public async Task A_WebSocket_creator_and_a_TCP_joiner_exchange_20_MiB_each_way_verbatim()
    {
        CancellationToken token = RelayTestKit.Deadline(120);
        await using RelayServer server = await WebTestKit.StartAsync(null);
        await using RelayConnection web = await WebTestKit.ConnectAsync(server, token);
        uint nameplate = await web.AllocateAsync(0, token);
        await using RelayConnection tcp = await RelayTestKit.ConnectAsync(server, token: token);
        await tcp.ClaimAsync(nameplate, token);
        Assert.Equal(new PairedMessage(2, 0), await web.WaitForPeerAsync(token));
        Assert.Equal(new PairedMessage(2, 1), await tcp.WaitForPeerAsync(token));

        await ExchangeAsync(web.Stream, tcp.Stream, token);
        Assert.Equal(1, server.Metrics.WebConnectionsTotal);
        // Counted once the write to the peer completed, which may be just after the peer read it.
        await RelayTestKit.EventuallyAsync(() => server.Metrics.BytesForwarded >= 2L * BulkBytes, token, "both directions' bytes counted");
        Assert.Equal(0, server.Metrics.ZeroCopyDirectionsTotal); // a WebSocket side is never spliced
    }

    [Fact]
    public async Task Two_WebSocket_peers_exchange_bytes_verbatim()
    {
        CancellationToken token = RelayTestKit.Deadline(120);
        await using RelayServer server = await WebTestKit.StartAsync(null);
        await using RelayConnection creator = await WebTestKit.ConnectAsync(server, token);
        uint nameplate = await creator.AllocateAsync(0, token);
        await using RelayConnection joiner = await WebTestKit.ConnectAsync(server, token);
        await joiner.ClaimAsync(nameplate, token);
        await creator.WaitForPeerAsync(token);
        await joiner.WaitForPeerAsync(token);

        await ExchangeAsync(creator.Stream, joiner.Stream, token);
        Assert.Equal(2, server.Metrics.WebConnectionsTotal);
    }

    [Fact]
    public async Task A_TCP_creator_and_a_WebSocket_joiner_pair_through_a_TLS_relay()
    {
        CancellationToken token = RelayTestKit.Deadline(60);
        using X509Certificate2 certificate = RelayCertificate.CreateSelfSigned(IPAddress.Loopback, TimeProvider.System);
        await using RelayServer server = await WebTestKit.StartAsync(null, new RelayOptions { TlsCertificate = certificate });
        var tls = new RelayTls("127.0.0.1", CertificateFingerprint.Compute(certificate.RawData));
        await using RelayConnection tcp = await RelayConnection.ConnectAsync("127.0.0.1", server.LocalEndPoint.Port, null, tls, RelayTestKit.ConnectTimeout, token);
        uint nameplate = await tcp.AllocateAsync(0, token);
        await using RelayConnection web = await WebTestKit.ConnectAsync(server, token, certificate);
        await web.ClaimAsync(nameplate, token);
        await tcp.WaitForPeerAsync(token);
        await web.WaitForPeerAsync(token);

        byte[] payload = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        Task send = tcp.Stream.WriteAsync(payload, token).AsTask();
        byte[] received = new byte[payload.Length];
        await web.Stream.ReadExactlyAsync(received, token);
        await send;
        Assert.Equal(payload, received);
        await web.Stream.WriteAsync("back"u8.ToArray(), token);
        byte[] back = new byte[4];
        await tcp.Stream.ReadExactlyAsync(back, token);
        Assert.Equal("back"u8.ToArray(), back);
    }

    [Fact]
    public async Task The_end_of_a_TCP_peer_closes_the_WebSocket_peer_cleanly()
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        await using RelayServer server = await WebTestKit.StartAsync(null);
        using ClientWebSocket socket = await WebTestKit.OpenWebSocketAsync(server, token);
        await using Stream stream = WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: false);
        await using RelayConnection web = await RelayConnection.HandshakeAsync(stream, "web", null, RelayTestKit.ConnectTimeout, token);
        uint nameplate = await web.AllocateAsync(0, token);
        RelayConnection tcp = await RelayTestKit.ConnectAsync(server, token: token);
        await tcp.ClaimAsync(nameplate, token);
        await web.WaitForPeerAsync(token);
        await tcp.WaitForPeerAsync(token);

        await tcp.Stream.WriteAsync(new byte[100_000], token);
        await tcp.DisposeAsync(); // the peer vanishes mid-conversation
        Assert.Equal(100_000, await WebTestKit.DrainAsync(web.Stream, token));
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, token); // what a browser does on the relay's Close
        await RelayTestKit.EventuallyAsync(() => socket.State is WebSocketState.CloseReceived or WebSocketState.Closed or WebSocketState.Aborted, token, "the WebSocket to close");
        if (socket.CloseStatus is { } status)
        {
            Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        }

        await RelayTestKit.EventuallyAsync(() => server.Metrics.RoomsActive == 0, token, "the room to close");
    }

    [Fact]
    public async Task A_WebSocket_client_closing_ends_the_TCP_peer_after_its_last_bytes()
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        await using RelayServer server = await WebTestKit.StartAsync(null);
        using ClientWebSocket socket = await WebTestKit.OpenWebSocketAsync(server, token);
        await using Stream stream = WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: false);
        await using RelayConnection web = await RelayConnection.HandshakeAsync(stream, "web", null, RelayTestKit.ConnectTimeout, token);
        uint nameplate = await web.AllocateAsync(0, token);
        await using RelayConnection tcp = await RelayTestKit.ConnectAsync(server, token: token);
        await tcp.ClaimAsync(nameplate, token);
        await web.WaitForPeerAsync(token);
        await tcp.WaitForPeerAsync(token);

        byte[] last = RandomNumberGenerator.GetBytes(70_000);
        await web.Stream.WriteAsync(last, token);
        using var close = CancellationTokenSource.CreateLinkedTokenSource(token);
        close.CancelAfter(TimeSpan.FromSeconds(5)); // the relay answers the Close at once, not after the peer ends
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, close.Token);
        Assert.Equal(WebSocketState.Closed, socket.State);
        byte[] received = new byte[last.Length];
        await tcp.Stream.ReadExactlyAsync(received, token);
        Assert.Equal(last, received);
        Assert.Equal(0, await WebTestKit.DrainAsync(tcp.Stream, token));
    }

    [Fact]
    public async Task A_relay_shutdown_ends_a_waiting_WebSocket_client_with_an_Error()
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        RelayServer server = await WebTestKit.StartAsync(null);
        await using RelayConnection web = await WebTestKit.ConnectAsync(server, token);
        await web.AllocateAsync(0, token);
        Task stop = server.DisposeAsync().AsTask();
        RelayException error = await Assert.ThrowsAsync<RelayException>(() => web.WaitForPeerAsync(token));
        Assert.Contains("shutting down", error.Message, StringComparison.Ordinal);
        await stop;
    }

    [Fact]
    public async Task A_message_over_the_size_limit_is_refused_with_close_1009()
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        await using RelayServer server = await WebTestKit.StartAsync(null);
        using ClientWebSocket socket = await WebTestKit.OpenWebSocketAsync(server, token);
        await using Stream stream = WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: false);
        await using RelayConnection web = await RelayConnection.HandshakeAsync(stream, "web", null, RelayTestKit.ConnectTimeout, token);
        uint nameplate = await web.AllocateAsync(0, token);
        await using RelayConnection tcp = await RelayTestKit.ConnectAsync(server, token: token);
        await tcp.ClaimAsync(nameplate, token);
        await web.WaitForPeerAsync(token);
        await tcp.WaitForPeerAsync(token);

        // Paired: the bytes are forwarded as they come, until the message passes the limit.
        Task<long> peer = WebTestKit.DrainAsync(tcp.Stream, token);
        byte[] huge = new byte[WebSocketTransport.MaxMessageBytes + 1];
        await socket.SendAsync(huge, WebSocketMessageType.Binary, endOfMessage: true, token);
        WebSocketReceiveResult result = await socket.ReceiveAsync(new byte[1024], token);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, result.CloseStatus);
        Assert.True(await peer <= WebSocketTransport.MaxMessageBytes, "no byte past the limit reaches the peer");
    }

    [Fact]
    public async Task A_text_message_is_refused_with_close_1003()
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        await using RelayServer server = await WebTestKit.StartAsync(null);
        using ClientWebSocket socket = await WebTestKit.OpenWebSocketAsync(server, token);
        await socket.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, token);
        WebSocketReceiveResult result = await socket.ReceiveAsync(new byte[1024], token);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, result.CloseStatus);
    }

    [Fact]
    public async Task WebSocket_clients_count_against_the_per_address_connection_limit()
    {
        CancellationToken token = RelayTestKit.Deadline(30);
        await using RelayServer server = await WebTestKit.StartAsync(null, new RelayOptions { MaxConnectionsPerAddress = 1 });
        await using RelayConnection first = await WebTestKit.ConnectAsync(server, token);
        RelayException error = await Assert.ThrowsAsync<RelayException>(() => WebTestKit.ConnectAsync(server, token));
        Assert.Contains("too many connections from your address", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.AddressConnectionLimit));
    }

    /// <summary>Sends BulkBytes each way at once and compares SHA-256 of what each side sent and received.</summary>
    private static async Task ExchangeAsync(Stream a, Stream b, CancellationToken token)
    {
        Task<byte[]> sendA = SendAsync(a, seed: 1, token);
        Task<byte[]> sendB = SendAsync(b, seed: 2, token);
        Task<byte[]> receiveA = ReceiveAsync(a, token);
        Task<byte[]> receiveB = ReceiveAsync(b, token);
        Assert.Equal(await sendA, await receiveB);
        Assert.Equal(await sendB, await receiveA);
    }

    private static async Task<byte[]> SendAsync(Stream stream, int seed, CancellationToken token)
    {
        var random = new Random(seed);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] chunk = new byte[200_000]; // odd sizes: message boundaries must not matter
        for (int sent = 0; sent < BulkBytes;)
        {
            int length = Math.Min(chunk.Length - (sent % 7), BulkBytes - sent);
            random.NextBytes(chunk.AsSpan(0, length));
            hash.AppendData(chunk, 0, length);
            await stream.WriteAsync(chunk.AsMemory(0, length), token);
            sent += length;
        }

        return hash.GetHashAndReset();
    }

    private static async Task<byte[]> ReceiveAsync(Stream stream, CancellationToken token)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[128 * 1024];
        for (int received = 0; received < BulkBytes;)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(0, Math.Min(buffer.Length, BulkBytes - received)), token);
            Assert.True(read > 0, $"the stream ended after {received} bytes");
            hash.AppendData(buffer, 0, read);
            received += read;
        }

        return hash.GetHashAndReset();
    }
}
