// DESIGN.md §9.1: one local port P holds, at the same time, a listener, the relay connection and
// the probe connection (every socket bound with ReusableSocket), and the NAT probe still works
// while the other two are open. Loopback only.
using System.Net;
using System.Net.Sockets;
using Tallow.Net;
using Tallow.Net.Direct;
using Tallow.Relay;
using Tallow.Tests.Relay;
using Tallow.Wire;

namespace Tallow.Tests.Net;

public class SharedPortTests
{
    [Fact]
    public async Task One_port_holds_a_listener_a_relay_connection_and_a_probe_connection()
    {
        CancellationToken token = RelayTestKit.Deadline();
        await using RelayServer server = await RelayTestKit.StartAsync(new RelayOptions { ProbeBind = new IPEndPoint(IPAddress.Loopback, 0) });

        using Socket listener = ReusableSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        int p = ((IPEndPoint)listener.LocalEndPoint!).Port;

        await using RelayConnection relay = await RelayConnection.ConnectAsync(
            ReusableSocket.Bind(new IPEndPoint(IPAddress.Loopback, p)), "127.0.0.1", server.LocalEndPoint.Port, null, RelayTestKit.ConnectTimeout, token);
        Assert.Equal(p, relay.LocalEndPoint.Port);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, p), relay.ObservedAddress);

        // A probe connection from P, open while the listener and the relay connection are.
        using (Socket probe = ReusableSocket.Bind(new IPEndPoint(IPAddress.Loopback, p)))
        {
            await probe.ConnectAsync(server.ProbeEndPoint!, token);
            await using var probeStream = new NetworkStream(probe, ownsSocket: false);
            using var reader = new FrameReader(probeStream, 2048);
            byte[] hello = new byte[HelloMessage.Size];
            new HelloMessage(RelayProtocol.Version).Write(hello);
            await probeStream.WriteAsync(Frame.Encode(FrameType.Hello, hello), token);
            FrameReadResult answer = await reader.ReadAsync(Frame.MaxUnpairedLength, token);
            Assert.True(answer.IsFrame);
            Assert.Equal(FrameType.Welcome, answer.Type);
            Assert.True(WelcomeMessage.TryParse(reader.CurrentPayload.Span, out WelcomeMessage welcome));
            Assert.Equal(relay.ObservedAddress, welcome.ObservedAddress);

            // The listener on P still accepts a direct dial while all three sockets on P exist.
            using var dialer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            Task<Socket> accept = listener.AcceptAsync(token).AsTask();
            await dialer.ConnectAsync(new IPEndPoint(IPAddress.Loopback, p), token);
            using Socket accepted = await accept;
            await dialer.SendAsync("hi"u8.ToArray(), token);
            byte[] received = new byte[2];
            Assert.Equal(2, await accepted.ReceiveAsync(received, token));
            Assert.Equal("hi"u8.ToArray(), received);

            // The relay ends the probe; close after it so TIME_WAIT stays on the relay's side of
            // this 4-tuple (a second probe from P to the same probe port reuses the same 4-tuple).
            Assert.True((await reader.ReadAsync(Frame.MaxUnpairedLength, token)).EndOfStream);
        }

        // NatProbe (which binds the wildcard address on P) works alongside the listener and the relay connection.
        Assert.Equal(NatMapping.EndpointIndependent,
            await NatProbe.DetectAsync(p, server.LocalEndPoint, relay.ProbePort, relay.ObservedAddress, TimeSpan.FromSeconds(5), token));

        // The relay connection on P is still usable afterwards.
        Assert.Equal(1u, await relay.AllocateAsync(0, token));
        Assert.Equal(2, server.Metrics.ProbesTotal);
    }
}
