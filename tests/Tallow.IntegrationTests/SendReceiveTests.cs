// End-to-end transfers that must succeed: a real sender, a real receiver and a real relay
// (one per class) on 127.0.0.1; every received file is checked by SHA-256 against its source.
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class SendReceiveTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private const int ChunkSize = 65536;

    private RelayProcess Relay => fixture.Relay;

    private static string[] ReceiveInto(string code, string outDir, params string[] extra) => [code, "--out", outDir, "--yes", "--json", .. extra];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(ChunkSize - 1)]
    [InlineData(ChunkSize)]
    [InlineData(ChunkSize + 1)]
    [InlineData((3 * ChunkSize) + 7)]
    public async Task File_of_size_arrives_identical(int size)
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile(Path.Combine("src", "data.bin"), size);
        string outDir = dir.Combine("out");

        TransferRun run = await Transfer.RunAsync(Relay, [source, "--chunk-size", ChunkSize.ToString(System.Globalization.CultureInfo.InvariantCulture)], code => ReceiveInto(code, outDir));
        try
        {
            Check.Succeeded(run);
            string received = Path.Combine(outDir, "data.bin");
            Assert.True(File.Exists(received), $"missing {received}\n{Check.Describe(run)}");
            Assert.Equal(size, new FileInfo(received).Length);
            Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(received));
            Assert.Equal(["data.bin"], Directory.GetFileSystemEntries(outDir).Select(Path.GetFileName));

            JsonElement fileEvent = Check.SingleEvent(run.Receiver, "file_received", "receiver");
            Assert.Equal(size, fileEvent.GetProperty("size").GetInt64());
            Check.SingleEvent(run.Receiver, "transfer_complete", "receiver");
            Check.SingleEvent(run.Sender, "transfer_complete", "sender");
            Check.SingleEvent(run.Sender, "peer_connected", "sender");
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task Sparse_1GiB_file_arrives_identical()
    {
        using var dir = new TempDir();
        string source = dir.Combine("big.bin");
        using (var stream = new FileStream(source, FileMode.CreateNew))
        {
            stream.SetLength(1L << 30);
            stream.Position = (1L << 29) + 12345;
            stream.Write("a marker in the middle"u8);
        }

        string outDir = dir.Combine("out");
        TransferRun run = await Transfer.RunAsync(Relay, [source], code => ReceiveInto(code, outDir), timeout: TimeSpan.FromMinutes(3));
        try
        {
            Check.Succeeded(run);
            string received = Path.Combine(outDir, "big.bin");
            Assert.True(File.Exists(received), $"missing {received}\n{Check.Describe(run)}");
            Assert.Equal(1L << 30, new FileInfo(received).Length);
            Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(received));
            Check.NoPartFiles(outDir, Check.Describe(run));
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task Folder_tree_with_empty_folder_and_empty_file_keeps_its_structure()
    {
        using var dir = new TempDir();
        string tree = dir.Combine("src", "tree");
        dir.WriteRandomFile(Path.Combine("src", "tree", "top.txt"), 1000);
        dir.WriteRandomFile(Path.Combine("src", "tree", "sub", "b.bin"), 70_000);
        dir.WriteRandomFile(Path.Combine("src", "tree", "sub", "deeper", "deepest", "c.bin"), 5);
        dir.WriteRandomFile(Path.Combine("src", "tree", "sub", "empty.txt"), 0);
        Directory.CreateDirectory(Path.Combine(tree, "empty-dir"));
        Directory.CreateDirectory(Path.Combine(tree, "sub", "nested-empty"));

        string outDir = dir.Combine("out");
        TransferRun run = await Transfer.RunAsync(Relay, ["tree", "--chunk-size", "65536"], code => ReceiveInto(code, outDir), workingDirectory: dir.Combine("src"));
        try
        {
            Check.Succeeded(run);
            string receivedTree = Path.Combine(outDir, "tree");
            Assert.True(Directory.Exists(receivedTree), $"missing {receivedTree}\n{Check.Describe(run)}");
            Check.SameTree(tree, receivedTree, Check.Describe(run));
            Assert.True(Directory.Exists(Path.Combine(receivedTree, "empty-dir")), "the empty folder was not created");
            Assert.True(Directory.Exists(Path.Combine(receivedTree, "sub", "nested-empty")), "the nested empty folder was not created");
            Assert.Equal(0, new FileInfo(Path.Combine(receivedTree, "sub", "empty.txt")).Length);
            Assert.Equal(["tree"], Directory.GetFileSystemEntries(outDir).Select(Path.GetFileName));
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    private static readonly string[] OddNames = ["with  two spaces .txt", "it's.txt", "say \"hi\".txt", "naïve 文件 🎉.txt", "-rf.txt"];

    [Fact]
    public async Task Odd_file_names_are_preserved_exactly()
    {
        using var dir = new TempDir();
        string[] names = OddNames;
        var sources = names.ToDictionary(n => n, n => dir.WriteRandomFile(Path.Combine("src", n), 100 + n.Length));
        string outDir = dir.Combine("out");

        // The leading-dash name is given as ./-rf.txt so it is not an option.
        string[] args = [.. names.Select(n => n.StartsWith('-') ? "./" + n : n)];
        TransferRun run = await Transfer.RunAsync(Relay, args, code => ReceiveInto(code, outDir), workingDirectory: dir.Combine("src"));
        try
        {
            Check.Succeeded(run);
            string[] received = [.. Directory.GetFileSystemEntries(outDir).Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal)];
            Assert.Equal(names.Order(StringComparer.Ordinal), received);
            foreach ((string name, string source) in sources)
            {
                Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, name)));
            }

            string[] reported = [.. Check.Events(run.Receiver, "file_received").Select(e => Path.GetFileName(e.GetProperty("path").GetString()!)).Order(StringComparer.Ordinal)];
            Assert.Equal(names.Order(StringComparer.Ordinal), reported);
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task Leading_dash_name_after_double_dash_is_a_path()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile(Path.Combine("src", "-rf.txt"), 321);
        string outDir = dir.Combine("out");
        await using TallowProcess sender = TallowProcess.Start(["send", "--relay", Relay.Address, "--json", "--", "-rf.txt"], dir.Combine("src"));
        string code = (await sender.WaitForEventAsync("code", Check.ShortTimeout)).GetProperty("code").GetString()!;
        await using TallowProcess receiver = TallowProcess.Start(["receive", code, "--relay", Relay.Address, "--out", outDir, "--yes", "--json"]);
        Check.Exit(0, await receiver.WaitForExitAsync(Transfer.DefaultTimeout), receiver, "receiver");
        Check.Exit(0, await sender.WaitForExitAsync(Transfer.DefaultTimeout), sender, "sender");
        Assert.Equal(["-rf.txt"], Directory.GetFileSystemEntries(outDir).Select(Path.GetFileName));
        Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, "-rf.txt")));
    }

    [Fact]
    public async Task Text_goes_to_redirected_stdout_byte_for_byte_without_yes()
    {
        const string text = "hello wörld";
        using var dir = new TempDir();
        TransferRun run = await Transfer.RunAsync(Relay, ["--text", text], code => [code, "--out", dir.Path], receiverRawStdout: true);
        try
        {
            Check.Succeeded(run);
            Assert.Equal(Encoding.UTF8.GetBytes(text), run.Receiver.StdoutBytes);
            Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task Text_is_a_json_event_with_json()
    {
        const string text = "hello wörld";
        TransferRun run = await Transfer.RunAsync(Relay, ["--text", text], code => [code, "--json"]);
        try
        {
            Check.Succeeded(run);
            JsonElement received = Check.SingleEvent(run.Receiver, "text_received", "receiver");
            Assert.Equal(text, received.GetProperty("text").GetString());
            Assert.Equal("text", Check.SingleEvent(run.Receiver, "offer", "receiver").GetProperty("kind").GetString());
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task Stdin_stream_arrives_identical_on_stdout()
    {
        byte[] payload = RandomNumberGenerator.GetBytes(5 * 1024 * 1024);
        TransferRun run = await Transfer.RunAsync(Relay, [], code => [code, "--yes"], receiverRawStdout: true,
            senderStdin: async stdin =>
            {
                // Written in pieces, as a pipe would deliver it.
                for (int offset = 0; offset < payload.Length; offset += 100_000)
                {
                    await stdin.WriteAsync(payload.AsMemory(offset, Math.Min(100_000, payload.Length - offset)));
                }
            });
        try
        {
            Check.Succeeded(run);
            byte[] received = run.Receiver.StdoutBytes;
            Assert.True(received.Length == payload.Length, $"received {received.Length} bytes, sent {payload.Length}.\n{Check.Describe(run)}");
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(payload)), Convert.ToHexStringLower(SHA256.HashData(received)));
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task Existing_file_is_kept_and_the_new_one_saved_as_numbered_copy()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile(Path.Combine("src", "a.txt"), 2048);
        string outDir = dir.Combine("out");
        Directory.CreateDirectory(outDir);
        string existing = Path.Combine(outDir, "a.txt");
        await File.WriteAllTextAsync(existing, "the original content");
        string originalHash = TempDir.Sha256(existing);

        TransferRun run = await Transfer.RunAsync(Relay, [source], code => ReceiveInto(code, outDir));
        try
        {
            Check.Succeeded(run);
            Assert.Equal(originalHash, TempDir.Sha256(existing));
            string copy = Path.Combine(outDir, "a (1).txt");
            Assert.True(File.Exists(copy), $"missing 'a (1).txt'; out dir has: {string.Join(", ", Directory.GetFiles(outDir).Select(Path.GetFileName))}\n{Check.Describe(run)}");
            Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(copy));
            Assert.Equal(2, Directory.GetFileSystemEntries(outDir).Length);
            List<string> notices = [.. Check.Events(run.Receiver, "notice").Select(e => e.GetProperty("message").GetString() ?? "")];
            Assert.True(notices.Any(m => m.Contains("a (1).txt", StringComparison.Ordinal)), $"no notice mentions 'a (1).txt'; notices: [{string.Join(" | ", notices)}]\n{Check.Describe(run)}");
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task Existing_file_is_replaced_with_overwrite()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile(Path.Combine("src", "a.txt"), 2048);
        string outDir = dir.Combine("out");
        Directory.CreateDirectory(outDir);
        string existing = Path.Combine(outDir, "a.txt");
        await File.WriteAllTextAsync(existing, "the original content");

        TransferRun run = await Transfer.RunAsync(Relay, [source], code => ReceiveInto(code, outDir, "--overwrite"));
        try
        {
            Check.Succeeded(run);
            Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(existing));
            Assert.Equal(["a.txt"], Directory.GetFileSystemEntries(outDir).Select(Path.GetFileName));
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task Relay_metrics_count_the_forwarded_bytes_and_the_pairing()
    {
        const long size = 8L * 1024 * 1024;
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("eight.bin", size);
        string outDir = dir.Combine("out");
        Dictionary<string, double> before = await Relay.ReadMetricsAsync();

        TransferRun run = await Transfer.RunAsync(Relay, [source, "--no-p2p"], code => ReceiveInto(code, outDir));
        try
        {
            Check.Succeeded(run);
            Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, "eight.bin")));
        }
        finally
        {
            await run.DisposeAsync();
        }

        // The relay may account a splice when it ends, so give it a moment after both peers left.
        double bytesBefore = before.GetValueOrDefault("tallow_relay_bytes_forwarded_total");
        double pairingsBefore = before.GetValueOrDefault("tallow_relay_pairings_total");
        Dictionary<string, double> after = before;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            after = await Relay.ReadMetricsAsync();
            if (after.GetValueOrDefault("tallow_relay_bytes_forwarded_total") - bytesBefore >= size && after.GetValueOrDefault("tallow_relay_pairings_total") - pairingsBefore >= 1)
            {
                break;
            }

            await Task.Delay(200);
        }

        string all = string.Join("\n", after.Select(kv => $"{kv.Key} {kv.Value}"));
        Assert.True(after.ContainsKey("tallow_relay_bytes_forwarded_total"), "no tallow_relay_bytes_forwarded_total metric:\n" + all);
        Assert.True(after["tallow_relay_bytes_forwarded_total"] - bytesBefore >= size, $"bytes_forwarded grew by {after["tallow_relay_bytes_forwarded_total"] - bytesBefore}, expected ≥ {size}:\n{all}");
        Assert.True(after.GetValueOrDefault("tallow_relay_pairings_total") - pairingsBefore >= 1, "pairings_total did not grow:\n" + all);
        Assert.True(after["tallow_relay_bytes_forwarded_total"] >= size && after["tallow_relay_pairings_total"] >= 1, all);
    }
}
