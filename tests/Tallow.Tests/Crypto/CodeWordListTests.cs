// CodeWordList: the byte-level lookup agrees with the strings, for the embedded list and for
// lists in the other forms Load accepts (dice numbers, hyphenated words left out, unsorted).
using System.Text;
using Tallow.Crypto;

namespace Tallow.Tests.Crypto;

public sealed class CodeWordListTests
{
    [Fact]
    public void Every_embedded_word_is_found_and_near_misses_are_not()
    {
        Assert.All(CodePhrase.Words, w => Assert.True(CodePhrase.IsWord(w), w));
        foreach (string w in CodePhrase.Words.Take(500))
        {
            Assert.False(CodePhrase.IsWord(w + "z"), w + "z");
            Assert.False(CodePhrase.IsWord(w[..^1] + "{"), w[..^1] + "{"); // '{' sorts after every letter
        }

        Assert.False(CodePhrase.IsWord(string.Empty));
        Assert.False(CodePhrase.IsWord("ABACUS"));
        Assert.False(CodePhrase.IsWord("abacús"));
        Assert.False(CodePhrase.IsWord(new string('a', 300)));
    }

    [Fact]
    public void Dice_numbers_hyphens_and_disorder_are_handled()
    {
        CodeWordList list = CodeWordList.Load(Encoding.ASCII.GetBytes("11113\tzebra\r\n11111\tapple\n11112\tdrop-down\n\n  mango \n11114\tbanana"));
        Assert.Equal(["apple", "banana", "mango", "zebra"], list.Strings);
        Assert.Equal(4, list.Count);
        Assert.Equal("mango", list[2]);
        Assert.True(list.Contains("zebra"));
        Assert.True(list.Contains("apple"));
        Assert.False(list.Contains("drop-down"));
        Assert.False(list.Contains("drop"));
        Assert.False(list.Contains("mang"));
    }

    [Fact]
    public void A_word_that_is_not_printable_ASCII_is_refused() =>
        Assert.Throws<InvalidOperationException>(() => CodeWordList.Load("apple\nb\u00e4r\n"u8.ToArray()));
}
