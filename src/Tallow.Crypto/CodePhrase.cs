// Code phrases, DESIGN.md §3: "<nameplate>-<w1>-...-<wN>" with words from the EFF large word list
// (embedded resource "eff_large_wordlist.txt"; the 4 hyphenated words are left out: 7772 remain).
// The whole normalised code is the CPace password; only the nameplate ever reaches the relay.
// Custom codes without a numeric nameplate are mapped to one by Argon2id (slow hash, fixed salt), so the relay
// cannot cheaply test guesses against the nameplate it sees.
using System.Reflection;
using System.Text;

namespace Tallow.Crypto;

/// <summary>Generation, normalisation and nameplate mapping of code phrases.</summary>
public static class CodePhrase
{
    public const int DefaultWordCount = 3;
    public const int MinWordCount = 2;
    public const int MaxWordCount = 8;

    /// <summary>Largest nameplate a code may claim with a numeric prefix.</summary>
    public const uint MaxClaimedNameplate = 999_999;

    /// <summary>Range [MinMappedNameplate, MaxMappedNameplate] of nameplates derived from custom codes.</summary>
    public const uint MinMappedNameplate = 1_000_000;

    public const uint MaxMappedNameplate = 9_999_999;

    private const string WordListResource = "eff_large_wordlist.txt";

    private static readonly Lazy<CodeWordList> s_words = new(LoadWords);

    /// <summary>The 7772 code words (EFF large list without its hyphenated words), in ordinal order (the list's own).</summary>
    public static IReadOnlyList<string> Words => Array.AsReadOnly(s_words.Value.Strings); // a view: the shared array stays as it is

    /// <summary>True when <paramref name="word"/> (lowercase) is one of the code words.</summary>
    public static bool IsWord(string word) => s_words.Value.Contains(word);

    /// <summary>The code words in ordinal order (CodeSpelling completes and corrects against it).</summary>
    internal static string[] SortedWords => s_words.Value.Strings;

    /// <summary>Bits of entropy of one uniformly chosen word, log2(7772).</summary>
    public static double BitsPerWord => Math.Log2(s_words.Value.Count);

    /// <summary>
    /// Builds "&lt;nameplate&gt;-w1-...-wN" with words chosen uniformly by RandomNumberGenerator.GetInt32.
    /// <paramref name="nameplate"/> must be in 1..999999 and <paramref name="wordCount"/> in 2..8.
    /// </summary>
    public static string Generate(uint nameplate, int wordCount)
    {
        ArgumentOutOfRangeException.ThrowIfZero(nameplate);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nameplate, MaxClaimedNameplate);
        ArgumentOutOfRangeException.ThrowIfLessThan(wordCount, MinWordCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(wordCount, MaxWordCount);

        CodeWordList words = s_words.Value;
        var builder = new StringBuilder();
        builder.Append(nameplate.ToString(System.Globalization.CultureInfo.InvariantCulture));
        for (var i = 0; i < wordCount; i++)
        {
            builder.Append('-').Append(words[System.Security.Cryptography.RandomNumberGenerator.GetInt32(words.Count)]);
        }

        return builder.ToString();
    }

    /// <summary>
    /// Trims, lowercases, and turns every run of spaces (any whitespace), dashes or underscores between parts into
    /// one '-'. Returns false when nothing remains.
    /// </summary>
    public static bool TryNormalize(string input, out string normalized)
    {
        normalized = string.Empty;
        if (string.IsNullOrWhiteSpace(input))
        {
            return false;
        }

        var builder = new StringBuilder(input.Length);
        var pendingSeparator = false;
        foreach (var c in input.Trim())
        {
            if (IsSeparator(c))
            {
                pendingSeparator = builder.Length > 0;
                continue;
            }

            if (pendingSeparator)
            {
                builder.Append('-');
                pendingSeparator = false;
            }

            builder.Append(char.ToLowerInvariant(c));
        }

        if (builder.Length == 0)
        {
            return false;
        }

        normalized = builder.ToString();
        return true;
    }

    /// <summary>
    /// Nameplate of a normalised code. "&lt;digits&gt;-..." with a number in 1..999999 (no leading zero) claims that
    /// nameplate (<paramref name="isCustomMapped"/> = false). Any other code is mapped to 1000000..9999999 by
    /// <see cref="NameplateMapper"/> (Argon2id; deliberately slow, ~0.1–0.5 s).
    /// </summary>
    public static uint NameplateOf(string normalized, out bool isCustomMapped)
    {
        ArgumentException.ThrowIfNullOrEmpty(normalized);
        if (TryParseClaimedNameplate(normalized, out var nameplate, out _))
        {
            isCustomMapped = false;
            return nameplate;
        }

        isCustomMapped = true;
        return NameplateMapper.Map(normalized);
    }

    /// <summary>
    /// Rough entropy estimate in bits of the secret part (everything after a claimed nameplate, else the whole code).
    /// Each part that is a list word counts log2(7772) bits; any other part counts length·log2(alphabet), where the
    /// alphabet is the union of the character classes it uses (digits 10, letters 26, other 33).
    /// For generated codes this is words·log2(7772). Use it only to warn about short custom codes.
    /// </summary>
    public static double EstimateEntropyBits(string normalized)
    {
        if (string.IsNullOrEmpty(normalized))
        {
            return 0;
        }

        var secret = TryParseClaimedNameplate(normalized, out _, out var secretStart) ? normalized[secretStart..] : normalized;
        var bits = 0.0;
        foreach (var part in secret.Split('-', StringSplitOptions.RemoveEmptyEntries))
        {
            bits += IsWord(part) ? BitsPerWord : CharacterEntropy(part);
        }

        return bits;
    }

    private static double CharacterEntropy(string part)
    {
        bool digits = false, letters = false, other = false;
        foreach (var c in part)
        {
            if (char.IsAsciiDigit(c))
            {
                digits = true;
            }
            else if (char.IsLetter(c))
            {
                letters = true;
            }
            else
            {
                other = true;
            }
        }

        var alphabet = (digits ? 10 : 0) + (letters ? 26 : 0) + (other ? 33 : 0);
        return part.Length * Math.Log2(alphabet);
    }

    internal static bool TryParseClaimedNameplate(string normalized, out uint nameplate, out int secretStart)
    {
        nameplate = 0;
        secretStart = 0;
        var i = 0;
        while (i < normalized.Length && char.IsAsciiDigit(normalized[i]))
        {
            i++;
        }

        // 1..6 digits, no leading zero, followed by '-' and a non-empty secret part.
        if (i == 0 || i > 6 || normalized[0] == '0' || i + 1 >= normalized.Length || normalized[i] != '-')
        {
            return false;
        }

        nameplate = uint.Parse(normalized.AsSpan(0, i), System.Globalization.CultureInfo.InvariantCulture);
        secretStart = i + 1;
        return true;
    }

    private static bool IsSeparator(char c) => c is '-' or '_' || char.IsWhiteSpace(c);

    private static CodeWordList LoadWords()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(WordListResource)
            ?? throw new InvalidOperationException($"Embedded resource {WordListResource} is missing.");
        if (stream is UnmanagedMemoryStream embedded)
        {
            return CodeWordList.Load(embedded); // in place: the resource is part of the loaded image
        }

        byte[] text = new byte[stream.Length];
        stream.ReadExactly(text);
        return CodeWordList.Load(text);
    }
}
