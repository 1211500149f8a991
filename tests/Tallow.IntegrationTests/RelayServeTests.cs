// `tallow relay serve` as users run it (DESIGN.md §5.7, §12): the probe port is reported with the
// listening addresses and answers Hello with the observed address; --probe-port 0 disables it.
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;
using Tallow.Wire;

namespace Tallow.IntegrationTests;

public sealed class RelayServeTests
{
    [Fact]
    public async Task Default_probe_port_is_reported_and_answers_Hello()
    {
        await using TallowProcess relay = TallowProcess.Start(["relay", "serve", "--bind", "127.0.0.1:0", "--json"]);
        JsonElement listening = await relay.WaitForEventAsync("relay_listening", TimeSpan.FromSeconds(30));
        IPEndPoint main = IPEndPoint.Parse(listening.GetProperty("address").GetString()!);
        IPEndPoint probe = IPEndPoint.Parse(listening.GetProperty("probe").GetString()!);
        Assert.Equal(IPAddress.Loopback, probe.Address);
        Assert.NotEqual(main.Port, probe.Port);

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(probe, timeout.Token);
        await using var stream = new NetworkStream(client, ownsSocket: false);
        byte[] hello = new byte[HelloMessage.Size];
        new HelloMessage(RelayProtocol.Version).Write(hello);
        await stream.WriteAsync(Frame.Encode(FrameType.Hello, hello), timeout.Token);
        using var reader = new FrameReader(stream, 2048);
        FrameReadResult answer = await reader.ReadAsync(Frame.MaxUnpairedLength, timeout.Token);
        Assert.True(answer.IsFrame);
        Assert.Equal(FrameType.Welcome, answer.Type);
        Assert.True(WelcomeMessage.TryParse(reader.CurrentPayload.Span, out WelcomeMessage welcome));
        Assert.Equal(client.LocalEndPoint, welcome.ObservedAddress);
        Assert.Equal(probe.Port, welcome.ProbePort);
        Assert.True((await reader.ReadAsync(Frame.MaxUnpairedLength, timeout.Token)).EndOfStream);
    }

    [Fact]
    public async Task Probe_port_0_disables_the_probe_port()
    {
        await using TallowProcess relay = TallowProcess.Start(["relay", "serve", "--bind", "127.0.0.1:0", "--probe-port", "0", "--json"]);
        JsonElement listening = await relay.WaitForEventAsync("relay_listening", TimeSpan.FromSeconds(30));
        Assert.Equal(JsonValueKind.Null, listening.GetProperty("probe").ValueKind);
    }
}
