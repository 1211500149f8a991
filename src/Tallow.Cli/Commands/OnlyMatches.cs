// `receive --only GLOB`: before anything is accepted, each pattern is checked against the offer.
// A pattern that matches no offered entry is named in a warning (a typo, or the wrong folder
// level); when no pattern matches anything the offer is declined rather than "received" empty.
using Tallow.Cli.Output;
using Tallow.Protocol.Transfer;
using Tallow.Protocol.Transfer.Selection;
using Tallow.Wire;

namespace Tallow.Cli.Commands;

internal static class OnlyMatches
{
    /// <summary>Warns once per pattern that matches no entry of <paramref name="offer"/>; true when at least one entry matches some pattern.</summary>
    public static bool AnyMatch(TransferOffer offer, IReadOnlyList<GlobPattern> patterns, Reporter reporter)
    {
        bool any = false;
        var unmatched = new List<string>();
        foreach (GlobPattern pattern in patterns)
        {
            bool matched = offer.Entries.Any(e => pattern.MatchesPathOrAncestor(e.Path, e.Type == EntryType.Directory));
            any |= matched;
            if (!matched)
            {
                unmatched.Add(pattern.Text);
            }
        }

        if (any && unmatched.Count > 0)
        {
            reporter.Warn($"{Quoted(unmatched)} matched nothing in the offer.");
        }

        return any;
    }

    /// <summary>Why the offer is declined when no pattern matched anything.</summary>
    public static string NothingMatched(IReadOnlyList<GlobPattern> patterns) =>
        $"{Quoted(patterns.Select(p => p.Text).ToList())} matched nothing in the offer, so nothing was received: "
        + "run 'tallow receive --dry-run' with the sender's next code to see the offered names, or leave --only out.";

    private static string Quoted(IReadOnlyList<string> patterns) =>
        (patterns.Count == 1 ? "--only " : "the --only patterns ") + string.Join(", ", patterns.Select(p => $"'{PathSanitizer.Printable(p)}'"));
}
