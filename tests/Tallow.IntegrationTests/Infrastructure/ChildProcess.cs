// What every child process the integration tests start shares: a clean environment (no
// configured relay, password, proxy or code leaks in from the developer's shell), output captured
// as raw bytes, and a kill of the whole tree that tolerates a process that already ended.
using System.Diagnostics;

namespace Tallow.IntegrationTests.Infrastructure;

internal static class ChildProcess
{
    public static void ScrubEnvironment(ProcessStartInfo info)
    {
        info.Environment.Remove("TALLOW_RELAY");
        info.Environment.Remove("TALLOW_RELAY_PASS");
        info.Environment.Remove("TALLOW_PROXY");
        info.Environment.Remove("TALLOW_CODE");
        info.Environment.Remove("TALLOW_CONFIG");
        info.Environment.Remove("TALLOW_RELAY_FINGERPRINT");

        // No config file of the machine's user: a test that wants one points XDG_CONFIG_HOME at its own folder.
        info.Environment["XDG_CONFIG_HOME"] = "/nonexistent/tallow-tests-config";

        // The suite's transfers stay out of this machine's real history: the history tests pass
        // TALLOW_NO_HISTORY=0 and their own XDG_STATE_HOME.
        info.Environment["TALLOW_NO_HISTORY"] = "1";
    }

    /// <summary>Copies <paramref name="source"/> into <paramref name="sink"/> (locked on the sink) until it ends.</summary>
    public static async Task CaptureAsync(Stream source, MemoryStream sink)
    {
        byte[] buffer = new byte[81920];
        int read;
        while ((read = await source.ReadAsync(buffer)) > 0)
        {
            lock (sink)
            {
                sink.Write(buffer, 0, read);
            }
        }
    }

    public static void KillTree(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }
}
