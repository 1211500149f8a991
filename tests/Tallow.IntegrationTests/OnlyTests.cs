// `receive --only GLOB` with the real processes: the receiver's gitignore-style selection goes
// into the Accept, so only the matching files cross the wire (the sender's transfer_complete
// counts exactly the selected bytes, and it exits 0); the others are never created. Offered
// paths start with the sent folder's own name ("tree/docs/guide.txt"); a pattern without '/'
// matches a name at any depth, and a matching folder takes everything below it. A pattern that
// matches nothing is named in a warning; when none matches, the offer is declined (exit 3).
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class OnlyTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private static readonly (string Path, int Size)[] Files =
    [
        ("a/notes.txt", 3000),
        ("a/photo.jpg", 5000),
        ("b/readme.md", 700),
        ("b/c/deep.txt", 1234),
        ("b/c/data.bin", 4096),
        ("docs/guide.txt", 2000),
        ("docs/img/logo.png", 800),
        ("top.txt", 10),
    ];

    [Theory]
    [InlineData(new[] { "*.txt" }, new[] { "a/notes.txt", "b/c/deep.txt", "docs/guide.txt", "top.txt" })]
    [InlineData(new[] { "docs" }, new[] { "docs/guide.txt", "docs/img/logo.png" })]
    [InlineData(new[] { "*.md", "tree/b/c/*.bin" }, new[] { "b/c/data.bin", "b/readme.md" })]
    public async Task Only_receives_the_matching_files(string[] patterns, string[] expected)
    {
        using var dir = new TempDir();
        string tree = MakeTree(dir);
        string outDir = dir.Combine("out");
        string[] only = [.. patterns.SelectMany(p => new[] { "--only", p })];
        TransferRun run = await Transfer.RunAsync(fixture.Relay, [tree, "--no-p2p"], code => [code, "--out", outDir, "--yes", "--json", "--no-p2p", .. only]);
        try
        {
            Check.Succeeded(run);
            string[] received = [.. Directory.GetFiles(Path.Combine(outDir, "tree"), "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(Path.Combine(outDir, "tree"), f).Replace('\\', '/')).Order(StringComparer.Ordinal)];
            Assert.True(expected.Order(StringComparer.Ordinal).SequenceEqual(received),
                $"received [{string.Join(", ", received)}], expected [{string.Join(", ", expected)}].\n{Check.Describe(run)}");
            foreach (string path in expected)
            {
                Assert.Equal(TempDir.Sha256(Path.Combine(tree, path)), TempDir.Sha256(Path.Combine(outDir, "tree", path)));
            }

            long selectedBytes = Files.Where(f => expected.Contains(f.Path)).Sum(f => (long)f.Size);
            foreach ((TallowProcess process, string role) in new[] { (run.Sender, "sender"), (run.Receiver, "receiver") })
            {
                JsonElement complete = Check.SingleEvent(process, "transfer_complete", role);
                Assert.True(complete.GetProperty("bytes").GetInt64() == selectedBytes && complete.GetProperty("files").GetInt32() == expected.Length,
                    $"{role}: transfer_complete {complete}, expected {selectedBytes} bytes in {expected.Length} files.\n{Check.Describe(run)}");
            }

            Assert.Equal(expected.Length, Check.Events(run.Sender, "file_sent").Count);
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    private static string MakeTree(TempDir dir)
    {
        foreach ((string path, int size) in Files)
        {
            dir.WriteRandomFile(Path.Combine("src", "tree", path), size);
        }

        return dir.Combine("src", "tree");
    }

    [Fact]
    public async Task A_pattern_that_matches_nothing_is_named_in_a_warning()
    {
        using var dir = new TempDir();
        string tree = MakeTree(dir);
        string outDir = dir.Combine("out");
        TransferRun run = await Transfer.RunAsync(fixture.Relay, [tree, "--no-p2p"], code => [code, "--out", outDir, "--yes", "--json", "--no-p2p", "--only", "*.md", "--only", "*.xyz"]);
        try
        {
            Check.Succeeded(run);
            Assert.True(File.Exists(Path.Combine(outDir, "tree", "b", "readme.md")), Check.Describe(run));
            List<string> notices = [.. Check.Events(run.Receiver, "notice").Select(e => e.GetProperty("message").GetString() ?? "")];
            Assert.True(notices.Any(n => n.Contains("'*.xyz'", StringComparison.Ordinal) && n.Contains("matched nothing", StringComparison.Ordinal) && !n.Contains("*.md", StringComparison.Ordinal)),
                $"no warning that names '*.xyz' (and only it).\n{Check.Describe(run)}");
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task When_nothing_matches_the_offer_is_declined_and_the_patterns_named()
    {
        using var dir = new TempDir();
        string tree = MakeTree(dir);
        string outDir = dir.Combine("out");
        TransferRun run = await Transfer.RunAsync(fixture.Relay, [tree, "--no-p2p"], code => [code, "--out", outDir, "--yes", "--json", "--no-p2p", "--only", "*.xyz", "--only", "nodir/"]);
        try
        {
            Check.Exit(3, run.ReceiverExit, run.Receiver, "receiver");
            Check.Exit(3, run.SenderExit, run.Sender, "sender");
            string message = Check.ErrorMessage(run.Receiver, "receiver", 3);
            Check.Contains("'*.xyz', 'nodir/' matched nothing", message, Check.Describe(run));
            Assert.False(Directory.Exists(outDir), $"a declined offer must leave no folder behind.\n{Check.Describe(run)}");
        }
        finally
        {
            await run.DisposeAsync();
        }
    }
}
