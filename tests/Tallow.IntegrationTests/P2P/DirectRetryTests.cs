// A long session tries the direct path again after a fallback (README "P2P"; PeerSession's
// direct-path retry): the direct connection is killed mid-transfer, the transfer continues over
// the relay, and after the back-off (30 s) the session moves to a new direct connection; the
// file arrives intact and the relay did not carry all of it.
using Tallow.IntegrationTests.Infrastructure;
using Tallow.IntegrationTests.NatLab;

namespace Tallow.IntegrationTests.P2P;

[Collection(DirectRetryCollection.Name)]
public sealed class DirectRetryTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public async Task After_the_direct_path_broke_the_session_goes_direct_again_after_the_back_off()
    {
        await using RelayProcess relay = await RelayProcess.StartAsync();
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("src/data.bin", 100 * MiB); // at 2 MB/s: about 52 s
        string outDir = dir.Combine("out");

        TallowProcess sender = TallowProcess.Start(["send", source, "--throttle", "2MB", "--relay", relay.Address, "--json"]);
        TallowProcess? receiver = null;
        try
        {
            string code = (await sender.WaitForEventAsync("code", TimeSpan.FromSeconds(30))).GetProperty("code").GetString()!;
            receiver = TallowProcess.Start(["receive", code, "--out", outDir, "--yes", "--json", "--relay", relay.Address]);
            string senderSide = (await receiver.WaitForEventAsync("p2p_upgrade", TimeSpan.FromSeconds(30))).GetProperty("address").GetString()!;
            string receiverSide = (await sender.WaitForEventAsync("p2p_upgrade", TimeSpan.FromSeconds(30))).GetProperty("address").GetString()!;
            await receiver.WaitForEventAsync("progress", TimeSpan.FromSeconds(30));
            await Task.Delay(3000);

            Netns.Run("ss", "-K", "src", "127.0.0.1", "sport", "=", $":{Check.PortOf(senderSide)}", "dst", "127.0.0.1", "dport", "=", $":{Check.PortOf(receiverSide)}");
            await sender.WaitForEventAsync("p2p_fallback", TimeSpan.FromSeconds(30));
            await receiver.WaitForEventAsync("p2p_fallback", TimeSpan.FromSeconds(30));

            int receiverExit = await receiver.WaitForExitAsync(TimeSpan.FromSeconds(180));
            int senderExit = await sender.WaitForExitAsync(TimeSpan.FromSeconds(30));
            string context = $"{Check.Describe(sender, "sender")}\n{Check.Describe(receiver, "receiver")}";
            Assert.True(senderExit == 0 && receiverExit == 0, $"exits {senderExit}/{receiverExit}\n{context}");
            Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, "data.bin")));

            // Direct, then relay, then direct again: two upgrades on each side, around one fallback.
            Assert.True(Check.Events(sender, "p2p_upgrade").Count == 2, context);
            Assert.True(Check.Events(receiver, "p2p_upgrade").Count == 2, context);
            Assert.Single(Check.Events(receiver, "p2p_fallback"));
            double forwarded = (await relay.ReadMetricsAsync()).GetValueOrDefault("tallow_relay_bytes_forwarded_total");
            Assert.InRange(forwarded, 1, 100.0 * MiB * 0.9); // the relay carried the middle part, not the end
        }
        finally
        {
            await sender.DisposeAsync();
            if (receiver is not null)
            {
                await receiver.DisposeAsync();
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DirectRetryCollection
{
    public const string Name = "DirectRetry";
}
