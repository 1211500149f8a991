// A stream (`tallow send - --name NAME`) received with `--out DIR` is saved as DIR/NAME, verified
// before it gets its name and never replacing a file there (like any received file: "NAME (1)");
// without --out it still goes to stdout.
using System.Security.Cryptography;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class StreamToFolderTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    [Fact]
    public async Task A_stream_with_out_is_saved_in_the_folder_under_the_senders_name()
    {
        byte[] payload = RandomNumberGenerator.GetBytes(2_500_000);
        using var dir = new TempDir();
        string outDir = dir.Combine("out");
        Directory.CreateDirectory(outDir);
        await File.WriteAllTextAsync(Path.Combine(outDir, "dump.sql"), "older dump");
        TransferRun run = await Transfer.RunAsync(fixture.Relay, ["--name", "dump.sql", "--no-p2p"], code => [code, "--out", outDir, "--yes", "--no-p2p"], receiverRawStdout: true,
            senderStdin: async stdin => await stdin.WriteAsync(payload));
        try
        {
            Check.Succeeded(run);
            Assert.True(run.Receiver.StdoutBytes.Length == 0, $"the stream went to stdout as well.\n{Check.Describe(run)}");
            Assert.Equal("older dump", await File.ReadAllTextAsync(Path.Combine(outDir, "dump.sql")));
            string saved = Path.Combine(outDir, "dump (1).sql");
            Assert.True(File.Exists(saved), $"no '{saved}': [{string.Join(", ", Directory.GetFileSystemEntries(outDir).Select(Path.GetFileName))}]\n{Check.Describe(run)}");
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(payload)), TempDir.Sha256(saved));
            Assert.Equal(2, Directory.GetFileSystemEntries(outDir).Length); // no part file left behind
        }
        finally
        {
            await run.DisposeAsync();
        }
    }
}
