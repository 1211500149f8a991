// Parse errors as a new user should see them (issue 15, item 12): one message per mistake, not the
// parser's stacked "Required command was not provided" + "Unrecognized command or argument"; a
// misspelt command or option gets "did you mean ...?"; no .NET type names ('System.Int32'); the
// last line points to the help of the command that was being run (`tallow send --help`).
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Tallow.Cli.Commands;

internal static partial class UsageErrors
{
    /// <summary>The lines to print (without "error: " prefixes on the hint) for a parse that failed.</summary>
    public static IReadOnlyList<string> Describe(ParseResult parsed, string? unknownOption)
    {
        Command command = parsed.CommandResult.Command;
        var lines = new List<string>();
        bool atRoot = command is RootCommand;
        bool unknownOptionSeen = false;
        foreach (ParseError error in parsed.Errors)
        {
            Match unrecognized = UnrecognizedPattern().Match(error.Message);
            if (unrecognized.Success)
            {
                string token = unrecognized.Groups["token"].Value;
                if (!token.StartsWith('-') && unknownOptionSeen)
                {
                    continue; // most likely the unknown option's value: one mistake, one error
                }

                unknownOptionSeen |= token.StartsWith('-');
                lines.Add(Unrecognized(command, token, atRoot));
            }
            else if (!(atRoot && RequiredCommandPattern().IsMatch(error.Message) && parsed.Errors.Count > 1))
            {
                lines.Add("error: " + Friendly(error.Message));
            }
        }

        if (unknownOption is not null)
        {
            lines.Add(UnknownOption(command, unknownOption));
            lines.Add($"(To name a file that starts with '-', put it after '--' or write ./{unknownOption}.)");
        }

        lines.Add($"Run '{CommandPath(parsed.CommandResult)} --help' for usage.");
        return lines;
    }

    /// <summary>The closest of <paramref name="candidates"/> to <paramref name="typed"/> (a typo or a prefix), or null.</summary>
    internal static string? Closest(string typed, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in candidates)
        {
            int distance = candidate.StartsWith(typed, StringComparison.OrdinalIgnoreCase) && typed.TrimStart('-').Length >= 2
                ? 1
                : Distance(typed.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        return best is not null && bestDistance <= Math.Max(1, typed.TrimStart('-').Length / 3) ? best : null;
    }

    private static string Unrecognized(Command command, string token, bool atRoot)
    {
        if (token.StartsWith('-'))
        {
            return UnknownOption(command, token);
        }

        if (atRoot)
        {
            string? command2 = Closest(token, command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name));
            return $"error: unknown command '{token}'" + (command2 is null ? "." : $": did you mean '{command2}'?");
        }

        return $"error: unexpected argument '{token}'.";
    }

    private static string UnknownOption(Command command, string option)
    {
        IEnumerable<string> names = OptionsOf(command).SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal));
        string? suggestion = Closest(option, names);
        return $"error: unknown option '{option}'" + (suggestion is null ? "." : $": did you mean '{suggestion}'?");
    }

    private static IEnumerable<Option> OptionsOf(Command command)
    {
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
        {
            foreach (Option option in c.Options)
            {
                if (c == command || option.Recursive)
                {
                    yield return option;
                }
            }
        }
    }

    /// <summary>"Cannot parse argument 'x' for option '--words' as expected type 'System.Int32'." in the user's words.</summary>
    internal static string Friendly(string message)
    {
        Match typed = TypedValuePattern().Match(message);
        if (typed.Success)
        {
            string expected = typed.Groups["type"].Value switch
            {
                "System.Int32" or "System.Int64" or "System.UInt32" or "System.UInt16" or "System.Byte" => "a whole number",
                "System.Double" or "System.Single" or "System.Decimal" => "a number",
                _ => "a valid value",
            };
            return $"'{typed.Groups["value"].Value}' is not valid for {typed.Groups["symbol"].Value}: it must be {expected}.";
        }

        return SystemTypePattern().Replace(message, "a value");
    }

    /// <summary>"tallow relay serve": the command being run, as typed.</summary>
    internal static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is CommandResult c)
            {
                names.Insert(0, c.Command is RootCommand ? "tallow" : c.Command.Name);
            }
        }

        return string.Join(' ', names);
    }

    /// <summary>Edits (insert, delete, replace, swap two neighbours) from <paramref name="a"/> to <paramref name="b"/>: "recieve" is one from "receive".</summary>
    private static int Distance(string a, string b)
    {
        int width = b.Length + 1;
        var d = new int[(a.Length + 1) * width]; // d[i * width + j]: edits from a[..i] to b[..j]
        for (int i = 0; i <= a.Length; i++)
        {
            d[i * width] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                int here = i * width + j;
                d[here] = Math.Min(Math.Min(d[here - width] + 1, d[here - 1] + 1), d[here - width - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[here] = Math.Min(d[here], d[here - (2 * width) - 2] + 1);
                }
            }
        }

        return d[^1];
    }

    [GeneratedRegex("^Unrecognized command or argument '(?<token>.*)'\\.?$")]
    private static partial Regex UnrecognizedPattern();

    [GeneratedRegex("^Required command was not provided")]
    private static partial Regex RequiredCommandPattern();

    [GeneratedRegex("^Cannot parse argument '(?<value>.*)' for (?:option|argument|command) '(?<symbol>[^']*)' as expected type '(?<type>[^']*)'\\.?$")]
    private static partial Regex TypedValuePattern();

    [GeneratedRegex("'System\\.[A-Za-z0-9_.`\\[\\]]+'")]
    private static partial Regex SystemTypePattern();
}
