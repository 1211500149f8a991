// `tallow chat` with two real processes and a real relay on loopback (README "Chat"): NDJSON
// mode both ways, /send during a chat with messages flowing in both directions while the file
// moves (hash checked), leaving with peer_left and exit 0, and the terminal UI through a real pty.
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests.Chat;

[Collection(ChatCollection.Name)]
public sealed class ChatTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Json_chat_carries_messages_both_ways_and_ends_with_peer_left(bool noP2P)
    {
        string[] p2p = noP2P ? ["--no-p2p"] : [];
        (TallowProcess a, LineInput inA, TallowProcess b, LineInput inB) = await StartPairAsync(p2p, p2p);
        await using (a)
        await using (b)
        {
            await a.WaitForEventAsync(noP2P ? "peer_joined" : "p2p_upgrade", Timeout);
            await b.WaitForEventAsync("peer_joined", Timeout);
            inA.Send("hello from a ✓");
            inB.Send("hello from b");
            Assert.Equal("hello from a ✓", (await WaitForMessageAsync(b, "hello from a ✓")).GetProperty("text").GetString());
            JsonElement fromB = await WaitForMessageAsync(a, "hello from b");
            Assert.Equal("peer", fromB.GetProperty("from").GetString());
            Assert.True(fromB.GetProperty("ts").GetDouble() > 1.7e9);

            inA.Close();
            JsonElement left = await b.WaitForEventAsync("peer_left", Timeout);
            Assert.Equal(0, await a.WaitForExitAsync(Timeout));
            Assert.Equal(0, await b.WaitForExitAsync(Timeout));
            Assert.NotNull(left.GetProperty("reason").GetString());
        }
    }

    [Fact]
    public async Task Messages_flow_both_ways_while_a_file_is_sent_over_the_same_session()
    {
        using var dir = new TempDir();
        string file = dir.Combine("big.bin");
        await File.WriteAllBytesAsync(file, RandomNumberGenerator.GetBytes(12_000_000));
        string outDir = dir.Combine("out");
        Directory.CreateDirectory(outDir);

        // 12 MB at 1 MB/s: about 12 s of transfer, long enough for a conversation during it.
        (TallowProcess a, LineInput inA, TallowProcess b, LineInput inB) = await StartPairAsync(["--throttle", "1MB"], ["--yes", "--out", outDir]);
        await using (a)
        await using (b)
        {
            await b.WaitForEventAsync("peer_joined", Timeout);
            inA.Send("/send " + file);
            await b.WaitForEventAsync("progress", Timeout);
            for (int i = 0; i < 5; i++)
            {
                inA.Send($"a says {i}");
                inB.Send($"b says {i}");
                await WaitForMessageAsync(b, $"a says {i}");
                await WaitForMessageAsync(a, $"b says {i}");
                await Task.Delay(500);
            }

            JsonElement done = await b.WaitForEventAsync("transfer_complete", TimeSpan.FromSeconds(90));
            Assert.Equal("received", done.GetProperty("direction").GetString());
            Assert.True(done.GetProperty("seconds").GetDouble() >= 8, "the transfer was not throttled, so nothing proves the messages overlapped it");
            string[] lines = b.Stdout.Split('\n');
            int complete = Array.FindIndex(lines, l => l.Contains("\"transfer_complete\"", StringComparison.Ordinal));
            int lastMessage = Array.FindLastIndex(lines, l => l.Contains("\"event\":\"message\"", StringComparison.Ordinal));
            Assert.True(lastMessage >= 0 && lastMessage < complete, "a message arrived only after the transfer had finished");
            Assert.Equal(Sha256(file), Sha256(Path.Combine(outDir, "big.bin")));
            await a.WaitForEventAsync("transfer_complete", Timeout);

            inB.Close();
            await a.WaitForEventAsync("peer_left", Timeout);
            Assert.Equal(0, await a.WaitForExitAsync(Timeout));
            Assert.Equal(0, await b.WaitForExitAsync(Timeout));
        }
    }

    [Fact]
    public async Task A_file_offered_to_a_json_chat_without_yes_is_declined_and_the_chat_goes_on()
    {
        using var dir = new TempDir();
        string file = dir.Combine("note.txt");
        await File.WriteAllTextAsync(file, "hi");
        string outDir = dir.Combine("out");
        Directory.CreateDirectory(outDir);
        (TallowProcess a, LineInput inA, TallowProcess b, LineInput inB) = await StartPairAsync([], ["--out", outDir]);
        await using (a)
        await using (b)
        {
            await b.WaitForEventAsync("peer_joined", Timeout);
            inA.Send("/send " + file);
            await b.WaitForEventAsync("offer", Timeout);
            await WaitUntilAsync(() => a.Stdout.Contains("declined", StringComparison.Ordinal), "the sender never heard the offer was declined");
            inA.Send("still chatting");
            await WaitForMessageAsync(b, "still chatting");
            Assert.Empty(Directory.GetFiles(outDir));
            inA.Close();
            Assert.Equal(0, await a.WaitForExitAsync(Timeout));
            Assert.Equal(0, await b.WaitForExitAsync(Timeout));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Yes_in_a_chat_does_not_take_a_hidden_folder_into_the_output_folder_unless_allow_hidden(bool allowHidden)
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine("evil", ".ssh"));
        await File.WriteAllTextAsync(dir.Combine("evil", ".ssh", "authorized_keys"), "ssh-ed25519 AAAAattacker\n");
        string outDir = dir.Combine("out");
        Directory.CreateDirectory(outDir);
        (TallowProcess a, LineInput inA, TallowProcess b, LineInput inB) = await StartPairAsync([], ["--yes", "--out", outDir, .. allowHidden ? new[] { "--allow-hidden" } : []]);
        await using (a)
        await using (b)
        {
            await b.WaitForEventAsync("peer_joined", Timeout);
            inA.Send("/send " + dir.Combine("evil", ".ssh"));
            if (allowHidden)
            {
                await b.WaitForEventAsync("transfer_complete", Timeout);
                Assert.True(File.Exists(Path.Combine(outDir, ".ssh", "authorized_keys")));
            }
            else
            {
                await WaitUntilAsync(() => a.Stdout.Contains("declined", StringComparison.Ordinal), "the sender never heard the offer was declined");
                Assert.Contains(b.Events, e => e.GetProperty("event").GetString() == "notice" && e.GetProperty("message").GetString()!.Contains("'.ssh'", StringComparison.Ordinal));
                Assert.Empty(Directory.EnumerateFileSystemEntries(outDir));
            }

            inA.Close();
            Assert.Equal(0, await a.WaitForExitAsync(Timeout));
            Assert.Equal(0, await b.WaitForExitAsync(Timeout));
        }
    }

    [Fact]
    public async Task The_terminal_chat_shows_peer_messages_above_the_input_line_and_quit_tells_the_peer()
    {
        var inA = new LineInput();
        TallowProcess a = TallowProcess.Start(["chat", "--json", "--relay", fixture.Relay.Address], stdin: inA.PumpAsync);
        await using (a)
        {
            string code = (await a.WaitForEventAsync("code", Timeout)).GetProperty("code").GetString()!;
            await using PtyProcess b = PtyProcess.Start(["chat", code, "--relay", fixture.Relay.Address]);
            await b.WaitForTextAsync("Connected.", Timeout);
            await b.TypeAsync("half typed");
            inA.Send("ping \u001b[2J\u001b]0;owned\u0007 \u202e");
            int at = await b.WaitForTextAsync("peer: ping", Timeout);
            await b.WaitForTextAsync("> half typed", Timeout, at); // the input line is redrawn intact below the message
            Assert.DoesNotContain("\u001b[2J", b.Raw, StringComparison.Ordinal);
            Assert.DoesNotContain("\u001b]0;", b.Raw, StringComparison.Ordinal);
            Assert.DoesNotContain("\u202e", b.Raw, StringComparison.Ordinal);

            await b.TypeAsync(" and sent\r");
            await WaitForMessageAsync(a, "half typed and sent");
            await b.TypeAsync("/quit\r");
            await a.WaitForEventAsync("peer_left", Timeout);
            Assert.Equal(0, await b.WaitForExitAsync(Timeout));
            inA.Close();
            Assert.Equal(0, await a.WaitForExitAsync(Timeout));
        }
    }

    private async Task<(TallowProcess A, LineInput InA, TallowProcess B, LineInput InB)> StartPairAsync(string[] aArgs, string[] bArgs)
    {
        var inA = new LineInput();
        var inB = new LineInput();
        TallowProcess a = TallowProcess.Start(["chat", "--json", "--relay", fixture.Relay.Address, .. aArgs], stdin: inA.PumpAsync);
        string code = (await a.WaitForEventAsync("code", Timeout)).GetProperty("code").GetString()!;
        TallowProcess b = TallowProcess.Start(["chat", code, "--json", "--relay", fixture.Relay.Address, .. bArgs], stdin: inB.PumpAsync);
        return (a, inA, b, inB);
    }

    private static async Task<JsonElement> WaitForMessageAsync(TallowProcess process, string text)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Timeout)
        {
            foreach (JsonElement e in process.Events)
            {
                if (e.GetProperty("event").GetString() == "message" && e.GetProperty("text").GetString() == text)
                {
                    return e;
                }
            }

            Assert.False(process.HasExited, $"tallow exited before the message '{text}' arrived.\n{process.Stdout}\n{process.Stderr}");
            await Task.Delay(50);
        }

        throw new TimeoutException($"no message '{text}'.\n{process.Stdout}\n{process.Stderr}");
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string failure)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Timeout, failure);
            await Task.Delay(50);
        }
    }

    private static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}

[CollectionDefinition(Name)]
public sealed class ChatCollection
{
    public const string Name = "Chat";
}
