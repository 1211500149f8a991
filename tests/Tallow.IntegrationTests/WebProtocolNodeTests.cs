// Runs the web page's protocol tests (web/test/*.mjs, `node --test`) from the C# suite, so
// ./test.sh counts them: known-answer vectors shared with the C#, and interop of the JavaScript
// with a real relay and real `tallow send` / `tallow receive` processes (the published binary).
// Nothing is skipped: without node (or web/node_modules that `npm ci` cannot restore) it fails
// and says what to install.
using System.Diagnostics;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class WebProtocolNodeTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task The_javascript_protocol_passes_its_node_tests_against_the_real_cli()
    {
        string web = Path.Combine(Repo.Root, "web");
        string binary = Repo.TallowBinary;
        string? node = FindOnPath("node");
        Assert.True(node is not null, "node (20 or later) is not installed: the web protocol tests need it (apt-get install nodejs, or see setup.sh)");
        if (!Directory.Exists(Path.Combine(web, "node_modules", "@noble")))
        {
            (int npmExit, string npmOutput) = await RunAsync(FindOnPath("npm") ?? "npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], web, binary);
            Assert.True(npmExit == 0, "web/node_modules is missing and `npm ci` in web/ failed:\n" + npmOutput);
        }

        // node 20 and 21 have WebSocket (the page's transport, web/test/websocket.test.mjs) only behind a flag.
        (_, string version) = await RunAsync(node!, ["--version"], web, binary);
        string[] args = version.TrimStart().StartsWith("v20.", StringComparison.Ordinal) || version.TrimStart().StartsWith("v21.", StringComparison.Ordinal)
            ? ["--experimental-websocket", "--test", "--test-concurrency=1", "test/"]
            : ["--test", "--test-concurrency=1", "test/"];
        (int exit, string output) = await RunAsync(node!, args, web, binary);
        Assert.True(exit == 0, "node --test web/test failed:\n" + output);
        Assert.Contains("# fail 0", output, StringComparison.Ordinal);
        Assert.DoesNotContain("# pass 0", output, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output)> RunAsync(string file, string[] args, string directory, string binary)
    {
        var info = new ProcessStartInfo(file, args)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["TALLOW_BIN"] = binary;
        info.Environment.Remove("TALLOW_RELAY");
        info.Environment.Remove("TALLOW_RELAY_PASS");
        using var process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            ChildProcess.KillTree(process);
            return (-1, $"timed out after {Limit}:\n{await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
