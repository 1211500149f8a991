// RelayConnection failure classification (DESIGN.md §5.2, §12): auth right/wrong/missing and
// an unreachable relay, each mapped to a RelayFailureKind with an actionable message.
using System.Net;
using System.Net.Sockets;
using Tallow.Net;
using Tallow.Relay;
using Tallow.Wire;

namespace Tallow.Tests.Relay;

public class RelayClientTests
{
    private const string Password = "correct horse battery staple";

    [Fact]
    public async Task The_right_password_is_accepted()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { Password = Password });
        await using RelayConnection creator = await RelayTestKit.ConnectAsync(server, Password, token);
        uint nameplate = await creator.AllocateAsync(0, token);
        await using RelayConnection joiner = await RelayTestKit.ConnectAsync(server, Password, token);
        await joiner.ClaimAsync(nameplate, token);
        Assert.Equal(1, (await joiner.WaitForPeerAsync(token)).Index);
    }

    [Fact]
    public async Task A_wrong_password_fails_with_AuthFailed()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { Password = Password });
        await using RelayConnection connection = await RelayTestKit.ConnectAsync(server, "wrong password", token);
        RelayException error = await Assert.ThrowsAsync<RelayException>(() => connection.AllocateAsync(0, token));
        Assert.Equal(RelayFailureKind.AuthFailed, error.Kind);
        Assert.Contains("--relay-pass", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong password", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Metrics.Rejections(RelayRejectionReason.AuthFailed));
    }

    [Fact]
    public async Task A_missing_password_fails_with_AuthRequired()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { Password = Password });
        RelayException error = await Assert.ThrowsAsync<RelayException>(() => RelayTestKit.ConnectAsync(server, null, token));
        Assert.Equal(RelayFailureKind.AuthRequired, error.Kind);
        Assert.Contains("--relay-pass", error.Message, StringComparison.Ordinal);

        // A client that skips Auth is refused by the relay itself.
        await using RawClient raw = await RawClient.ConnectAsync(server, token);
        WelcomeMessage welcome = await raw.HelloAsync(token);
        Assert.True(welcome.AuthRequired);
        byte[] allocate = new byte[AllocateMessage.Size];
        new AllocateMessage(2, 0).Write(allocate);
        await raw.SendAsync(FrameType.Allocate, allocate, token);
        await raw.ExpectErrorThenCloseAsync(RelayErrorCode.AuthRequired, token);
    }

    [Fact]
    public async Task A_closed_port_is_reported_as_Unreachable()
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        RelayException error = await Assert.ThrowsAsync<RelayException>(
            () => RelayConnection.ConnectAsync("127.0.0.1", port, null, RelayTestKit.ConnectTimeout, RelayTestKit.Deadline()));
        Assert.Equal(RelayFailureKind.Unreachable, error.Kind);
        Assert.Contains("connection refused", error.Message, StringComparison.Ordinal);
        Assert.Contains("tallow relay serve", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A connect to a loopback port where nothing listens can be answered by the connecting socket
    /// itself when the kernel gives it that very port (a TCP simultaneous open with itself): it
    /// happens while a relay restarts and clients reconnect. That is the relay being down, which the
    /// session retries, not a relay that speaks another protocol, which ends it. Forced here by
    /// binding the client socket to the port it connects to.
    /// </summary>
    [Fact]
    public async Task A_connection_to_itself_is_reported_as_Unreachable_not_as_a_protocol_error()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)socket.LocalEndPoint!).Port;

        RelayException error = await Assert.ThrowsAsync<RelayException>(
            () => RelayConnection.ConnectAsync(socket, "127.0.0.1", port, null, RelayTestKit.ConnectTimeout, RelayTestKit.Deadline()));
        Assert.Equal(RelayFailureKind.Unreachable, error.Kind);
        Assert.Contains("tallow relay serve", error.Message, StringComparison.Ordinal);

        // The port is free again at once: a relay restarting on it can bind it.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
    }

    [Fact]
    public async Task A_host_name_and_an_IPv6_listener_work()
    {
        CancellationToken token = RelayTestKit.Deadline();
        if (!Socket.OSSupportsIPv6)
        {
            return;
        }

        RelayServer server;
        try
        {
            server = new RelayServer(new RelayOptions { Bind = new IPEndPoint(IPAddress.IPv6Loopback, 0) });
            await server.StartAsync(token);
        }
        catch (SocketException)
        {
            return; // no IPv6 loopback in this environment
        }

        await using (server)
        {
            await using RelayConnection connection = await RelayConnection.ConnectAsync("::1", server.LocalEndPoint.Port, null, RelayTestKit.ConnectTimeout, token);
            Assert.Equal(IPAddress.IPv6Loopback, connection.ObservedAddress.Address);
            Assert.Equal(1u, await connection.AllocateAsync(0, token));
        }
    }
}
