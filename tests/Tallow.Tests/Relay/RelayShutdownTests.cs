// Relay shutdown (DESIGN.md §5): DisposeAsync ends waiting rooms with Error{ShuttingDown},
// closes spliced pairs, returns promptly, and the log never contains the relay password.
using Tallow.Net;
using Tallow.Relay;

namespace Tallow.Tests.Relay;

public class RelayShutdownTests
{
    [Fact]
    public async Task Disposing_the_relay_ends_waiting_and_paired_sessions_promptly()
    {
        CancellationToken token = RelayTestKit.Deadline();
        var lines = new List<string>();
        var server = new RelayServer(
            new RelayOptions { Bind = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0), Password = "s3cret-pass" },
            line => { lock (lines) { lines.Add(line); } });
        await server.StartAsync(token);
        (RelayConnection creator, RelayConnection joiner) = await PairWithPasswordAsync(server, token);
        await using (creator)
        await using (joiner)
        {
            await using RelayConnection waiting = await RelayTestKit.ConnectAsync(server, "s3cret-pass", token);
            await waiting.AllocateAsync(0, token);
            await creator.Stream.WriteAsync(new byte[] { 42 }, token);
            byte[] got = new byte[16];
            Assert.Equal(1, await joiner.Stream.ReadAsync(got, token));

            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            await server.DisposeAsync();
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(3), $"dispose took {stopwatch.Elapsed}");

            RelayException error = await Assert.ThrowsAsync<RelayException>(() => waiting.WaitForPeerAsync(token));
            Assert.Equal(RelayFailureKind.Refused, error.Kind);
            Assert.Equal(Tallow.Wire.RelayErrorCode.ShuttingDown, error.Code);

            try
            {
                Assert.Equal(0, await joiner.Stream.ReadAsync(got, token));
            }
            catch (IOException)
            {
                // a reset is an acceptable end too
            }
        }

        lock (lines)
        {
            Assert.NotEmpty(lines);
            Assert.DoesNotContain(lines, line => line.Contains("s3cret-pass", StringComparison.Ordinal));
        }
    }

    private static async Task<(RelayConnection, RelayConnection)> PairWithPasswordAsync(RelayServer server, CancellationToken token)
    {
        RelayConnection creator = await RelayTestKit.ConnectAsync(server, "s3cret-pass", token);
        uint nameplate = await creator.AllocateAsync(0, token);
        RelayConnection joiner = await RelayTestKit.ConnectAsync(server, "s3cret-pass", token);
        await joiner.ClaimAsync(nameplate, token);
        await creator.WaitForPeerAsync(token);
        await joiner.WaitForPeerAsync(token);
        return (creator, joiner);
    }
}
