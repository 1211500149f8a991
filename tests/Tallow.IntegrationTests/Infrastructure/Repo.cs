// Locates the repository and the published tallow binary that the integration tests run.
// The test command publishes it first (./test.sh); if it is missing it is built once here.
using System.Diagnostics;

namespace Tallow.IntegrationTests.Infrastructure;

public static class Repo
{
    private static readonly Lazy<string> RootPath = new(FindRoot);
    private static readonly Lazy<string> BinaryPath = new(EnsureBuilt);
    private static readonly Lock BuildLock = new();

    public static string Root => RootPath.Value;

    /// <summary>Path of the published NativeAOT binary (artifacts/tallow/tallow), run directly.</summary>
    public static string TallowBinary => BinaryPath.Value;

    private static string FindRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Tallow.slnx")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("cannot find the repository root (Tallow.slnx) above " + AppContext.BaseDirectory);
    }

    private static string EnsureBuilt()
    {
        string binary = Path.Combine(Root, "artifacts", "tallow", "tallow");
        lock (BuildLock)
        {
            // Without tallow.dll beside it: a framework-dependent build from before NativeAOT also had an apphost named tallow.
            if (!File.Exists(binary) || File.Exists(binary + ".dll"))
            {
                using var build = Process.Start(new ProcessStartInfo("dotnet", ["publish", Path.Combine(Root, "src", "Tallow.Cli", "Tallow.Cli.csproj"), "-c", "Release", "-o", Path.GetDirectoryName(binary)!, "--nologo", "-v", "quiet"])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                })!;
                build.WaitForExit(TimeSpan.FromMinutes(10));
                if (!File.Exists(binary))
                {
                    throw new InvalidOperationException("building tallow failed: " + build.StandardError.ReadToEnd() + build.StandardOutput.ReadToEnd());
                }
            }
        }

        return binary;
    }
}
