// Where a command's code phrase comes from. A code in the arguments is in every local user's
// process list (/proc/PID/cmdline, `ps`) and in the shell history, like croc's CVE-2023-43621; so
// `receive` takes it, in this order, from its argument (still works, with a one-line warning on a
// terminal), from TALLOW_CODE, or from the terminal prompt (CodePrompt), and `send --code` can come
// from TALLOW_CODE. Nothing here prints the code; --json output gets no warning.
using Tallow.Cli.Output;
using Tallow.Protocol;

namespace Tallow.Cli.Commands;

internal static class CodeSource
{
    public const string EnvironmentVariable = "TALLOW_CODE";

    /// <summary>The code for `receive`: the argument's words, TALLOW_CODE, or the prompt (a usage error when none can be used).</summary>
    public static async Task<string> ForReceiveAsync(string[] words, Reporter reporter, CancellationToken ct)
    {
        if (words.Length > 0)
        {
            WarnVisible(reporter, "next time run 'tallow receive' and type it when asked, or set TALLOW_CODE");
            return string.Join('-', words);
        }

        if (FromEnvironment() is string code)
        {
            return code;
        }

        if (reporter.Json || !CodePrompt.Available)
        {
            throw new TallowException(FailureKind.Usage,
                "no code given: set TALLOW_CODE to the code the sender shows, or run 'tallow receive' on a terminal to be asked for it (a code given as an argument also works, but other users of this computer can see it).");
        }

        return await CodePrompt.AskAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The custom code for a creator: --code (warned about on a terminal), else TALLOW_CODE when
    /// <paramref name="readEnvironment"/> (send), else null for a generated code.
    /// </summary>
    public static string? ForCreator(string? option, Reporter reporter, bool readEnvironment)
    {
        if (option is not null)
        {
            WarnVisible(reporter, readEnvironment ? "set TALLOW_CODE instead of --code" : "prefer a generated code");
            return option;
        }

        if (readEnvironment && FromEnvironment() is string code)
        {
            reporter.Info($"Using the code from {EnvironmentVariable} (unset it to get a new generated code).");
            return code;
        }

        return null;
    }

    private static string? FromEnvironment()
    {
        string? value = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }

    /// <summary>One line on a terminal; nothing in --json mode or when stderr goes to a file or pipe.</summary>
    private static void WarnVisible(Reporter reporter, string instead)
    {
        if (!reporter.Json && !Console.IsErrorRedirected)
        {
            reporter.Warn($"a code on the command line is visible to other users of this computer (process list, shell history): {instead}.");
        }
    }
}
