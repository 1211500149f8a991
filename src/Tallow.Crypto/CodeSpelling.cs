// Helping a person type a code phrase (DESIGN.md §3) before it is used: completing a word from its
// first letters, checking a typed code (the nameplate's shape, every word in the list) and the
// nearest list words for a misspelt one. Pure functions over CodePhrase.Words; nothing here is
// secret-dependent in time beyond what the person typed, and nothing touches the network. Lets
// `tallow receive` catch a typo locally instead of spending the sender's code on a failed handshake.
namespace Tallow.Crypto;

/// <summary>How the part in front of the words looks.</summary>
public enum NameplateShape
{
    /// <summary>A number 1..999999 without a leading zero, as generated codes have.</summary>
    Valid,

    /// <summary>The code does not start with a number (a custom code, or a forgotten number).</summary>
    Missing,

    /// <summary>Digits, but 0, a leading zero or more than six digits.</summary>
    OutOfRange,
}

/// <summary>A typed word that is not in the list, its position among the words (0-based) and the nearest list words.</summary>
public sealed record UnknownWord(int Position, string Word, IReadOnlyList<string> Suggestions);

/// <summary>The result of <see cref="CodeSpelling.Check"/>.</summary>
public sealed record CodeCheck(NameplateShape Nameplate, int WordCount, IReadOnlyList<UnknownWord> UnknownWords)
{
    /// <summary>True when the code has the shape of a generated one: a valid number and at least two list words, all known.</summary>
    public bool LooksGenerated => Nameplate == NameplateShape.Valid && WordCount >= CodePhrase.MinWordCount && UnknownWords.Count == 0;

    /// <summary>
    /// Why no sender can have this code, or null when its shape is fine: a number in front that is
    /// not 1 to 999999 without a leading zero, or nothing after the number. A code without a
    /// number is a custom code (`send --code`) and fine.
    /// </summary>
    public string? ShapeProblem =>
        Nameplate != NameplateShape.Missing && WordCount == 0 ? "it has only the number: the words follow it, like 7-amber-lunar-zodiac"
        : Nameplate == NameplateShape.OutOfRange ? "its number must be 1 to 999999, without a leading zero, like the 7 in 7-amber-lunar-zodiac"
        : null;
}

/// <summary>The words that complete a typed prefix: their longest common prefix, the first few of them and how many there are.</summary>
public sealed record WordCompletion(string CommonPrefix, IReadOnlyList<string> Candidates, int Count);

public static class CodeSpelling
{
    /// <summary>Words longer than this are not compared (no list word is longer than 9 letters); bounds the work per word.</summary>
    public const int MaxComparedLength = 32;


    /// <summary>
    /// The list words starting with <paramref name="prefix"/> (lowercase letters; anything else
    /// matches nothing): their common prefix, the first <paramref name="maxCandidates"/> in
    /// alphabetical order and their number. An empty prefix matches nothing.
    /// </summary>
    public static WordCompletion Complete(string prefix, int maxCandidates)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxCandidates);
        string[] sorted = CodePhrase.SortedWords;
        if (prefix.Length == 0 || prefix.Length > MaxComparedLength)
        {
            return new WordCompletion(prefix, [], 0);
        }

        int start = LowerBound(sorted, prefix);
        int end = start;
        while (end < sorted.Length && sorted[end].StartsWith(prefix, StringComparison.Ordinal))
        {
            end++;
        }

        if (end == start)
        {
            return new WordCompletion(prefix, [], 0);
        }

        // Sorted: the common prefix of the whole range is the common prefix of its first and last word.
        string first = sorted[start];
        string last = sorted[end - 1];
        int common = 0;
        while (common < first.Length && common < last.Length && first[common] == last[common])
        {
            common++;
        }

        return new WordCompletion(first[..common], sorted[start..Math.Min(end, start + maxCandidates)], end - start);
    }

    /// <summary>
    /// Up to <paramref name="max"/> list words nearest to <paramref name="word"/> by edit distance
    /// (insert, delete, substitute, swap of neighbours), at most 2 edits away (1 for words of up to
    /// 4 letters), nearest first, ties in list order.
    /// </summary>
    public static IReadOnlyList<string> Nearest(string word, int max)
    {
        if (word.Length == 0 || word.Length > MaxComparedLength || max <= 0)
        {
            return [];
        }

        int limit = word.Length <= 4 ? 1 : 2;
        var found = new List<(int Distance, string Word)>();
        foreach (string candidate in CodePhrase.SortedWords)
        {
            if (Math.Abs(candidate.Length - word.Length) > limit)
            {
                continue;
            }

            int distance = Distance(word, candidate, limit);
            if (distance <= limit)
            {
                found.Add((distance, candidate));
            }
        }

        return [.. found.OrderBy(f => f.Distance).ThenBy(f => f.Word, StringComparer.Ordinal).Take(max).Select(f => f.Word)];
    }

    /// <summary>Checks a normalised code (see <see cref="CodePhrase.TryNormalize"/>) against the shape of a generated one.</summary>
    public static CodeCheck Check(string normalized, int maxSuggestions = 3)
    {
        string[] parts = normalized.Split('-', StringSplitOptions.RemoveEmptyEntries);
        NameplateShape shape;
        int firstWord;
        if (parts.Length > 0 && parts[0].All(char.IsAsciiDigit))
        {
            shape = CodePhrase.TryParseClaimedNameplate(normalized, out _, out _) ? NameplateShape.Valid : NameplateShape.OutOfRange;
            firstWord = 1;
        }
        else
        {
            shape = NameplateShape.Missing;
            firstWord = 0;
        }

        var unknown = new List<UnknownWord>();
        for (int i = firstWord; i < parts.Length; i++)
        {
            if (!CodePhrase.IsWord(parts[i]))
            {
                unknown.Add(new UnknownWord(i - firstWord, parts[i], Nearest(parts[i], maxSuggestions)));
            }
        }

        return new CodeCheck(shape, parts.Length - firstWord, unknown);
    }

    /// <summary>Optimal string alignment distance (Levenshtein plus adjacent swaps), giving up once every cell of a row exceeds <paramref name="limit"/>.</summary>
    private static int Distance(string a, string b, int limit)
    {
        var previous2 = new int[b.Length + 1];
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            int rowMin = current[0];
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                int best = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    best = Math.Min(best, previous2[j - 2] + 1);
                }

                current[j] = best;
                rowMin = Math.Min(rowMin, best);
            }

            if (rowMin > limit)
            {
                return limit + 1;
            }

            (previous2, previous, current) = (previous, current, previous2);
        }

        return previous[b.Length];
    }

    private static int LowerBound(string[] sorted, string key)
    {
        int lo = 0;
        int hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (string.CompareOrdinal(sorted[mid], key) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
