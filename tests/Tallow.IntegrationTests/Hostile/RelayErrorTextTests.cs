// A relay's error text reaches the user, so a hostile relay must not be able to drive the terminal
// with it (issue: "terminal escape injection by the relay"): a fake relay answers Hello with an
// Error whose text carries an OSC title change, a CSI clear, a C1 CSI (U+009B), a bidi override
// and a bare carriage return. The real tallow prints the readable part and none of the controls.
using System.Net;
using System.Net.Sockets;
using Tallow.IntegrationTests.Infrastructure;
using Tallow.Wire;

namespace Tallow.IntegrationTests.Hostile;

public sealed class RelayErrorTextTests
{
    private const string Hostile = "go away \u001b]0;owned\u0007\u001b[2J\u009b31m \u202eevil\r\bend";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_relay_error_text_reaches_the_user_without_terminal_controls(bool json)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Task relay = AnswerWithErrorAsync(listener, cts.Token);

        string[] args = ["receive", "5-amber-lunar-forge", "--relay", $"127.0.0.1:{port}", .. json ? new[] { "--json" } : []];
        await using TallowProcess receiver = TallowProcess.Start(args);
        int exit = await receiver.WaitForExitAsync(TimeSpan.FromSeconds(30));
        await relay;

        string shown = receiver.Stderr + receiver.Stdout;
        Assert.NotEqual(0, exit);
        Assert.Contains("go away", shown, StringComparison.Ordinal);
        Assert.Contains("evil", shown, StringComparison.Ordinal);
        foreach (char control in new[] { '\u001b', '\u0007', '\u009b', '\u202e', '\r', '\b' })
        {
            Assert.False(shown.Contains(control, StringComparison.Ordinal), $"U+{(int)control:X4} reached the output:\n{shown}");
        }
    }

    private static async Task AnswerWithErrorAsync(TcpListener listener, CancellationToken ct)
    {
        using Socket client = await listener.AcceptSocketAsync(ct);
        await using var stream = new NetworkStream(client);
        using var reader = new FrameReader(stream, 4096);
        FrameReadResult hello = await reader.ReadAsync(Frame.MaxUnpairedLength, ct);
        Assert.True(hello.IsFrame && hello.Type == FrameType.Hello);
        var error = new ErrorMessage(RelayErrorCode.BadRequest, Hostile);
        byte[] payload = new byte[1 + SpanWriter.StringSize(Hostile)];
        int length = error.Write(payload);
        await stream.WriteAsync(Frame.Encode(FrameType.Error, payload.AsSpan(0, length).ToArray()), ct);
        client.Shutdown(SocketShutdown.Both);
    }
}
