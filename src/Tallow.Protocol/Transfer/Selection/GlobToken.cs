// The compiled pieces of a GlobPattern and the tokenizer that produces them (gitignore(5)
// wildmatch syntax). Characters are Unicode scalar values, so '?' and classes never split a
// surrogate pair. No token other than AnyPath and DirectoryPrefix ever consumes a '/'.
using System.Text;

namespace Tallow.Protocol.Transfer.Selection;

internal enum GlobTokenKind
{
    /// <summary>Exactly one given character (possibly '/').</summary>
    Literal,

    /// <summary>'?': any one character except '/'.</summary>
    AnyChar,

    /// <summary>'[...]': one character of a class, never '/'.</summary>
    Class,

    /// <summary>'*' (or a '**' that is not alone between slashes): any run without '/'.</summary>
    Star,

    /// <summary>A trailing '/**' or a whole '**': anything, '/' included.</summary>
    AnyPath,

    /// <summary>A leading '**/' or a middle '/**/': zero or more whole directories ("(.*/)?").</summary>
    DirectoryPrefix,
}

internal readonly record struct GlobToken(GlobTokenKind Kind, int Literal = 0, GlobClass? Class = null)
{
    /// <summary>True when the token may also match nothing.</summary>
    public bool MatchesEmpty => Kind is GlobTokenKind.Star or GlobTokenKind.AnyPath or GlobTokenKind.DirectoryPrefix;
}

internal static class GlobTokenizer
{
    /// <summary>Splits a pattern body (no '!', no leading or trailing '/') into tokens; false with a reason on bad syntax.</summary>
    public static bool TryTokenize(string body, out GlobToken[] tokens, out string error)
    {
        var list = new List<GlobToken>();
        tokens = [];
        int i = 0;
        while (i < body.Length)
        {
            char c = body[i];
            switch (c)
            {
                case '\\':
                    if (i + 1 >= body.Length)
                    {
                        error = "it ends with a lone '\\' (write '\\\\' for a literal backslash)";
                        return false;
                    }

                    i++;
                    list.Add(new GlobToken(GlobTokenKind.Literal, ReadScalar(body, ref i)));
                    continue;
                case '?':
                    list.Add(new GlobToken(GlobTokenKind.AnyChar));
                    i++;
                    continue;
                case '[':
                    if (!GlobClass.TryParse(body, ref i, out GlobClass? cls, out error))
                    {
                        return false;
                    }

                    list.Add(new GlobToken(GlobTokenKind.Class, Class: cls));
                    continue;
                case '*':
                    i = AddStars(body, i, list);
                    continue;
                default:
                    list.Add(new GlobToken(GlobTokenKind.Literal, ReadScalar(body, ref i)));
                    continue;
            }
        }

        tokens = [.. list];
        error = string.Empty;
        return true;
    }

    /// <summary>Reads one run of '*' at <paramref name="start"/>; returns the index after what it consumed.</summary>
    private static int AddStars(string body, int start, List<GlobToken> list)
    {
        int end = start;
        while (end < body.Length && body[end] == '*')
        {
            end++;
        }

        bool afterSlashOrStart = list.Count == 0
            || list[^1] is { Kind: GlobTokenKind.Literal, Literal: '/' } or { Kind: GlobTokenKind.DirectoryPrefix };
        if (end - start >= 2 && afterSlashOrStart)
        {
            if (end == body.Length)
            {
                list.Add(new GlobToken(GlobTokenKind.AnyPath));
                return end;
            }

            if (body[end] == '/')
            {
                // "**/**/x" is the same as "**/x": one prefix token is enough.
                if (list.Count == 0 || list[^1].Kind != GlobTokenKind.DirectoryPrefix)
                {
                    list.Add(new GlobToken(GlobTokenKind.DirectoryPrefix));
                }

                return end + 1;
            }
        }

        // Consecutive stars that are not a '**' component are one '*'.
        if (list.Count == 0 || list[^1].Kind != GlobTokenKind.Star)
        {
            list.Add(new GlobToken(GlobTokenKind.Star));
        }

        return end;
    }

    /// <summary>The Unicode scalar at <paramref name="i"/> (advancing past it); a lone surrogate reads as U+FFFD.</summary>
    internal static int ReadScalar(string text, ref int i)
    {
        Rune.DecodeFromUtf16(text.AsSpan(i), out Rune rune, out int used);
        i += Math.Max(1, used);
        return rune.Value;
    }
}
