// Names of the longest length a file system takes (255 bytes, NAME_MAX) with the real processes:
// the receiver's own names — the part file, its resume sidecar, "name (1).ext" — must fit too, so
// they are shortened between whole characters. A multi-byte name arrives fresh and then as a clash;
// an ASCII one is cut off at about 40 % and resumed from its shortened part file.
using System.Text;
using Tallow.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Tallow.IntegrationTests;

public sealed class LongNameTests(OpenRelayFixture fixture, ITestOutputHelper output) : IClassFixture<OpenRelayFixture>
{
    private const int NameMax = 255;

    private RelayProcess Relay => fixture.Relay;

    private static void AssertFits(string folder, string context)
    {
        foreach (string entry in Directory.GetFileSystemEntries(folder))
        {
            string name = Path.GetFileName(entry);
            Assert.True(Encoding.UTF8.GetByteCount(name) <= NameMax && !name.Contains('\uFFFD', StringComparison.Ordinal), $"bad name '{name}'.\n{context}");
        }
    }

    [Fact]
    public async Task A_255_byte_multibyte_name_is_received_and_a_second_copy_gets_a_shortened_numbered_name()
    {
        string name = "a" + string.Concat(Enumerable.Repeat("é", 125)) + ".txt"; // 1 + 250 + 4 bytes
        Assert.Equal(NameMax, Encoding.UTF8.GetByteCount(name));
        using var dir = new TempDir();
        string outDir = dir.Combine("out");

        string first = dir.WriteRandomFile(Path.Combine("one", name), 10_000);
        TransferRun run = await Transfer.RunAsync(Relay, [first, "--no-p2p"], code => ResumeSupport.Receive(code, outDir, "--no-p2p", "--json"));
        try
        {
            Check.Succeeded(run);
            Assert.Equal(TempDir.Sha256(first), TempDir.Sha256(Path.Combine(outDir, name)));
            Check.NoPartFiles(outDir, Check.Describe(run));
        }
        finally
        {
            await run.DisposeAsync();
        }

        string second = dir.WriteRandomFile(Path.Combine("two", name), 20_000);
        run = await Transfer.RunAsync(Relay, [second, "--no-p2p"], code => ResumeSupport.Receive(code, outDir, "--no-p2p", "--json"));
        try
        {
            Check.Succeeded(run);
            string numbered = "a" + string.Concat(Enumerable.Repeat("é", 123)) + " (1).txt"; // the stem loses two whole characters
            Assert.Equal(NameMax, Encoding.UTF8.GetByteCount(numbered));
            Assert.True(File.Exists(Path.Combine(outDir, numbered)), $"missing the numbered copy; out has [{string.Join(", ", Directory.GetFiles(outDir).Select(Path.GetFileName))}]\n{Check.Describe(run)}");
            Assert.Equal(TempDir.Sha256(second), TempDir.Sha256(Path.Combine(outDir, numbered)));
            Assert.Equal(TempDir.Sha256(first), TempDir.Sha256(Path.Combine(outDir, name)));
            Assert.Equal(2, Directory.GetFileSystemEntries(outDir).Length);
            AssertFits(outDir, Check.Describe(run));
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_255_byte_name_cut_off_at_40_percent_resumes_from_its_shortened_part_file()
    {
        const long size = 64L * 1024 * 1024;
        string name = new string('r', NameMax - 4) + ".bin";
        using var dir = new TempDir();
        string source = dir.WriteRandomFile(Path.Combine("src", name), size);
        string outDir = dir.Combine("out");

        long partAtKill;
        await using (InterruptedRun killed = await InterruptedTransfer.RunAsync(Relay, [source, "--no-p2p", "--throttle", ResumeSupport.ThrottleFor(size)],
            code => ResumeSupport.Receive(code, outDir, "--no-p2p"), ResumeSupport.KillAt(size), Victim.Receiver))
        {
            string context = $"{Check.Describe(killed.Sender, "sender")}\n{Check.Describe(killed.Receiver, "receiver")}";
            Assert.False(File.Exists(Path.Combine(outDir, name)), context);
            string[] parts = Directory.GetFiles(outDir, "*.tallow-part");
            string[] sidecars = Directory.GetFiles(outDir, "*.tallow-resume");
            Assert.True(parts.Length == 1 && sidecars.Length == 1, $"expected one part and one sidecar: [{string.Join(", ", Directory.GetFiles(outDir).Select(Path.GetFileName))}]\n{context}");
            AssertFits(outDir, context);
            Assert.StartsWith(name[..200], Path.GetFileName(parts[0]), StringComparison.Ordinal);
            Assert.Equal(112, new FileInfo(sidecars[0]).Length);
            partAtKill = new FileInfo(parts[0]).Length;
            output.WriteLine($"part file '{Path.GetFileName(parts[0])}' ({Encoding.UTF8.GetByteCount(Path.GetFileName(parts[0]))} bytes) had {partAtKill} B at the kill");
        }

        TransferRun run = await Transfer.RunAsync(Relay, [source, "--no-p2p"], code => ResumeSupport.Receive(code, outDir, "--no-p2p", "--json"));
        try
        {
            ResumeSupport.AssertResumed(run, source, outDir, name, partAtKill, output);
        }
        finally
        {
            await run.DisposeAsync();
        }
    }
}
