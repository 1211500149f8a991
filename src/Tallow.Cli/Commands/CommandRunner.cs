// The one place that turns outcomes into exit codes (DESIGN.md §12): user-facing failures
// print their message; anything else is a bug, shown with a stack trace only with TALLOW_DEBUG=1.
// It is also where a transfer's outcome goes into the local history (HistoryRecorder).
using Tallow.Cli.History;
using Tallow.Cli.Output;
using Tallow.Net;
using Tallow.Net.Session;
using Tallow.Protocol;

namespace Tallow.Cli.Commands;

internal static class CommandRunner
{
    /// <summary>The command being run ("tallow send"), set once by Program: a usage error points to its --help.</summary>
    public static string CommandPath { get; set; } = "tallow";

    public static Task<int> RunAsync(Reporter reporter, Func<Task> body) => RunAsync(reporter, null, body);

    /// <summary>Runs <paramref name="body"/>; on Ctrl-C says "interrupted." and then <paramref name="interruptedHint"/> (how to carry on), when given.</summary>
    public static async Task<int> RunAsync(Reporter reporter, string? interruptedHint, Func<Task> body)
    {
        (int exitCode, string? failure) = await OutcomeAsync(reporter, interruptedHint, body).ConfigureAwait(false);
        HistoryRecorder.Record(reporter.History, exitCode, failure, reporter); // the one place a transfer is recorded
        return exitCode;
    }

    /// <summary>The exit code and, for a failure, the message shown (already reported).</summary>
    private static async Task<(int ExitCode, string? Failure)> OutcomeAsync(Reporter reporter, string? interruptedHint, Func<Task> body)
    {
        try
        {
            await body().ConfigureAwait(false);
            return (0, null);
        }
        catch (TallowException ex)
        {
            reporter.FinishProgress();
            string help = ex.Kind == FailureKind.Usage && !reporter.Json ? $"\nRun '{CommandPath} --help' for usage." : string.Empty;
            reporter.Error((int)ex.Kind, ex.Message + help);
            return ((int)ex.Kind, ex.Message);
        }
        catch (RelayException ex)
        {
            TallowException mapped = RelayErrors.ToTallow(ex);
            reporter.Error((int)mapped.Kind, mapped.Message);
            return ((int)mapped.Kind, mapped.Message);
        }
        catch (OperationCanceledException)
        {
            reporter.FinishProgress();
            reporter.Error((int)FailureKind.Interrupted, interruptedHint is null ? "interrupted." : "interrupted. " + interruptedHint);
            return ((int)FailureKind.Interrupted, "interrupted");
        }
        catch (Exception ex) when (MissingLibrary(ex) is string library)
        {
            // A binary copied without the .so files it came with: not a bug, and the runtime's own
            // text (every path it tried, over several lines) does not say what to do.
            reporter.FinishProgress();
            string message = $"{library} is missing beside the tallow binary in '{AppContext.BaseDirectory.TrimEnd('/')}': tallow needs the libraries it came with " +
                "(libsodium.so, libblake3_dotnet.so, libe_sqlite3.so) in the same folder. Copy the whole folder, or install the package.";
            reporter.Error((int)FailureKind.Error, message);
            return ((int)FailureKind.Error, message);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            reporter.Error((int)FailureKind.FileSystem, ex.Message);
            return ((int)FailureKind.FileSystem, ex.Message);
        }
        catch (Exception ex)
        {
            string detail = Environment.GetEnvironmentVariable("TALLOW_DEBUG") == "1" ? ex.ToString() : $"{ex.GetType().Name}: {ex.Message} (set TALLOW_DEBUG=1 for details)";
            reporter.Error((int)FailureKind.Error, "internal error: " + detail);
            return ((int)FailureKind.Error, $"internal error: {ex.GetType().Name}");
        }
    }

    /// <summary>"libsodium.so" for a native library that could not be loaded ('libsodium', 'blake3_dotnet'); null for anything else.</summary>
    internal static string? MissingLibrary(Exception ex)
    {
        if ((ex as DllNotFoundException ?? (ex as TypeInitializationException)?.InnerException as DllNotFoundException) is not { } missing)
        {
            return null;
        }

        int start = missing.Message.IndexOf('\'');
        int end = start < 0 ? -1 : missing.Message.IndexOf('\'', start + 1);
        string name = end > start + 1 ? missing.Message[(start + 1)..end] : "a native library";
        if (end > start + 1)
        {
            name = (name.StartsWith("lib", StringComparison.Ordinal) ? name : "lib" + name) + (name.EndsWith(".so", StringComparison.Ordinal) ? string.Empty : ".so");
        }

        return name; // one of our own import names, not input
    }
}
