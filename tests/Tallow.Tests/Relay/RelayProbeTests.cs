// The relay's probe port (DESIGN.md §5.7): it answers one Hello with Welcome{observed address}
// and closes; nothing else is possible there, and the main port's limits apply to it too.
using System.Buffers.Binary;
using System.Net;
using Tallow.Net;
using Tallow.Relay;
using Tallow.Wire;

namespace Tallow.Tests.Relay;

public class RelayProbeTests
{
    private static RelayOptions WithProbe(RelayOptions? options = null) =>
        (options ?? new RelayOptions()) with { ProbeBind = new IPEndPoint(IPAddress.Loopback, 0) };

    [Fact]
    public async Task Probe_answers_Hello_with_the_observed_address_and_closes()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(WithProbe(new RelayOptions { Password = "secret" }));
        IPEndPoint probe = Assert.IsType<IPEndPoint>(server.ProbeEndPoint);
        Assert.NotEqual(server.LocalEndPoint.Port, probe.Port);

        await using RawClient client = await RawClient.ConnectAsync(probe, token);
        WelcomeMessage welcome = await client.HelloAsync(token);
        Assert.Equal(RelayProtocol.Version, welcome.Version);
        Assert.Equal(client.Socket.LocalEndPoint, welcome.ObservedAddress);
        Assert.False(welcome.AuthRequired); // a probe is answered without any password
        Assert.Equal(probe.Port, welcome.ProbePort);
        Assert.Equal(RelayProtocol.NonceSize, welcome.Nonce.Length);
        await client.ExpectEndOfStreamAsync(token);

