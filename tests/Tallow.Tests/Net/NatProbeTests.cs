// NAT probe (DESIGN.md §5.7, §9.1) against a real in-process relay on 127.0.0.1 with a probe
// port, and against small fake servers for the failure paths.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tallow.Net;
using Tallow.Net.Direct;
using Tallow.Relay;
using Tallow.Tests.Relay;
using Tallow.Wire;

namespace Tallow.Tests.Net;

public class NatProbeTests
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    private static Task<RelayServer> StartRelayAsync(bool probe = true) =>
        RelayTestKit.StartAsync(new RelayOptions { ProbeBind = probe ? new IPEndPoint(IPAddress.Loopback, 0) : null });

    /// <summary>A relay connection made from a fresh shared port P (bound with ReusableSocket).</summary>
    private static Task<RelayConnection> ConnectFromSharedPortAsync(RelayServer server, CancellationToken token)
    {
        Socket socket = ReusableSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return RelayConnection.ConnectAsync(socket, "127.0.0.1", server.LocalEndPoint.Port, null, RelayTestKit.ConnectTimeout, token);
    }

    [Fact]
    public async Task Loopback_mapping_is_endpoint_independent()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await StartRelayAsync();
        await using RelayConnection relay = await ConnectFromSharedPortAsync(server, token);
        int p = relay.LocalEndPoint.Port;
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, p), relay.ObservedAddress);
        Assert.Equal(server.ProbeEndPoint!.Port, relay.ProbePort);

        NatMapping mapping = await NatProbe.DetectAsync(p, server.LocalEndPoint, relay.ProbePort, relay.ObservedAddress, ProbeTimeout, token);

        Assert.Equal(NatMapping.EndpointIndependent, mapping);
        Assert.Equal(1, server.Metrics.ProbesTotal);
    }

    [Fact]
    public async Task A_different_observed_port_or_address_is_endpoint_dependent()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await StartRelayAsync();
        await using RelayConnection relay = await ConnectFromSharedPortAsync(server, token);
        int p = relay.LocalEndPoint.Port;

        var otherPort = new IPEndPoint(IPAddress.Loopback, p == 65535 ? p - 1 : p + 1);
        Assert.Equal(NatMapping.EndpointDependent, await NatProbe.DetectAsync(p, server.LocalEndPoint, relay.ProbePort, otherPort, ProbeTimeout, token));

        var otherAddress = new IPEndPoint(IPAddress.Parse("198.51.100.1"), p); // only compared, never contacted
        Assert.Equal(NatMapping.EndpointDependent, await NatProbe.DetectAsync(p, server.LocalEndPoint, relay.ProbePort, otherAddress, ProbeTimeout, token));
    }

    [Fact]
    public async Task No_probe_port_is_Unknown_without_any_connection()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await StartRelayAsync(probe: false);
        await using RelayConnection relay = await ConnectFromSharedPortAsync(server, token);
        Assert.Equal(0, relay.ProbePort);
        long connections = server.Metrics.ConnectionsTotal;

        NatMapping mapping = await NatProbe.DetectAsync(relay.LocalEndPoint.Port, server.LocalEndPoint, relay.ProbePort, relay.ObservedAddress, ProbeTimeout, token);

        Assert.Equal(NatMapping.Unknown, mapping);
        Assert.Equal(connections, server.Metrics.ConnectionsTotal);
    }

    [Fact]
    public async Task A_closed_probe_port_is_Unknown()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await StartRelayAsync(probe: false);
        await using RelayConnection relay = await ConnectFromSharedPortAsync(server, token);
        int closedPort;
        using (var placeholder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            placeholder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            closedPort = ((IPEndPoint)placeholder.LocalEndPoint!).Port; // bound, never listening: refused
            NatMapping mapping = await NatProbe.DetectAsync(relay.LocalEndPoint.Port, server.LocalEndPoint, closedPort, relay.ObservedAddress, ProbeTimeout, token);
            Assert.Equal(NatMapping.Unknown, mapping);
        }
    }

    [Fact]
    public async Task A_silent_server_is_Unknown_after_the_timeout()
    {
        CancellationToken token = RelayTestKit.Deadline();
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        int p = FreeSharedPort();
        var stopwatch = Stopwatch.StartNew();

        NatMapping mapping = await NatProbe.DetectAsync(
            p, new IPEndPoint(IPAddress.Loopback, 1), ((IPEndPoint)silent.LocalEndpoint).Port, new IPEndPoint(IPAddress.Loopback, p), TimeSpan.FromMilliseconds(300), token);

        Assert.Equal(NatMapping.Unknown, mapping);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(4));
    }

    public static TheoryData<string, byte[]> BadAnswers => new()
    {
        { "garbage", [1, 2, 3, 4, 5, 6, 7, 8, 9] },
        { "oversized frame", [0, 1, 0, 0, (byte)FrameType.Welcome] },
        { "Error frame", Frame.Encode(FrameType.Error, [(byte)RelayErrorCode.RateLimited, 0, 0]) },
        { "truncated Welcome", Frame.Encode(FrameType.Welcome, new byte[20]) },
        { "Welcome of another version", WelcomeFrame(version: (ushort)(RelayProtocol.Version + 1)) },
        { "close without answer", [] },
    };

    [Theory]
    [MemberData(nameof(BadAnswers))]
    public async Task A_malformed_answer_is_Unknown(string what, byte[] answer)
    {
        _ = what;
        CancellationToken token = RelayTestKit.Deadline();
        using var fake = new TcpListener(IPAddress.Loopback, 0);
        fake.Start();
        Task serve = Task.Run(async () =>
        {
            using Socket client = await fake.AcceptSocketAsync(token);
            byte[] hello = new byte[Frame.HeaderSize + HelloMessage.Size];
            await client.ReceiveAsync(hello, token);
            await client.SendAsync(answer, token);
            client.Shutdown(SocketShutdown.Send);
            await Task.Delay(100, token);
        }, token);
        int p = FreeSharedPort();

        NatMapping mapping = await NatProbe.DetectAsync(
            p, new IPEndPoint(IPAddress.Loopback, 1), ((IPEndPoint)fake.LocalEndpoint).Port, new IPEndPoint(IPAddress.Loopback, p), ProbeTimeout, token);

        Assert.Equal(NatMapping.Unknown, mapping);
        await serve;
    }

    [Fact]
    public async Task A_well_formed_fake_answer_is_compared_exactly()
    {
        // Control for the theory above: the same fake server with a valid Welcome gives an answer.
        CancellationToken token = RelayTestKit.Deadline();
        using var fake = new TcpListener(IPAddress.Loopback, 0);
        fake.Start();
        int p = FreeSharedPort();
        Task serve = Task.Run(async () =>
        {
            using Socket client = await fake.AcceptSocketAsync(token);
            await client.ReceiveAsync(new byte[64], token);
            await client.SendAsync(WelcomeFrame(RelayProtocol.Version, (IPEndPoint)client.RemoteEndPoint!), token);
            client.Shutdown(SocketShutdown.Send);
        }, token);

        NatMapping mapping = await NatProbe.DetectAsync(
            p, new IPEndPoint(IPAddress.Loopback, 1), ((IPEndPoint)fake.LocalEndpoint).Port, new IPEndPoint(IPAddress.Loopback, p), ProbeTimeout, token);

        Assert.Equal(NatMapping.EndpointIndependent, mapping);
        await serve;
    }

    [Fact]
    public async Task Caller_cancellation_throws()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        int p = FreeSharedPort();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => NatProbe.DetectAsync(
            p, new IPEndPoint(IPAddress.Loopback, 1), ((IPEndPoint)silent.LocalEndpoint).Port, new IPEndPoint(IPAddress.Loopback, p), ProbeTimeout, cts.Token));
    }

    [Fact]
    public async Task Invalid_arguments_are_Unknown_not_exceptions()
    {
        var relay = new IPEndPoint(IPAddress.Loopback, 1);
        var observed = new IPEndPoint(IPAddress.Loopback, 2);
        Assert.Equal(NatMapping.Unknown, await NatProbe.DetectAsync(0, relay, 5, observed, ProbeTimeout, CancellationToken.None));
        Assert.Equal(NatMapping.Unknown, await NatProbe.DetectAsync(2, relay, 70000, observed, ProbeTimeout, CancellationToken.None));
        Assert.Equal(NatMapping.Unknown, await NatProbe.DetectAsync(2, relay, 5, observed, TimeSpan.Zero, CancellationToken.None));
        Assert.Equal(NatMapping.Unknown, await NatProbe.DetectAsync(2, null!, 5, observed, ProbeTimeout, CancellationToken.None));
    }

    /// <summary>A port nobody uses right now, for probes that do not need a relay connection on it.</summary>
    private static int FreeSharedPort()
    {
        using Socket socket = ReusableSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static byte[] WelcomeFrame(ushort version, IPEndPoint? observed = null)
    {
        byte[] payload = new byte[WelcomeMessage.MaxSize];
        int length = new WelcomeMessage(version, observed ?? new IPEndPoint(IPAddress.Loopback, 9), new byte[RelayProtocol.NonceSize], false, 9).Write(payload);
        return Frame.Encode(FrameType.Welcome, payload.AsSpan(0, length));
    }
}
