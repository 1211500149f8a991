// "Already here" with the real processes (protocol.md "Resume"): a file under the offered name
// with the offered size and modification time is offered back at offset = size, and it counts as
// received only when its content hashes to the sender's whole-file hash. A receiver holding
// doc.txt = "EVIL" keeps it and gets the sender's "GOOD" as "doc (1).txt" (or in doc.txt with
// --overwrite); a file that really is the same moves nothing.
using System.Text;
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class AlreadyHereTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private static readonly DateTime Stamp = new(2022, 5, 6, 7, 8, 9, DateTimeKind.Utc);

    private RelayProcess Relay => fixture.Relay;

    private static string[] ReceiveInto(string code, string outDir, params string[] extra) => [code, "--out", outDir, "--yes", "--json", "--no-p2p", .. extra];

    /// <summary>src/doc.txt = <paramref name="sent"/> and out/doc.txt = <paramref name="held"/>, both with the same modification time.</summary>
    private static (string Source, string OutDir) Prepare(TempDir dir, string sent, string held)
    {
        string source = dir.Combine("src", "doc.txt");
        string outDir = dir.Combine("out");
        Directory.CreateDirectory(Path.GetDirectoryName(source)!);
        Directory.CreateDirectory(outDir);
        File.WriteAllText(source, sent);
        File.WriteAllText(Path.Combine(outDir, "doc.txt"), held);
        File.SetLastWriteTimeUtc(source, Stamp);
        File.SetLastWriteTimeUtc(Path.Combine(outDir, "doc.txt"), Stamp);
        return (source, outDir);
    }

    private static string[] Names(string folder) => [.. Directory.GetFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    [Fact]
    public async Task Same_name_size_and_time_with_other_content_is_kept_and_the_sent_file_saved_as_a_numbered_copy()
    {
        using var dir = new TempDir();
        (string source, string outDir) = Prepare(dir, "GOOD", "EVIL");

        TransferRun run = await Transfer.RunAsync(Relay, [source, "--no-p2p"], code => ReceiveInto(code, outDir));
        try
        {
            Check.Succeeded(run);
            Assert.True(File.ReadAllText(Path.Combine(outDir, "doc.txt")) == "EVIL", $"doc.txt was changed.\n{Check.Describe(run)}");
            Assert.True(File.Exists(Path.Combine(outDir, "doc (1).txt")), $"no 'doc (1).txt': [{string.Join(", ", Names(outDir))}]\n{Check.Describe(run)}");
            Assert.Equal("GOOD", File.ReadAllText(Path.Combine(outDir, "doc (1).txt")));
            Assert.Equal(["doc (1).txt", "doc.txt"], Names(outDir));
            Assert.DoesNotContain(Check.Events(run.Receiver, "resume"), e => e.GetProperty("path").GetString() == "doc.txt");
            JsonElement received = Check.SingleEvent(run.Receiver, "file_received", "receiver");
            Assert.Equal("doc (1).txt", received.GetProperty("path").GetString());
            Assert.Equal(0, received.GetProperty("resumed_from").GetInt64());
            List<string> notices = [.. Check.Events(run.Receiver, "notice").Select(n => n.GetProperty("message").GetString()!)];
            Assert.True(notices.Any(m => m.Contains("not the sender's content", StringComparison.Ordinal)), $"no notice about the different content.\n{Check.Describe(run)}");
            Assert.True(notices.Any(m => m.Contains("doc (1).txt", StringComparison.Ordinal)), $"no notice about the numbered copy.\n{Check.Describe(run)}");
            Assert.Equal(1, Check.SingleEvent(run.Receiver, "transfer_complete", "receiver").GetProperty("files").GetInt32());
            Assert.Equal(1, Check.SingleEvent(run.Sender, "transfer_complete", "sender").GetProperty("files").GetInt32());
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task Same_name_size_and_time_with_other_content_is_replaced_with_overwrite()
    {
        using var dir = new TempDir();
        (string source, string outDir) = Prepare(dir, "GOOD", "EVIL");

        TransferRun run = await Transfer.RunAsync(Relay, [source, "--no-p2p"], code => ReceiveInto(code, outDir, "--overwrite"));
        try
        {
            Check.Succeeded(run);
            Assert.True(File.ReadAllText(Path.Combine(outDir, "doc.txt")) == "GOOD", $"doc.txt still holds '{File.ReadAllText(Path.Combine(outDir, "doc.txt"))}'.\n{Check.Describe(run)}");
            Assert.Equal(["doc.txt"], Names(outDir));
            Assert.Equal(Stamp, File.GetLastWriteTimeUtc(Path.Combine(outDir, "doc.txt")));
            Assert.Equal("doc.txt", Check.SingleEvent(run.Receiver, "file_received", "receiver").GetProperty("path").GetString());
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_same_content_is_already_here_and_no_content_moves()
    {
        using var dir = new TempDir();
        (string source, string outDir) = Prepare(dir, "GOOD", "GOOD");

        TransferRun run = await Transfer.RunAsync(Relay, [source, "--no-p2p"], code => ReceiveInto(code, outDir));
        try
        {
            Check.Succeeded(run);
            JsonElement resume = Check.SingleEvent(run.Receiver, "resume", "receiver");
            Assert.Equal("doc.txt", resume.GetProperty("path").GetString());
            Assert.Equal(4, resume.GetProperty("offset").GetInt64());
            Assert.Equal(4, resume.GetProperty("size").GetInt64());
            Assert.Empty(Check.Events(run.Receiver, "file_received"));
            Assert.Empty(Check.Events(run.Sender, "file_sent"));
            foreach ((TallowProcess process, string role) in new[] { (run.Sender, "sender"), (run.Receiver, "receiver") })
            {
                JsonElement complete = Check.SingleEvent(process, "transfer_complete", role);
                Assert.True(complete.GetProperty("bytes").GetInt64() == 0 && complete.GetProperty("wire_bytes").GetInt64() == 0 && complete.GetProperty("files").GetInt32() == 0,
                    $"{role}: {complete}\n{Check.Describe(run)}");
            }

            Assert.Equal(["doc.txt"], Names(outDir));
            Assert.Equal("GOOD", File.ReadAllText(Path.Combine(outDir, "doc.txt"), Encoding.UTF8));
        }
        finally
        {
            await run.DisposeAsync();
        }
    }
}
