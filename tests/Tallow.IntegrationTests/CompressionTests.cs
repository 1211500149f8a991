// `send --compress auto|zstd|none` with the real processes (DESIGN.md §8: "zstd only when it
// helps"): 64 MiB of JSON log lines shrink to less than half on the wire with zstd, and with auto
// on a slow link (--throttle 20MB counts the compressed bytes, so compressing wins there); random
// data is never compressed in any mode (compressed_chunks 0, wire bytes = size); none never
// compresses. Both sides report the same counters; every received file has the source's SHA-256.
// The measured ratio and time of each run are written to the test output.
using System.Globalization;
using System.Text;
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Tallow.IntegrationTests;

public sealed class CompressionTests(CompressionFixture fixture, ITestOutputHelper output) : IClassFixture<CompressionFixture>
{
    public enum Expect
    {
        /// <summary>Some chunks compressed and the file less than half its size on the wire.</summary>
        Shrinks,

        /// <summary>No chunk compressed: the wire carries exactly the file's size.</summary>
        Raw,

        /// <summary>Either is fine (auto on loopback may choose raw): only the content is checked.</summary>
        Any,
    }

    [Theory]
    [InlineData("text", "zstd", null, Expect.Shrinks)]
    [InlineData("text", "auto", "20MB", Expect.Shrinks)]
    [InlineData("text", "none", null, Expect.Raw)]
    [InlineData("text", "auto", null, Expect.Any)]
    [InlineData("random", "auto", null, Expect.Raw)]
    [InlineData("random", "zstd", null, Expect.Raw)]
    [InlineData("random", "auto", "20MB", Expect.Raw)]
    public async Task Compression_mode_on_content(string content, string mode, string? throttle, Expect expect)
    {
        string source = content == "text" ? fixture.TextFile : fixture.RandomFile;
        long size = new FileInfo(source).Length;
        using var dir = new TempDir();
        string outDir = dir.Combine("out");
        string[] senderArgs = throttle is null ? [source, "--no-p2p", "--compress", mode] : [source, "--no-p2p", "--compress", mode, "--throttle", throttle];

        TransferRun run = await Transfer.RunAsync(fixture.Relay, senderArgs, code => [code, "--out", outDir, "--yes", "--json", "--no-p2p"], timeout: TimeSpan.FromSeconds(90));
        try
        {
            Check.Succeeded(run);
            Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, Path.GetFileName(source))));
            JsonElement sent = Check.SingleEvent(run.Sender, "file_sent", "sender");
            JsonElement received = Check.SingleEvent(run.Receiver, "file_received", "receiver");
            long wire = sent.GetProperty("wire_bytes").GetInt64();
            int compressed = sent.GetProperty("compressed_chunks").GetInt32();
            int chunks = sent.GetProperty("chunks").GetInt32();
            foreach (string field in new[] { "wire_bytes", "chunks", "compressed_chunks", "size", "blake3" })
            {
                Assert.True(sent.GetProperty(field).ToString() == received.GetProperty(field).ToString(),
                    $"'{field}' differs between file_sent and file_received.\n{Check.Describe(run)}");
            }

            foreach ((TallowProcess process, string role) in new[] { (run.Sender, "sender"), (run.Receiver, "receiver") })
            {
                JsonElement complete = Check.SingleEvent(process, "transfer_complete", role);
                Assert.Equal(size, complete.GetProperty("bytes").GetInt64());
                Assert.Equal(wire, complete.GetProperty("wire_bytes").GetInt64());
            }

            double seconds = Check.SingleEvent(run.Receiver, "transfer_complete", "receiver").GetProperty("seconds").GetDouble();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"COMPRESSION {content} {size} B, --compress {mode}{(throttle is null ? "" : " --throttle " + throttle)}: wire {wire} B ({100.0 * wire / size:0.0} % of size, ratio {(double)size / wire:0.00}), {compressed}/{chunks} chunks compressed, {seconds:0.00} s ({size / seconds / 1e6:0} MB/s of file)"));

            switch (expect)
            {
                case Expect.Shrinks:
                    Assert.True(compressed > 0, $"no chunk compressed.\n{Check.Describe(run)}");
                    Assert.True(wire < size / 2, $"wire_bytes {wire} not below half of {size}.\n{Check.Describe(run)}");
                    break;
                case Expect.Raw:
                    Assert.True(compressed == 0, $"{compressed} chunks compressed.\n{Check.Describe(run)}");
                    Assert.Equal(size, wire);
                    break;
                default:
                    break;
            }
        }
        finally
        {
            await run.DisposeAsync();
        }
    }
}

/// <summary>A relay, 64 MiB of deterministic JSON log lines and 32 MiB of random bytes, shared by the class.</summary>
public sealed class CompressionFixture : IAsyncLifetime
{
    private const long TextSize = 64L * 1024 * 1024;
    private const long RandomSize = 32L * 1024 * 1024;
    private readonly TempDir _dir = new();
    private RelayProcess? _relay;

    public RelayProcess Relay => _relay ?? throw new InvalidOperationException("relay not started");

    public string TextFile => _dir.Combine("service.log");

    public string RandomFile => _dir.Combine("noise.bin");

    public async Task InitializeAsync()
    {
        Task<RelayProcess> relay = RelayProcess.StartAsync();
        WriteLogLines(TextFile, TextSize);
        _dir.WriteRandomFile("noise.bin", RandomSize);
        _relay = await relay;
    }

    /// <summary>JSON log lines from a fixed seed, cut to exactly <paramref name="size"/> bytes.</summary>
    private static void WriteLogLines(string path, long size)
    {
        string[] levels = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];
        string[] services = ["api-gateway", "billing", "auth", "search", "inventory"];
        string[] messages = ["request completed", "cache miss, loading from database", "token refreshed", "slow query detected", "retrying upstream call"];
        string[] routes = ["/v1/items", "/v1/orders", "/v1/users", "/v2/search", "/health"];
        var random = new Random(20240611);
        var start = new DateTime(2024, 6, 11, 8, 0, 0, DateTimeKind.Utc);
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        var line = new StringBuilder(256);
        long written = 0;
        for (long i = 0; written < size; i++)
        {
            line.Clear();
            line.Append(CultureInfo.InvariantCulture,
                $"{{\"ts\":\"{start.AddMilliseconds(i * 7):yyyy-MM-ddTHH:mm:ss.fffZ}\",\"level\":\"{levels[random.Next(levels.Length)]}\",\"service\":\"{services[random.Next(services.Length)]}\",");
            line.Append(CultureInfo.InvariantCulture,
                $"\"route\":\"{routes[random.Next(routes.Length)]}/{random.Next(100000)}\",\"status\":{(random.Next(20) == 0 ? 500 : 200)},\"ms\":{random.Next(1, 900)},\"trace\":\"{random.NextInt64():x16}\",\"msg\":\"{messages[random.Next(messages.Length)]}\"}}\n");
            byte[] bytes = Encoding.UTF8.GetBytes(line.ToString());
            int n = (int)Math.Min(bytes.Length, size - written);
            stream.Write(bytes, 0, n);
            written += n;
        }
    }

    public async Task DisposeAsync()
    {
        if (_relay is not null)
        {
            await _relay.DisposeAsync();
        }

        _dir.Dispose();
    }
}
