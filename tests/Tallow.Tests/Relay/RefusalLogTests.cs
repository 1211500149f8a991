// An attacker's refused connections must not flood the relay's log (metrics count them all):
// one line per address and reason a minute, and the next line says how many were left out.
using System.Net;
using Microsoft.Extensions.Time.Testing;
using Tallow.Net;
using Tallow.Relay;
using Tallow.Wire;

namespace Tallow.Tests.Relay;

public class RefusalLogTests
{
    [Fact]
    public void One_line_per_address_and_reason_a_minute_then_the_count_of_those_left_out()
    {
        var time = new FakeTimeProvider();
        var log = new RefusalLog(time);
        UInt128 attacker = AddressKey.Of(IPAddress.Parse("192.0.2.7"));
        UInt128 other = AddressKey.Of(IPAddress.Parse("192.0.2.8"));

        Assert.Equal("refused", log.Admit(attacker, RelayRejectionReason.AddressConnectionLimit, "refused"));
        for (int i = 0; i < 500; i++)
        {
            Assert.Null(log.Admit(attacker, RelayRejectionReason.AddressConnectionLimit, "refused"));
        }

        Assert.NotNull(log.Admit(attacker, RelayRejectionReason.ClaimsBlocked, "blocked")); // another reason
        Assert.NotNull(log.Admit(other, RelayRejectionReason.AddressConnectionLimit, "refused")); // another address

        time.Advance(TimeSpan.FromSeconds(61));
        string? next = log.Admit(attacker, RelayRejectionReason.AddressConnectionLimit, "refused");
        Assert.NotNull(next);
        Assert.Contains("and 500 more like it", next, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_relay_refusing_hundreds_of_connections_from_one_address_logs_a_few_lines_and_counts_all()
    {
        var lines = new List<string>();
        await using var server = new RelayServer(
            new RelayOptions { Bind = new IPEndPoint(IPAddress.Loopback, 0), MaxConnectionsPerAddress = 2, ConnectionsPerSecondPerIp = 0 },
            line => { lock (lines) { lines.Add(line); } });
        await server.StartAsync(CancellationToken.None);
        CancellationToken token = RelayTestKit.Deadline(30);

        await using RelayConnection a = await RelayTestKit.ConnectFromAsync(server, "127.0.0.2", token);
        await using RelayConnection b = await RelayTestKit.ConnectFromAsync(server, "127.0.0.2", token);
        const int Attempts = 200;
        for (int i = 0; i < Attempts; i++)
        {
            await Assert.ThrowsAsync<RelayException>(() => RelayTestKit.ConnectFromAsync(server, "127.0.0.2", token));
        }

        Assert.Equal(Attempts, server.Metrics.Rejections(RelayRejectionReason.AddressConnectionLimit));
        int refusalLines;
        lock (lines)
        {
            refusalLines = lines.Count(l => l.Contains("refused", StringComparison.Ordinal));
        }

        Assert.InRange(refusalLines, 1, 3);
    }
}
