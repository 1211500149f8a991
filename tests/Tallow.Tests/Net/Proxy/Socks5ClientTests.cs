// Socks5Client (RFC 1928 greeting/request/reply, RFC 1929 username/password) against a scripted
// fake server on 127.0.0.1: the bytes on the wire for domain/IPv4/IPv6 destinations, every
// reply code in words, authentication failures without the password in the message, and
// truncated or garbage replies that only ever surface as Socks5Exception.
using System.Net;
using System.Net.Sockets;
using System.Text;
using Tallow.Net.Proxy;

namespace Tallow.Tests.Net.Proxy;

public class Socks5ClientTests
{
    private const string Secret = "s3cret-Pässword";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private static readonly byte[] SuccessIPv4 = [5, 0, 0, 1, 127, 0, 0, 1, 0x1F, 0x90];

    private static Task<Stream> ConnectAsync(FakeSocks5Server server, NetworkCredential? credentials = null, string host = "relay.example.org", int port = 4433, TimeSpan? timeout = null) =>
        Socks5Client.ConnectAsync("127.0.0.1", server.Port, credentials, host, port, timeout ?? Timeout, CancellationToken.None);

    private static async Task<Socks5Exception> FailsAsync(FakeSocks5Server server, NetworkCredential? credentials = null, TimeSpan? timeout = null)
    {
        Socks5Exception ex = await Assert.ThrowsAsync<Socks5Exception>(() => ConnectAsync(server, credentials, timeout: timeout).WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.DoesNotContain(Secret, ex.Message, StringComparison.Ordinal);
        return ex;
    }

    [Fact]
    public async Task Hostname_goes_to_the_proxy_as_ATYP_domain_and_the_tunnel_carries_bytes()
    {
        byte[]? request = null;
        await using var server = FakeSocks5Server.Start(async (s, stream) =>
        {
            Assert.Equal(new byte[] { 5, 1, 0 }, await s.ReadGreetingAsync(stream));
            await stream.WriteAsync(new byte[] { 5, 0 });
            request = await s.ReadRequestAsync(stream);
            await stream.WriteAsync(new byte[] { 5, 0, 0, 3, 4, (byte)'p', (byte)'r', (byte)'x', (byte)'y', 0, 80 });
            byte[] ping = await s.ReadAsync(stream, 4);
            await stream.WriteAsync(ping);
        });

        await using Stream tunnel = await ConnectAsync(server);
        await tunnel.WriteAsync("ping"u8.ToArray());
        byte[] echo = new byte[4];
        await tunnel.ReadExactlyAsync(echo);

        Assert.Equal("ping"u8.ToArray(), echo);
        byte[] name = Encoding.ASCII.GetBytes("relay.example.org");
        Assert.Equal([5, 1, 0, 3, (byte)name.Length, .. name, 0x11, 0x51], request);
    }

    [Theory]
    [InlineData("203.0.113.7", new byte[] { 5, 1, 0, 1, 203, 0, 113, 7, 0x11, 0x51 })]
    [InlineData("2001:db8::1", new byte[] { 5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x11, 0x51 })]
    [InlineData("[2001:db8::1]", new byte[] { 5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x11, 0x51 })]
    [InlineData("1234", new byte[] { 5, 1, 0, 3, 4, (byte)'1', (byte)'2', (byte)'3', (byte)'4', 0x11, 0x51 })]
    public void IP_literals_go_as_IPv4_or_IPv6_and_anything_else_as_a_name(string host, byte[] expected) =>
        Assert.Equal(expected, Socks5Client.EncodeConnect(host, 4433));

    [Fact]
    public void A_name_longer_than_255_bytes_or_not_ASCII_is_a_clear_error()
    {
        Assert.Contains("too long", Assert.Throws<Socks5Exception>(() => Socks5Client.EncodeConnect(new string('a', 256), 1)).Message, StringComparison.Ordinal);
        Assert.Contains("ASCII", Assert.Throws<Socks5Exception>(() => Socks5Client.EncodeConnect("bücher.example", 1)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Username_and_password_are_sent_per_RFC_1929()
    {
        byte[]? auth = null;
        await using var server = FakeSocks5Server.Start(async (s, stream) =>
        {
            Assert.Equal(new byte[] { 5, 2, 0, 2 }, await s.ReadGreetingAsync(stream));
            await stream.WriteAsync(new byte[] { 5, 2 });
            byte[] head = await s.ReadAsync(stream, 2);
            byte[] user = await s.ReadAsync(stream, head[1]);
            byte[] plen = await s.ReadAsync(stream, 1);
            byte[] pass = await s.ReadAsync(stream, plen[0]);
            auth = [.. head, .. user, .. plen, .. pass];
            await stream.WriteAsync(new byte[] { 1, 0 });
            await s.ReadRequestAsync(stream);
            await stream.WriteAsync(SuccessIPv4);
        });

        await using Stream tunnel = await ConnectAsync(server, new NetworkCredential("alice", Secret));

        byte[] p = Encoding.UTF8.GetBytes(Secret);
        Assert.Equal([1, 5, .. "alice"u8.ToArray(), (byte)p.Length, .. p], auth);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_rejected_password_is_an_authentication_failure_without_the_password(bool closeInsteadOfStatus)
    {
        await using var server = FakeSocks5Server.Start(async (s, stream) =>
        {
            await s.ReadGreetingAsync(stream);
            await stream.WriteAsync(new byte[] { 5, 2 });
            byte[] head = await s.ReadAsync(stream, 2);
            await s.ReadAsync(stream, head[1]);
            byte[] plen = await s.ReadAsync(stream, 1);
            await s.ReadAsync(stream, plen[0]);
            if (!closeInsteadOfStatus)
            {
                await stream.WriteAsync(new byte[] { 1, 1 });
            }
        });

        Socks5Exception ex = await FailsAsync(server, new NetworkCredential("alice", Secret));

        Assert.Equal(Socks5FailureKind.AuthFailed, ex.Kind);
        Assert.Contains("authentication failed", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{server.Port}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_proxy_that_wants_a_password_when_none_is_given_says_so()
    {
        await using var server = FakeSocks5Server.Start(async (s, stream) =>
        {
            await s.ReadGreetingAsync(stream);
            await stream.WriteAsync(new byte[] { 5, 0xFF });
        });

        Socks5Exception ex = await FailsAsync(server);

        Assert.Equal(Socks5FailureKind.AuthRequired, ex.Kind);
        Assert.Contains("requires authentication", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_acceptable_method_with_credentials_is_an_authentication_failure()
    {
        await using var server = FakeSocks5Server.Start(async (s, stream) =>
        {
            await s.ReadGreetingAsync(stream);
            await stream.WriteAsync(new byte[] { 5, 0xFF });
        });

        Assert.Equal(Socks5FailureKind.AuthFailed, (await FailsAsync(server, new NetworkCredential("alice", Secret))).Kind);
    }

    [Theory]
    [InlineData(0x01, "general SOCKS server failure")]
    [InlineData(0x02, "connection not allowed by the proxy's rules")]
    [InlineData(0x03, "network unreachable")]
    [InlineData(0x04, "host unreachable")]
    [InlineData(0x05, "connection refused by the destination")]
    [InlineData(0x06, "TTL expired")]
    [InlineData(0x07, "command not supported")]
    [InlineData(0x08, "address type not supported")]
    [InlineData(0xF6, "invalid onion address")]
    [InlineData(0x42, "unknown reply code 0x42")]
    public async Task Every_reply_code_is_a_refusal_in_words(byte code, string words)
    {
        await using var server = FakeSocks5Server.Start(async (s, stream) =>
        {
            await s.ReadGreetingAsync(stream);
            await stream.WriteAsync(new byte[] { 5, 0 });
            await s.ReadRequestAsync(stream);
            await stream.WriteAsync(new byte[] { 5, code }); // refusals are often truncated: the code alone must do
        });

        Socks5Exception ex = await FailsAsync(server);

        Assert.Equal(Socks5FailureKind.Refused, ex.Kind);
        Assert.Equal(code, ex.ReplyCode);
        Assert.Contains(words, ex.Message, StringComparison.Ordinal);
        Assert.Contains("relay.example.org:4433", ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<byte[], byte[]?> Malformed => new()
    {
        { [], null },                                   // closes at once
        { [5], null },                                  // truncated greeting reply
        { [4, 0], null },                               // SOCKS4-ish
        { "HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray(), null },
        { [5, 0x03], null },                            // method never offered
        { [5, 0x02], null },                            // user/pass chosen although none was offered
        { [5, 0], [] },                                 // closes instead of the CONNECT reply
        { [5, 0], [4, 0, 0, 1] },                       // wrong version in the reply
        { [5, 0], [5, 0, 0, 9, 1, 2, 3, 4, 0, 1] },    // unknown address type
        { [5, 0], [5, 0, 0, 1, 127, 0] },               // truncated bound address
        { [5, 0], [5, 0, 0, 3, 200, (byte)'x'] },       // truncated domain
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Truncated_or_garbage_replies_are_protocol_errors(byte[] greetingReply, byte[]? connectReply)
    {
        await using var server = FakeSocks5Server.Start(async (s, stream) =>
        {
            await s.ReadGreetingAsync(stream);
            await stream.WriteAsync(greetingReply);
            if (connectReply is not null)
            {
                await s.ReadRequestAsync(stream);
                await stream.WriteAsync(connectReply);
            }
        });

        Assert.Equal(Socks5FailureKind.Protocol, (await FailsAsync(server)).Kind);
    }

    [Fact]
    public async Task Random_replies_never_throw_anything_but_Socks5Exception()
    {
        var random = new Random(1928);
        for (int i = 0; i < 150; i++)
        {
            byte[] greeting = [5, (byte)random.Next(0, 3) switch { 0 => 0, 1 => 2, _ => (byte)random.Next(256) }];
            byte[] auth = [(byte)random.Next(0, 3), (byte)random.Next(0, 2)];
            byte[] reply = new byte[random.Next(0, 24)];
            random.NextBytes(reply);
            if (reply.Length > 1 && random.Next(2) == 0)
            {
                reply[0] = 5;
                reply[1] = 0;
            }

            await using var server = FakeSocks5Server.Start(async (s, stream) =>
            {
                await s.ReadGreetingAsync(stream);
                await stream.WriteAsync(greeting);
                await stream.WriteAsync(auth);
                await stream.WriteAsync(reply);
            });
            try
            {
                await using Stream tunnel = await ConnectAsync(server, new NetworkCredential("u", Secret), timeout: TimeSpan.FromSeconds(2));
            }
            catch (Socks5Exception ex)
            {
                Assert.DoesNotContain(Secret, ex.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Nothing_listening_is_unreachable()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        Socks5Exception ex = await Assert.ThrowsAsync<Socks5Exception>(() =>
            Socks5Client.ConnectAsync("127.0.0.1", port, null, "relay.example.org", 4433, Timeout, CancellationToken.None));

        Assert.Equal(Socks5FailureKind.Unreachable, ex.Kind);
        Assert.Contains("connection refused", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silent_proxy_times_out()
    {
        using var release = new SemaphoreSlim(0);
        await using var server = FakeSocks5Server.Start(async (s, stream) =>
        {
            await s.ReadGreetingAsync(stream);
            await release.WaitAsync(TimeSpan.FromSeconds(10));
        });

        Socks5Exception ex = await FailsAsync(server, timeout: TimeSpan.FromMilliseconds(300));
        release.Release();

        Assert.Equal(Socks5FailureKind.Timeout, ex.Kind);
    }

    [Fact]
    public async Task Cancellation_by_the_caller_stays_cancellation()
    {
        using var release = new SemaphoreSlim(0);
        await using var server = FakeSocks5Server.Start(async (s, stream) =>
        {
            await s.ReadGreetingAsync(stream);
            await release.WaitAsync(TimeSpan.FromSeconds(10));
        });
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Socks5Client.ConnectAsync("127.0.0.1", server.Port, null, "relay.example.org", 4433, Timeout, cts.Token));
        release.Release();
    }
}
