// The P2P upgrade through the real processes on loopback (DESIGN.md §9): a fresh relay per
// test so its metrics show exactly what it carried; files checked by SHA-256.
//  - upgrade: both sides report p2p_upgrade, the relay forwards < 1 MiB of a 64 MiB transfer;
//  - --no-p2p on either side: that side says nothing about P2P, the other falls back with
//    "disabled by peer" without an "Attempting" line, and the relay carries the whole file;
//  - a small transfer (text, files under 1 MiB, what is left after --only or of files already
//    here, a piped stream that ended within 1 MiB) makes no attempt and says nothing about P2P;
//  - the direct socket killed mid-transfer (ss -K): both sides fall back to the kept relay
//    connection and the file arrives intact, neither corrupted nor restarted.
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;
using Tallow.IntegrationTests.NatLab;

namespace Tallow.IntegrationTests.P2P;

public sealed class P2PLoopbackTests
{
    private const int MiB = 1024 * 1024;

    private static string[] ReceiveInto(string code, string outDir, params string[] extra) => [code, "--out", outDir, "--yes", .. extra];

    private static async Task<double> ForwardedAsync(RelayProcess relay) =>
        (await relay.ReadMetricsAsync()).GetValueOrDefault("tallow_relay_bytes_forwarded_total");

