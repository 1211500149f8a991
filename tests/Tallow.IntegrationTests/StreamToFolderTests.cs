// A stream (`tallow send - --name NAME`) received with `--out DIR` is saved as DIR/NAME, verified
// before it gets its name and never replacing a file there (like any received file: "NAME (1)");
// without --out it still goes to stdout. A hidden name (".profile") into a folder that exists
// needs the receiver's confirmation: --yes alone declines it, as it does for files.
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

    [Fact]
    public async Task Yes_does_not_save_a_stream_under_a_hidden_name_into_an_existing_folder()
    {
        using var dir = new TempDir();
        string home = dir.Combine("home");
        Directory.CreateDirectory(home);
        TransferRun run = await Transfer.RunAsync(fixture.Relay, ["--name", ".profile", "--no-p2p"], code => [code, "--out", home, "--yes", "--json", "--no-p2p"],
            senderStdin: async stdin => await stdin.WriteAsync("echo from the sender\n"u8.ToArray()));
        try
        {
            Check.Exit(3, run.ReceiverExit, run.Receiver, "receiver");
            Check.Exit(3, run.SenderExit, run.Sender, "sender");
            Check.Contains("hidden name", Check.ErrorMessage(run.Receiver, "receiver", 3), Check.Describe(run));
            Assert.Empty(Directory.EnumerateFileSystemEntries(home));
        }
        finally
        {
            await run.DisposeAsync();
        }
    }
}