        Assert.Equal(1, server.Metrics.ProbesTotal);
        Assert.Contains("tallow_relay_probes_total 1\n", server.Metrics.Render(), StringComparison.Ordinal);
        await RelayTestKit.EventuallyAsync(() => server.Metrics.ConnectionsActive == 0, token, "probe connection released");
        Assert.Equal(0, server.Metrics.RoomsActive);
    }

    [Fact]
    public async Task Main_port_Welcome_announces_the_bound_probe_port()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(WithProbe());
        await using RelayConnection connection = await RelayTestKit.ConnectAsync(server, token: token);
        Assert.Equal(server.ProbeEndPoint!.Port, connection.ProbePort);

        await using RelayServer plain = await RelayTestKit.StartAsync();
        Assert.Null(plain.ProbeEndPoint);
        await using RelayConnection plainConnection = await RelayTestKit.ConnectAsync(plain, token: token);
        Assert.Equal(0, plainConnection.ProbePort);
        await using RawClient raw = await RawClient.ConnectAsync(plain, token);
        Assert.Equal(0, (await raw.HelloAsync(token)).ProbePort);
    }

    public static TheoryData<string, byte, byte[], RelayErrorCode> NotHello => new()
    {
        { "Allocate", (byte)FrameType.Allocate, [2, 0, 0, 0, 0], RelayErrorCode.BadRequest },
        { "Claim", (byte)FrameType.Claim, [0, 0, 0, 1], RelayErrorCode.BadRequest },
        { "Auth", (byte)FrameType.Auth, new byte[AuthMessage.Size], RelayErrorCode.BadRequest },
        { "Ping", (byte)FrameType.Ping, [], RelayErrorCode.BadRequest },
        { "Welcome", (byte)FrameType.Welcome, new byte[40], RelayErrorCode.BadRequest },
        { "Hello with a wrong magic", (byte)FrameType.Hello, [0x54, 0x4C, 0x57, 0x32, 0, 1], RelayErrorCode.BadRequest },
        { "Hello of protocol v1 (HMAC auth)", (byte)FrameType.Hello, [0x54, 0x4C, 0x57, 0x31, 0, 1], RelayErrorCode.VersionMismatch },
        { "Hello of a later version", (byte)FrameType.Hello, [0x54, 0x4C, 0x57, 0x31, 0, 3], RelayErrorCode.VersionMismatch },
        { "Record", (byte)FrameType.Record, new byte[100], RelayErrorCode.BadRequest },
    };

    [Theory]
    [MemberData(nameof(NotHello))]
    public async Task Probe_refuses_anything_but_Hello(string what, byte type, byte[] payload, RelayErrorCode expected)
    {
        _ = what;
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(WithProbe());
        await using RawClient client = await RawClient.ConnectAsync(server.ProbeEndPoint!, token);
        await client.SendAsync((FrameType)type, payload, token);
        await client.ExpectErrorThenCloseAsync(expected, token);
        Assert.Equal(0, server.Metrics.ProbesTotal);
        Assert.Equal(0, server.Metrics.RoomsActive);
    }

    [Fact]
    public async Task Probe_answers_one_Hello_only_and_opens_no_room()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(WithProbe());
        await using RawClient client = await RawClient.ConnectAsync(server.ProbeEndPoint!, token);

        byte[] hello = new byte[HelloMessage.Size];
        new HelloMessage(RelayProtocol.Version).Write(hello);
        byte[] allocate = new byte[AllocateMessage.Size];
        new AllocateMessage(2, 0).Write(allocate);
        // Hello, Allocate and a second Hello in one write: only the first Hello is answered.
        await client.SendRawAsync([.. Frame.Encode(FrameType.Hello, hello), .. Frame.Encode(FrameType.Allocate, allocate), .. Frame.Encode(FrameType.Hello, hello)], token);

        (FrameType firstType, byte[] first) = await client.ReadFrameAsync(token);
        Assert.Equal(FrameType.Welcome, firstType);
        Assert.True(WelcomeMessage.TryParse(first, out _));
        await client.ExpectEndOfStreamAsync(token);
        Assert.Equal(0, server.Metrics.RoomsActive);
        Assert.Equal(1, server.Metrics.ProbesTotal);
    }

    [Fact]
    public async Task Probe_refuses_frames_over_1_KiB()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(WithProbe());
        await using RawClient client = await RawClient.ConnectAsync(server.ProbeEndPoint!, token);
        byte[] header = new byte[Frame.HeaderSize];
        BinaryPrimitives.WriteUInt32BigEndian(header, Frame.MaxUnpairedLength + 1);
        header[4] = (byte)FrameType.Hello;
        await client.SendRawAsync(header, token);
        await client.ExpectErrorThenCloseAsync(RelayErrorCode.FrameTooLarge, token);
        Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.FrameTooLarge));
    }

    [Fact]
    public async Task A_silent_probe_is_closed_with_Timeout()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(WithProbe(new RelayOptions { HelloTimeout = TimeSpan.FromMilliseconds(300) }));
        await using RawClient client = await RawClient.ConnectAsync(server.ProbeEndPoint!, token);
        await client.ExpectErrorThenCloseAsync(RelayErrorCode.Timeout, token);
        Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.HelloTimeout));
    }

    [Fact]
    public async Task Probe_shares_the_per_address_rate_limit_with_the_main_port()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(WithProbe(new RelayOptions { ConnectionsPerSecondPerIp = 0.1, ConnectionBurstPerIp = 2 }));
        await using RelayConnection main = await RelayTestKit.ConnectAsync(server, token: token);
        await using (RawClient first = await RawClient.ConnectAsync(server.ProbeEndPoint!, token))
        {
            await first.HelloAsync(token);
        }

        await using RawClient refused = await RawClient.ConnectAsync(server.ProbeEndPoint!, token);
        ErrorMessage error = await refused.ExpectErrorThenCloseAsync(RelayErrorCode.RateLimited, token);
        Assert.Contains("too many new connections", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.RateLimited));
        Assert.Equal(1, server.Metrics.ProbesTotal);

        // …and probes use up the main port's budget as well.
        await using RelayServer other = await RelayTestKit.StartAsync(WithProbe(new RelayOptions { ConnectionsPerSecondPerIp = 0.1, ConnectionBurstPerIp = 1 }));
        await using (RawClient probe = await RawClient.ConnectAsync(other.ProbeEndPoint!, token))
        {
            await probe.HelloAsync(token);
        }

        RelayException mainRefused = await Assert.ThrowsAsync<RelayException>(() => RelayTestKit.ConnectAsync(other, token: token));
        Assert.Equal(RelayErrorCode.RateLimited, mainRefused.Code);
    }

    [Fact]
    public async Task Probe_counts_against_the_connection_limit()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(WithProbe(new RelayOptions { MaxConnections = 1 }));
        await using (RelayConnection main = await RelayTestKit.ConnectAsync(server, token: token))
        {
            await using RawClient refused = await RawClient.ConnectAsync(server.ProbeEndPoint!, token);
            await refused.ExpectErrorThenCloseAsync(RelayErrorCode.TooManyConnections, token);
            Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.TooManyConnections));
        }

        await RelayTestKit.EventuallyAsync(() => server.Metrics.ConnectionsActive == 0, token, "slot released");
        await using RawClient client = await RawClient.ConnectAsync(server.ProbeEndPoint!, token);
        Assert.Equal(client.Socket.LocalEndPoint, (await client.HelloAsync(token)).ObservedAddress);
    }
}
