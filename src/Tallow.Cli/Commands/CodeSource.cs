// Where a command's code phrase comes from. A code in the arguments is in every local user's
// process list (/proc/PID/cmdline, `ps`) and in the shell history, like croc's CVE-2023-43621; so
// `receive` takes it, in this order, from its argument (still works, with a one-line warning on a
// terminal), from TALLOW_CODE, or from the terminal prompt (CodePrompt), and `send --code` can come
// from TALLOW_CODE. A code no sender can have (CodeCheck.ShapeProblem) is refused before anything is sent
// (exit 2). Nothing here prints the code; --json output gets no warning about the process list.
using Tallow.Cli.Output;
using Tallow.Crypto;
using Tallow.Protocol;

namespace Tallow.Cli.Commands;

internal static class CodeSource
{
    public const string EnvironmentVariable = "TALLOW_CODE";

    /// <summary>
    /// The code for a joining command (`receive`, `ssh accept`: <paramref name="command"/>): the
    /// argument's words, TALLOW_CODE, or the prompt (a usage error when none can be used).
    /// </summary>
    public static async Task<string> ForReceiveAsync(string[] words, Reporter reporter, bool lanDiscovery, CancellationToken ct, string command = "tallow receive")
    {
        if (words.Length > 0)
        {
            WarnVisible(reporter, $"next time run '{command}' and type it when asked, or set TALLOW_CODE");
            return Checked(string.Join('-', words), "the code", reporter);
        }

        if (FromEnvironment() is string code)
        {
            return Checked(code, EnvironmentVariable, reporter);
        }

        if (reporter.Json || !CodePrompt.Available)
        {
            throw new TallowException(FailureKind.Usage,
                $"no code given: set TALLOW_CODE to the code the other side shows, or run '{command}' on a terminal to be asked for it (a code given as an argument also works, but other users of this computer can see it).");
        }

        return await CodePrompt.AskAsync(lanDiscovery, ct).ConfigureAwait(false);
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

    /// <summary>
    /// A receiver's code from the arguments or TALLOW_CODE, checked before anything is sent: a
    /// shape no sender can have is a usage error; a word that is a typo of a code word is named
    /// (it is still tried as typed: custom codes may hold any word).
    /// </summary>
    private static string Checked(string code, string where, Reporter reporter)
    {
        if (!CodePhrase.TryNormalize(code, out string normalized))
        {
            throw new TallowException(FailureKind.Usage, $"{where} is empty: give the code the sender shows, like 7-amber-lunar-zodiac.");
        }

        CodeCheck check = CodeSpelling.Check(normalized);
        if (check.ShapeProblem is string problem)
        {
            throw new TallowException(FailureKind.Usage, $"{where} cannot be right: {problem}. Nothing was sent.");
        }

        if (check.Nameplate == NameplateShape.Valid)
        {
            foreach (UnknownWord unknown in check.UnknownWords.Where(u => u.Suggestions.Count > 0))
            {
                reporter.Warn($"'{TerminalText.Clean(unknown.Word)}' is not a code word: did you mean {string.Join(" or ", unknown.Suggestions.Select(s => $"'{s}'"))}? Trying the code as given.");
            }
        }

        return normalized;
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
