// Runs compiled glob tokens over a path as a set of live states (an NFA simulation): time is
// O(tokens × characters) and memory O(tokens) whatever the pattern, so "a*a*a*…b" against a long
// name cannot go exponential the way backtracking matchers do. Never throws.
using System.Text;

namespace Tallow.Protocol.Transfer.Selection;

internal sealed class GlobMatcher(GlobToken[] tokens)
{
    /// <summary>True when the tokens match all of <paramref name="text"/>.</summary>
    public bool MatchesWhole(ReadOnlySpan<char> text) => Run(text, stopAtAncestor: false);

    /// <summary>True when the tokens match all of <paramref name="text"/> or a prefix of it that ends just before a '/'.</summary>
    public bool MatchesWholeOrDirectoryPrefix(ReadOnlySpan<char> text) => Run(text, stopAtAncestor: true);

    private bool Run(ReadOnlySpan<char> text, bool stopAtAncestor)
    {
        int count = tokens.Length;

        // live[i]: the tokens before i have matched. inside[i]: a DirectoryPrefix at i has
        // consumed part of its directories; unlike live[i] it cannot be skipped any more.
        bool[] live = new bool[count + 1];
        bool[] next = new bool[count + 1];
        bool[] inside = new bool[count];
        bool[] insideNext = new bool[count];
        live[0] = true;
        Close(live);
        int position = 0;
        while (position < text.Length)
        {
            Rune.DecodeFromUtf16(text[position..], out Rune rune, out int used);
            position += Math.Max(1, used);
            int c = rune.Value;
            if (stopAtAncestor && c == '/' && live[count])
            {
                return true;
            }

            Array.Clear(next);
            Array.Clear(insideNext);
            bool any = false;
            for (int i = 0; i < count; i++)
            {
                if (live[i] || inside[i])
                {
                    any |= Step(tokens[i], i, c, fromInside: !live[i], next, insideNext);
                }
            }

            if (!any)
            {
                return false;
            }

            Close(next);
            (live, next) = (next, live);
            (inside, insideNext) = (insideNext, inside);
        }

        return live[count];
    }

    /// <summary>Marks the states reachable from state <paramref name="i"/> by consuming <paramref name="c"/>.</summary>
    private static bool Step(GlobToken token, int i, int c, bool fromInside, bool[] next, bool[] insideNext)
    {
        if (fromInside && token.Kind != GlobTokenKind.DirectoryPrefix)
        {
            return false;
        }

        switch (token.Kind)
        {
            case GlobTokenKind.Literal when token.Literal == c:
            case GlobTokenKind.AnyChar when c != '/':
                next[i + 1] = true;
                return true;
            case GlobTokenKind.Class when token.Class!.Contains(c):
                next[i + 1] = true;
                return true;
            case GlobTokenKind.Star when c != '/':
            case GlobTokenKind.AnyPath:
                next[i] = true;
                return true;
            case GlobTokenKind.DirectoryPrefix:
                // "(.*/)?": any character continues the directories, a '/' may also end them.
                insideNext[i] = true;
                if (c == '/')
                {
                    next[i + 1] = true;
                }

                return true;
            default:
                return false;
        }
    }

    /// <summary>Adds the states reachable without consuming anything (tokens that may match empty).</summary>
    private void Close(bool[] states)
    {
        for (int i = 0; i < tokens.Length; i++)
        {
            if (states[i] && tokens[i].MatchesEmpty)
            {
                states[i + 1] = true;
            }
        }
    }
}
