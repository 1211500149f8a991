// Asking for the code phrase on the terminal (`tallow receive` with no code and no TALLOW_CODE),
// so the code never has to be in the process list or the shell history. One ChatConsole line on
// stderr ("Code: "), Tab completing the word before the cursor from the code word list (a unique
// word is completed with a '-' after it; several: their common prefix, then a list of them). What
// is typed is checked locally before anything is sent (CodeSpelling): a misspelt word gets a
// "did you mean" and the line is asked again, so a typo no longer spends the sender's code on a
// failed handshake. A code that is not shaped like a generated one (a custom `send --code`) is
// used when the same code is entered twice.
using Tallow.Crypto;
using Tallow.Protocol;

namespace Tallow.Cli.Output;

internal static class CodePrompt
{
    private const string Prompt = "Code: ";
    private const int MaxListed = 12;
    private const int MaxSuggestions = 3;
    private const int MaxAttempts = 100;

    /// <summary>True when the prompt can be used: keys come from a terminal on stdin and it is drawn on stderr.</summary>
    public static bool Available => !Console.IsInputRedirected && !Console.IsErrorRedirected;

    /// <summary>
    /// Asks on this process's terminal; returns the normalised code. With <paramref name="lanDiscovery"/>
    /// (no relay configured) Tab also completes the number from the senders announced on this LAN.
    /// </summary>
    public static async Task<string> AskAsync(bool lanDiscovery, CancellationToken ct)
    {
        await using LanNumbers? lan = lanDiscovery ? new LanNumbers() : null;
        return await AskAsync(new ConsoleKeySource(), Console.Error, null, ct, lan is null ? null : () => lan.Found).ConfigureAwait(false);
    }

    /// <summary>
    /// Asks on <paramref name="terminal"/> with keys from <paramref name="keys"/> (owned: disposed
    /// when it is IDisposable). Ctrl-C throws OperationCanceledException (exit 130); Ctrl-D on an
    /// empty line is a usage error.
    /// </summary>
    internal static async Task<string> AskAsync(IKeySource keys, TextWriter terminal, Func<int>? width, CancellationToken ct, Func<IReadOnlyList<uint>?>? lanNumbers = null)
    {
        ChatConsole? console = null;
        using (console = new ChatConsole(keys, terminal, Prompt, width, before => Complete(before, console!, lanNumbers)))
        {
            console.WriteLine(lanNumbers is null ? "Type the code the sender shows (Tab completes a word)." : "Type the code the sender shows (Tab completes the number and the words).");
            string? rejected = null;
            for (int attempt = 0; attempt < MaxAttempts; attempt++)
            {
                string? line = await console.ReadLineAsync(ct).ConfigureAwait(false);
                if (line is null)
                {
                    if (console.WasInterrupted)
                    {
                        throw new OperationCanceledException("interrupted at the code prompt");
                    }

                    throw new TallowException(FailureKind.Usage, "no code entered: type the code the sender shows, or set TALLOW_CODE.");
                }

                if (!CodePhrase.TryNormalize(line, out string code))
                {
                    continue;
                }

                CodeCheck check = CodeSpelling.Check(code, MaxSuggestions);
                bool impossible = check.ShapeProblem is not null; // no sender can have it: never taken as typed
                if (check.LooksGenerated || (code == rejected && !impossible))
                {
                    return code;
                }

                foreach (string problem in Problems(check))
                {
                    console.WriteLine(problem);
                }

                console.WriteLine(impossible
                    ? "Nothing was sent. Correct it (Up brings the line back)."
                    : "Nothing was sent. Correct it (Up brings the line back), or enter the same code again to use it as typed.");
                rejected = code;
            }

            throw new TallowException(FailureKind.Usage, "too many attempts at the code prompt.");
        }
    }

    /// <summary>What is wrong with a code that does not look generated, one line each.</summary>
    internal static IEnumerable<string> Problems(CodeCheck check)
    {
        switch (check.Nameplate)
        {
            case NameplateShape.Missing:
                yield return "A code starts with the number the sender shows, like 7-amber-lunar-zodiac.";
                break;
            case NameplateShape.OutOfRange:
                yield return "The number in front must be 1 to 999999, without a leading zero.";
                break;
        }

        if (check.WordCount < CodePhrase.MinWordCount)
        {
            yield return $"A code has at least {CodePhrase.MinWordCount} words after the number.";
        }

        foreach (UnknownWord unknown in check.UnknownWords)
        {
            yield return unknown.Suggestions.Count == 0
                ? $"'{unknown.Word}' is not a code word."
                : $"'{unknown.Word}' is not a code word: did you mean {string.Join(" or ", unknown.Suggestions.Select(s => $"'{s}'"))}?";
        }
    }

    /// <summary>Tab: completes the word (or the number) before the cursor, or lists what it could be.</summary>
    private static string? Complete(string before, ChatConsole console, Func<IReadOnlyList<uint>?>? lanNumbers)
    {
        int start = before.Length;
        while (start > 0 && !IsSeparator(before[start - 1]))
        {
            start--;
        }

        string typed = before[start..];
        if (start == 0 && typed.All(char.IsAsciiDigit))
        {
            return lanNumbers is null ? null : CompleteNumber(typed, console, lanNumbers());
        }

        if (typed.Length == 0 || char.IsAsciiDigit(typed[0]))
        {
            return null;
        }

        WordCompletion completion = CodeSpelling.Complete(typed.ToLowerInvariant(), MaxListed);
        if (completion.Count == 0)
        {
            console.WriteLine($"No code word starts with '{typed}'.");
            return null;
        }

        if (completion.Count == 1)
        {
            return completion.CommonPrefix[typed.Length..] + "-";
        }

        if (completion.CommonPrefix.Length > typed.Length)
        {
            return completion.CommonPrefix[typed.Length..];
        }

        string more = completion.Count > completion.Candidates.Count ? $"  (and {completion.Count - completion.Candidates.Count} more)" : string.Empty;
        console.WriteLine(string.Join("  ", completion.Candidates) + more);
        return null;
    }

    /// <summary>The number in front, from the senders this LAN announces (<paramref name="found"/> null: still looking).</summary>
    private static string? CompleteNumber(string typed, ChatConsole console, IReadOnlyList<uint>? found)
    {
        if (found is null)
        {
            console.WriteLine("Looking for senders on this local network… press Tab again in a moment.");
            return null;
        }

        string[] matching = [.. found.Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)).Where(n => n.StartsWith(typed, StringComparison.Ordinal))];
        switch (matching.Length)
        {
            case 0:
                console.WriteLine(found.Count == 0
                    ? "No sender found on this local network yet: type the number the sender shows."
                    : $"No sender on this local network has a code starting with '{typed}': it has {string.Join("  ", found.Take(MaxListed))}.");
                return null;
            case 1:
                return matching[0][typed.Length..] + "-";
            default:
                console.WriteLine("Senders on this local network: " + string.Join("  ", matching.Take(MaxListed)));
                return null;
        }
    }

    private static bool IsSeparator(char c) => c is '-' or '_' || char.IsWhiteSpace(c);
}
