// The code words (DESIGN.md §3), looked up in place in the embedded EFF list (the binary's own
// bytes, not copied): where each word starts and how long it is, in ordinal order (the list is
// sorted; a guard sorts the index if not). Looking a word up is a binary search over those bytes,
// and no string is made until a caller wants the words as strings: generating a code makes three,
// completion and corrections (the interactive path) the whole list. Making 7772 strings first
// thing, with the heap the collector commits for them, cost 2–3 ms of every process's start
// (perf); a StreamReader line by line and a FrozenSet cost more.
using System.Buffers;
using System.Text;

namespace Tallow.Crypto;

internal sealed class CodeWordList
{
    /// <summary>No list word is longer; longer input is no word without looking.</summary>
    private const int MaxWordBytes = 32;

    private readonly ReadOnlyMemory<byte> _text;
    private readonly int[] _starts;
    private readonly byte[] _lengths;
    private string[]? _strings;

    private CodeWordList(ReadOnlyMemory<byte> text, int[] starts, byte[] lengths) => (_text, _starts, _lengths) = (text, starts, lengths);

    public int Count => _starts.Length;

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

    /// <summary>The list in this process's image (an embedded resource), indexed where it lies.</summary>
    public static unsafe CodeWordList Load(UnmanagedMemoryStream embedded) =>
        Load(new FixedMemory(embedded.PositionPointer, checked((int)embedded.Length)).Memory);

    /// <summary>
    /// Indexes one word per line (or the dice-number form "11111\tabacus"), leaving out words with a
    /// hyphen; throws when a word is not printable ASCII (the embedded list always is).
    /// <paramref name="list"/> must stay as it is for the list's lifetime.
    /// </summary>
    public static CodeWordList Load(ReadOnlyMemory<byte> list)
    {
        ReadOnlySpan<byte> span = list.Span;
        int lines = span.Count((byte)'\n') + 1;
        int[] starts = new int[lines];
        byte[] lengths = new byte[lines];
        int count = 0;
        foreach (Range line in span.Split((byte)'\n'))
        {
            (int offset, int length) = line.GetOffsetAndLength(span.Length);
            ReadOnlySpan<byte> word = span.Slice(offset, length);
            int tab = word.LastIndexOf((byte)'\t');
            if (tab >= 0)
            {
                offset += tab + 1;
                word = word[(tab + 1)..];
            }

            int lead = word.Length - word.TrimStart(" \t\r"u8).Length;
            word = word.Trim(" \t\r"u8);
            if (word.Length == 0 || word.Contains((byte)'-'))
            {
                continue;
            }

            if (word.Length > MaxWordBytes || word.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7E) >= 0)
            {
                throw new InvalidOperationException("the code word list holds a word that is not printable ASCII.");
            }

            starts[count] = offset + lead;
            lengths[count] = (byte)word.Length;
            count++;
        }

        var words = new CodeWordList(list, starts[..count], lengths[..count]);
        return words.IsSorted() ? words : words.Sorted();
    }

    private bool IsSorted()
    {
        for (int i = 1; i < Count; i++)
        {
            if (Word(i - 1).SequenceCompareTo(Word(i)) > 0)
            {
                return false;
            }
        }

        return true;
    }

    private CodeWordList Sorted()
    {
        int[] order = [.. Enumerable.Range(0, Count)];
        Array.Sort(order, (a, b) => Word(a).SequenceCompareTo(Word(b)));
        return new CodeWordList(_text, [.. order.Select(i => _starts[i])], [.. order.Select(i => _lengths[i])]);
    }

    private ReadOnlySpan<byte> Word(int index) => _text.Span.Slice(_starts[index], _lengths[index]);

    /// <summary>Memory that never moves and is never freed (the binary's own data), seen as Memory.</summary>
    private sealed unsafe class FixedMemory(byte* pointer, int length) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => new(pointer, length);

        public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
