// Chat on the slow lossy link (profile (a)): A offers an 80 MB file with `/send PATH` (at
// 10 Mbit/s it needs ≥ 64 s whatever TCP does; B accepts with --yes --out DIR), and while it moves
// both sides send messages. Every message must arrive during the transfer (its `message` event
// comes before that side's `transfer_complete` on stdout) and the file must match by SHA-256.
// Own collection (parallel). Written against the chat contract (ChatPeer.cs): fails until chat exists.
using System.Diagnostics;
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;
using Tallow.IntegrationTests.NatLab;
using Xunit.Abstractions;

namespace Tallow.IntegrationTests.LinkLab;

[Collection("LinkLab.ChatTransfer")]
public sealed class ChatTransferTests(ITestOutputHelper output)
{
    private const long FileSize = 80_000_000;
    private const int Rounds = 3;

    [NatLabFact]
    public async Task Messages_both_ways_arrive_during_a_file_transfer_over_the_same_chat()
    {
        await using ShapedLab lab = ShapedLab.Create(LinkProfile.Slow);
        lab.Own(await RelayProcess.StartInNamespaceAsync(lab.RelayNamespace, lab.RelayAddress));
        using var dir = new TempDir();
        string file = dir.WriteRandomFile(Path.Combine("src", "payload.bin"), FileSize);
        string outDir = dir.Combine("out");
        Directory.CreateDirectory(outDir);
        (ChatPeer a, ChatPeer b) = await ChatPeer.OpenAsync(lab, dir, [], ["--yes", "--out", outDir]);
        await a.WaitForAsync("p2p_upgrade", _ => true, TimeSpan.FromSeconds(60));
        await b.WaitForAsync("p2p_upgrade", _ => true, TimeSpan.FromSeconds(60));

        long started = Stopwatch.GetTimestamp();
        await a.SayAsync($"/send {file}");
        await WaitUntilReceivingAsync(b, outDir);
        for (int i = 1; i <= Rounds; i++)
        {
            foreach ((ChatPeer from, ChatPeer to) in new[] { (a, b), (b, a) })
            {
                Assert.True(Check.Events(to.Process, "transfer_complete").Count == 0,
                    $"the transfer ended before message {i} was sent: the scenario did not test messages during a transfer.\n{a.Describe()}\n{b.Describe()}");
                string text = $"{from.Role} message {i} during the transfer";
                await from.SayAsync(text);
                await to.WaitForMessageAsync(text, TimeSpan.FromSeconds(60));
            }

            await Task.Delay(TimeSpan.FromSeconds(5));
        }

        JsonElement received = await b.WaitForAsync("file_received", _ => true, TimeSpan.FromMinutes(10));
        await b.WaitForAsync("transfer_complete", _ => true, TimeSpan.FromSeconds(60));
        await a.WaitForAsync("transfer_complete", _ => true, TimeSpan.FromSeconds(60));
        TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
        output.WriteLine($"LINKLAB | {lab.Profile} | chat /send {FileSize / 1e6:F0} MB with {2 * Rounds} messages in {elapsed.TotalSeconds:F1} s | {lab.LinkCounters}");

        foreach ((ChatPeer from, ChatPeer to) in new[] { (a, b), (b, a) })
        {
            int complete = to.IndexOf("transfer_complete", _ => true);
            for (int i = 1; i <= Rounds; i++)
            {
                string text = $"{from.Role} message {i} during the transfer";
                int index = to.IndexOf("message", e => e.GetProperty("text").GetString() == text);
                Assert.True(index >= 0 && index < complete, $"{to.Role}: '{text}' (event #{index}) did not arrive before transfer_complete (event #{complete}).\n{to.Describe()}");
            }
        }

        Assert.Equal(FileSize, received.GetProperty("size").GetInt64());
        Assert.False(string.IsNullOrEmpty(received.GetProperty("blake3").GetString()), $"file_received without blake3: {received}");
        Assert.EndsWith("payload.bin", received.GetProperty("path").GetString(), StringComparison.Ordinal);
        Assert.Single(Check.Events(a.Process, "file_sent"));
        Assert.Equal(TempDir.Sha256(file), TempDir.Sha256(Path.Combine(outDir, "payload.bin")));
        Assert.True(Check.Events(a.Process, "p2p_fallback").Count + Check.Events(b.Process, "p2p_fallback").Count == 0,
            $"the direct path fell back during the transfer.\n{a.Describe()}\n{b.Describe()}");
        await ChatIdle.LeaveAsync(a, b);
    }

    /// <summary>The transfer is under way: B reports progress or holds a non-empty .tallow-part (bounded: 2 minutes).</summary>
    private static async Task WaitUntilReceivingAsync(ChatPeer b, string outDir)
    {
        long started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < TimeSpan.FromMinutes(2))
        {
            bool partial = Directory.EnumerateFiles(outDir, "*.tallow-part*", SearchOption.AllDirectories).Any(f => new FileInfo(f).Length > 0);
            if (partial || Check.Events(b.Process, "progress").Count > 0)
            {
                return;
            }

            Assert.False(b.Process.HasExited, $"{b.Role} exited before receiving.\n{b.Describe()}");
            await Task.Delay(200);
        }

        Assert.Fail($"{b.Role}: the offered file did not start arriving within 2 minutes.\n{b.Describe()}");
    }
}
