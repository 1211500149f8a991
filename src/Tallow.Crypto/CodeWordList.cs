// The code words (DESIGN.md §3), read once from the embedded EFF list into one byte array and the
// start of each word, in ordinal order (the list is sorted; a guard sorts it if not). Looking a word
// up is a binary search over those bytes, and no string is made until a caller wants the words as
// strings: generating a code makes three, completion and corrections (the interactive path) the
// whole list. Making 7772 strings first thing, with the heap the collector commits for them, cost
// 2–3 ms of every process's start (perf); a StreamReader line by line and a FrozenSet cost more.
using System.Text;

namespace Tallow.Crypto;

internal sealed class CodeWordList
{
    /// <summary>No list word is longer; longer input is no word without looking.</summary>
    private const int MaxWordBytes = 32;

    private readonly byte[] _text;
    private readonly int[] _starts; // word i is _text[_starts[i].._starts[i + 1]]
    private string[]? _strings;

    private CodeWordList(byte[] text, int[] starts) => (_text, _starts) = (text, starts);

    public int Count => _starts.Length - 1;

    /// <summary>Word <paramref name="index"/> in ordinal order, as a new string.</summary>
    public string this[int index] => Encoding.ASCII.GetString(Word(index));

    /// <summary>Every word, in ordinal order (made once, on first use).</summary>
    public string[] Strings => LazyInitializer.EnsureInitialized(ref _strings, () =>
    {
        var strings = new string[Count];
        for (int i = 0; i < strings.Length; i++)
        {
            strings[i] = this[i];
        }

        return strings;
    });

    public bool Contains(string word)
    {
        if (word.Length is 0 or > MaxWordBytes)
        {
            return false;
        }

        Span<byte> ascii = stackalloc byte[word.Length];
        for (int i = 0; i < word.Length; i++)
        {
            if (word[i] > 0x7F)
            {
                return false; // every list word is ASCII
            }

            ascii[i] = (byte)word[i];
        }

        int low = 0, high = Count - 1;
        while (low <= high)
        {
            int middle = low + ((high - low) / 2);
            int order = Word(middle).SequenceCompareTo(ascii);
            if (order == 0)
            {
                return true;
            }

            (low, high) = order < 0 ? (middle + 1, high) : (low, middle - 1);
        }

        return false;
    }

    /// <summary>
    /// Reads one word per line (or the dice-number form "11111\tabacus"), leaving out words with a
    /// hyphen; throws when a word is not lowercase-safe ASCII (the embedded list always is).
    /// </summary>
    public static CodeWordList Load(ReadOnlySpan<byte> list)
    {
        var words = new List<(int Start, int Length)>(7776);
        byte[] text = new byte[list.Length];
        int length = 0;
        foreach (Range line in list.Split((byte)'\n'))
        {
            ReadOnlySpan<byte> word = list[line].Trim(" \t\r"u8);
            int tab = word.LastIndexOf((byte)'\t');
            if (tab >= 0)
            {
                word = word[(tab + 1)..].Trim(" \t"u8);
            }

            if (word.Length == 0 || word.Contains((byte)'-'))
            {
                continue;
            }

            if (word.Length > MaxWordBytes || word.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7E) >= 0)
            {
                throw new InvalidOperationException("the code word list holds a word that is not printable ASCII.");
            }

            words.Add((length, word.Length));
            word.CopyTo(text.AsSpan(length));
            length += word.Length;
        }

        byte[] packed = text[..length];
        if (!IsSorted(packed, words))
        {
            words.Sort((a, b) => packed.AsSpan(a.Start, a.Length).SequenceCompareTo(packed.AsSpan(b.Start, b.Length)));
            byte[] sorted = new byte[length];
            int at = 0;
            for (int i = 0; i < words.Count; i++)
            {
                packed.AsSpan(words[i].Start, words[i].Length).CopyTo(sorted.AsSpan(at));
                words[i] = (at, words[i].Length);
                at += words[i].Length;
            }

            packed = sorted;
        }

        int[] starts = new int[words.Count + 1];
        for (int i = 0; i < words.Count; i++)
        {
            starts[i] = words[i].Start;
        }

        starts[^1] = length;
        return new CodeWordList(packed, starts);
    }

    private static bool IsSorted(byte[] text, List<(int Start, int Length)> words)
    {
        for (int i = 1; i < words.Count; i++)
        {
            if (text.AsSpan(words[i - 1].Start, words[i - 1].Length).SequenceCompareTo(text.AsSpan(words[i].Start, words[i].Length)) > 0)
            {
                return false;
            }
        }

        return true;
    }

    private ReadOnlySpan<byte> Word(int index) => _text.AsSpan(_starts[index], _starts[index + 1] - _starts[index]);
}