    [Fact]
    public async Task Loopback_transfer_upgrades_to_direct_and_the_relay_carries_no_data()
    {
        await using RelayProcess relay = await RelayProcess.StartAsync();
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("src/data.bin", 64 * MiB);
        string outDir = dir.Combine("out");

        TransferRun run = await Transfer.RunAsync(relay, [source], code => ReceiveInto(code, outDir, "--json"));
        try
        {
            Check.Succeeded(run);
            Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, "data.bin")));
            foreach ((TallowProcess process, string role) in new[] { (run.Sender, "sender"), (run.Receiver, "receiver") })
            {
                Check.SingleEvent(process, "p2p_attempt", role);
                JsonElement upgrade = Check.SingleEvent(process, "p2p_upgrade", role);
                Assert.StartsWith("127.0.0.1:", upgrade.GetProperty("address").GetString());
                Assert.Empty(Check.Events(process, "p2p_fallback"));
            }

            double forwarded = await ForwardedAsync(relay);
            Assert.True(forwarded < MiB, $"the relay forwarded {forwarded} bytes after the upgrade\n{Check.Describe(run)}");
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    /// <summary>
    /// What is left to move decides, not the offer: after the receiver's --only, with the big
    /// file already here (only its hash is compared), and for a piped stream that ended small
    /// while the receiver joined, no direct attempt is made (issue 15, item 14).
    /// </summary>
    [Theory]
    [InlineData("text")]
    [InlineData("file")]
    [InlineData("only")]
    [InlineData("already-here")]
    [InlineData("stream")]
    public async Task Small_transfers_skip_the_direct_attempt_quietly_on_both_sides(string what)
    {
        await using RelayProcess relay = await RelayProcess.StartAsync();
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("src/small.bin", MiB - 1);
        string big = dir.WriteRandomFile("src/big.bin", 24 * MiB);
        string outDir = dir.Combine("out");
        if (what == "already-here")
        {
            Directory.CreateDirectory(outDir);
            File.Copy(big, Path.Combine(outDir, "big.bin"));
            File.SetLastWriteTimeUtc(Path.Combine(outDir, "big.bin"), File.GetLastWriteTimeUtc(big));
        }

        byte[] piped = [.. File.ReadAllBytes(source).Take(100_000)];
        (string[] sending, string[] receiving) = what switch
        {
            "text" => (["--text", "hello"], []),
            "file" => ([source], []),
            "only" => ([big, source], ["--only", "small.bin"]),
            "already-here" => ([big], []),
            _ => ((string[])["-", "--name", "small.bin"], (string[])[]),
        };
        Func<Stream, Task>? stdin = what == "stream" ? async s => await s.WriteAsync(piped) : null;

        TransferRun run = await Transfer.RunAsync(relay, sending, code => ReceiveInto(code, outDir, ["--json", .. receiving]), senderStdin: stdin);
        try
        {
            Check.Succeeded(run);
            string expected = what switch { "already-here" => big, "text" => string.Empty, _ => source };
            if (what == "stream")
            {
                Assert.Equal(piped, File.ReadAllBytes(Path.Combine(outDir, "small.bin")));
            }
            else if (expected.Length > 0)
            {
                Assert.Equal(TempDir.Sha256(expected), TempDir.Sha256(Path.Combine(outDir, Path.GetFileName(expected))));
            }

            if (what == "only")
            {
                Assert.False(File.Exists(Path.Combine(outDir, "big.bin")), Check.Describe(run));
            }

            foreach ((TallowProcess process, string role) in new[] { (run.Sender, "sender"), (run.Receiver, "receiver") })
            {
                Assert.True(Check.Events(process, "p2p_attempt").Count + Check.Events(process, "p2p_fallback").Count + Check.Events(process, "p2p_upgrade").Count == 0,
                    $"{role} reported P2P for a small transfer\n{Check.Describe(run)}");
            }
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    /// <summary>The counterpart of the small stream: a piped stream longer than the read-ahead is worth the direct path.</summary>
    [Fact]
    public async Task A_piped_stream_larger_than_a_mebibyte_tries_the_direct_path()
    {
        await using RelayProcess relay = await RelayProcess.StartAsync();
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("src/stream.bin", 8 * MiB);
        string outDir = dir.Combine("out");

        TransferRun run = await Transfer.RunAsync(relay, ["-", "--name", "stream.bin"], code => ReceiveInto(code, outDir, "--json"),
            senderStdin: async s => { await using FileStream file = File.OpenRead(source); await file.CopyToAsync(s); });
        try
        {
            Check.Succeeded(run);
            Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, "stream.bin")));
            Check.SingleEvent(run.Sender, "p2p_attempt", "sender");
            Check.SingleEvent(run.Receiver, "p2p_attempt", "receiver");
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task No_p2p_on_one_side_keeps_everything_on_the_relay(bool onSender)
    {
        await using RelayProcess relay = await RelayProcess.StartAsync();
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("src/data.bin", 4 * MiB);
        string outDir = dir.Combine("out");
        string[] senderArgs = onSender ? [source, "--no-p2p"] : [source];

        // The receiver prints human lines, so the exact wording is checked too.
        TransferRun run = await Transfer.RunAsync(relay, senderArgs, code => ReceiveInto(code, outDir, onSender ? [] : ["--no-p2p"]));
        try
        {
            Check.Succeeded(run);
            Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, "data.bin")));
            Assert.DoesNotContain("Attempting P2P", run.Receiver.Stderr);
            Assert.Empty(Check.Events(run.Sender, "p2p_attempt"));
            Assert.Empty(Check.Events(run.Sender, "p2p_upgrade"));
            if (onSender)
            {
                Assert.Empty(Check.Events(run.Sender, "p2p_fallback"));
                Check.Contains("P2P direct connection unavailable (disabled by peer), continuing via relay", run.Receiver.Stderr, Check.Describe(run));
            }
            else
            {
                Assert.Equal("disabled by peer", Check.SingleEvent(run.Sender, "p2p_fallback", "sender").GetProperty("reason").GetString());
                Assert.DoesNotContain("P2P", run.Receiver.Stderr);
            }

            double forwarded = await ForwardedAsync(relay);
            Assert.True(forwarded >= 4 * MiB, $"the relay forwarded only {forwarded} bytes\n{Check.Describe(run)}");
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [NatLabFact] // root: ss -K destroys the direct socket
    public async Task Direct_socket_killed_mid_transfer_falls_back_to_the_relay_and_the_file_is_intact()
    {
        await using RelayProcess relay = await RelayProcess.StartAsync();
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("src/data.bin", 384 * MiB);
        string outDir = dir.Combine("out");

        TallowProcess sender = TallowProcess.Start(["send", source, "--relay", relay.Address, "--json"]);
        TallowProcess? receiver = null;
        try
        {
            string code = (await sender.WaitForEventAsync("code", TimeSpan.FromSeconds(30))).GetProperty("code").GetString()!;
            receiver = TallowProcess.Start(["receive", .. ReceiveInto(code, outDir, "--json"), "--relay", relay.Address]);
            string senderSide = (await receiver.WaitForEventAsync("p2p_upgrade", TimeSpan.FromSeconds(30))).GetProperty("address").GetString()!;
            string receiverSide = (await sender.WaitForEventAsync("p2p_upgrade", TimeSpan.FromSeconds(30))).GetProperty("address").GetString()!;
            await receiver.WaitForEventAsync("progress", TimeSpan.FromSeconds(30));

            // Kill exactly the direct connection (both ends share their port P with the relay connection).
            int senderPort = Check.PortOf(senderSide);
            int receiverPort = Check.PortOf(receiverSide);
            Netns.Run("ss", "-K", "src", "127.0.0.1", "sport", "=", $":{senderPort}", "dst", "127.0.0.1", "dport", "=", $":{receiverPort}");

            int receiverExit = await receiver.WaitForExitAsync(TimeSpan.FromSeconds(120));
            int senderExit = await sender.WaitForExitAsync(TimeSpan.FromSeconds(30));
            string context = $"{Check.Describe(sender, "sender")}\n{Check.Describe(receiver, "receiver")}";
            Assert.True(senderExit == 0 && receiverExit == 0, $"exits {senderExit}/{receiverExit}\n{context}");
            Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, "data.bin")));
            Assert.Equal("direct connection lost", Check.SingleEvent(sender, "p2p_fallback", "sender").GetProperty("reason").GetString());
            Assert.Equal("direct connection lost", Check.SingleEvent(receiver, "p2p_fallback", "receiver").GetProperty("reason").GetString());
            Assert.Single(Check.Events(receiver, "file_received"));

            // Part of the file went direct, the rest (and any replay) through the relay: never all of it twice.
            double forwarded = await ForwardedAsync(relay);
            Assert.InRange(forwarded, 1, 384.0 * MiB * 1.1);
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

    /// <summary>
    /// --verify gates the direct path: while the users have not confirmed the safety number, no
    /// candidate is exchanged and nothing is dialed (the sender reports no attempt); after "y" on
    /// both sides the upgrade runs as usual. The receiver asks; the sender is asked too.
    /// </summary>
    [Fact]
    public async Task With_verify_the_direct_path_is_tried_only_after_the_user_confirmed()
    {
        TimeSpan wait = TimeSpan.FromSeconds(30);
        await using RelayProcess relay = await RelayProcess.StartAsync();
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("src/data.bin", 4 * MiB);
        string outDir = dir.Combine("out");
        Directory.CreateDirectory(outDir);

        string code = $"{Random.Shared.Next(100_000, 1_000_000)}-yodel-zodiac-ambush";
        var env = new Dictionary<string, string?> { ["TALLOW_CODE"] = code };
        await using PtyProcess sender = PtyProcess.Start(["send", source, "--relay", relay.Address, "--json"], environment: env);
        await sender.WaitForTextAsync("\"event\":\"code\"", wait);
        await using PtyProcess receiver = PtyProcess.Start(["receive", "--relay", relay.Address, "--out", outDir, "--yes", "--verify"], environment: env);
        await receiver.WaitForTextAsync("[y/N]", wait);
        await sender.WaitForTextAsync("[y/N]", wait);
        Assert.Contains("same emoji", receiver.Text, StringComparison.Ordinal);
        await receiver.TypeAsync("y\r");
        await Task.Delay(TimeSpan.FromSeconds(2)); // long enough for a loopback upgrade that was not held back
        Assert.True(!sender.Text.Contains("\"p2p_attempt\"", StringComparison.Ordinal), $"P2P started before both confirmed\n--- sender:\n{sender.Text}\n--- receiver:\n{receiver.Text}");
        Assert.DoesNotContain("direct", receiver.Text, StringComparison.OrdinalIgnoreCase);

        await sender.TypeAsync("y\r");
        int receiverExit = await receiver.WaitForExitAsync(wait);
        Assert.True(receiverExit == 0, $"receiver exit {receiverExit}\n--- terminal:\n{receiver.Text}");
        int senderExit = await sender.WaitForExitAsync(wait);
        Assert.True(senderExit == 0, $"sender exit {senderExit}\n--- terminal:\n{sender.Text}");
        Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, "data.bin")));
        Assert.Single(sender.Text.Split('\n'), line => line.Contains("\"event\":\"p2p_attempt\"", StringComparison.Ordinal));
    }
}
