// File metadata with the real processes (DESIGN.md §8 Offer: unix mode and mtime per entry): an
// executable script arrives executable and a plain file does not; permissions are the sender's
// rwx bits limited by the receiver's umask with owner rw always; mtimes (whole seconds) of files
// and folders are those of the source.
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class MetadataTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private const UnixFileMode Rwx = (UnixFileMode)0x1FF;

    [Fact]
    public async Task Executable_script_arrives_executable_with_its_mtime()
    {
        using var dir = new TempDir();
        string pack = dir.Combine("src", "pack");
        Directory.CreateDirectory(pack);
        string script = Path.Combine(pack, "run.sh");
        File.WriteAllText(script, "#!/bin/sh\necho tallow\n");
        File.SetUnixFileMode(script, (UnixFileMode)0x1ED); // 0755
        string plain = Path.Combine(pack, "notes.txt");
        File.WriteAllText(plain, "not a program\n");
        File.SetUnixFileMode(plain, (UnixFileMode)0x1A4); // 0644
        var scriptTime = new DateTime(2019, 12, 31, 23, 59, 58, DateTimeKind.Utc);
        var plainTime = new DateTime(2022, 2, 2, 2, 2, 2, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(script, scriptTime);
        File.SetLastWriteTimeUtc(plain, plainTime);
        var folderTime = new DateTime(2023, 7, 8, 9, 10, 11, DateTimeKind.Utc);
        Directory.SetLastWriteTimeUtc(pack, folderTime);
        string outDir = dir.Combine("out");

        TransferRun run = await Transfer.RunAsync(fixture.Relay, [pack], code => [code, "--out", outDir, "--yes", "--json"]);
        try
        {
            Check.Succeeded(run);
            Check.SameTree(pack, Path.Combine(outDir, "pack"), Check.Describe(run));
            UnixFileMode umask = Umask();
            string receivedScript = Path.Combine(outDir, "pack", "run.sh");
            string receivedPlain = Path.Combine(outDir, "pack", "notes.txt");
            UnixFileMode scriptMode = File.GetUnixFileMode(receivedScript) & Rwx;
            Assert.True(scriptMode.HasFlag(UnixFileMode.UserExecute), $"run.sh arrived as {scriptMode}");
            Assert.Equal(((UnixFileMode)0x1ED & ~umask) | UnixFileMode.UserRead | UnixFileMode.UserWrite, scriptMode);
            UnixFileMode plainMode = File.GetUnixFileMode(receivedPlain) & Rwx;
            Assert.Equal(UnixFileMode.None, plainMode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute));
            Assert.Equal(((UnixFileMode)0x1A4 & ~umask) | UnixFileMode.UserRead | UnixFileMode.UserWrite, plainMode);
            Assert.Equal(scriptTime, File.GetLastWriteTimeUtc(receivedScript));
            Assert.Equal(plainTime, File.GetLastWriteTimeUtc(receivedPlain));
            Assert.Equal(folderTime, Directory.GetLastWriteTimeUtc(Path.Combine(outDir, "pack")));

            using var shell = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(receivedScript) { RedirectStandardOutput = true })!;
            string printed = await shell.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
            await shell.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("tallow\n", printed);
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    /// <summary>This process's umask (the receiver inherits it).</summary>
    private static UnixFileMode Umask()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Umask:", StringComparison.Ordinal))
            {
                return (UnixFileMode)Convert.ToInt32(line[6..].Trim(), 8);
            }
        }

        return (UnixFileMode)0x12;
    }
}
