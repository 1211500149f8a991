// Tests for DESIGN.md §3 code phrases and the SAS renderings.
using Tallow.Crypto;

namespace Tallow.Tests.Crypto;

public class CodePhraseTests
{
    [Fact]
    public void Word_list_has_7772_unique_words_without_hyphens()
    {
        var words = CodePhrase.Words;
        Assert.Equal(7772, words.Count);
        Assert.DoesNotContain(words, w => w.Contains('-', StringComparison.Ordinal));
        Assert.Equal(7772, words.Distinct(StringComparer.Ordinal).Count());
        Assert.All(words, w => Assert.Matches("^[a-z]+$", w));
        Assert.Equal("abacus", words[0]);
    }

    [Theory]
    [InlineData(7, 3)]
    [InlineData(1, 2)]
    [InlineData(999_999, 8)]
    public void Generate_format(uint nameplate, int count)
    {
        var code = CodePhrase.Generate(nameplate, count);
        var parts = code.Split('-');
        Assert.Equal(count + 1, parts.Length);
        Assert.Equal(nameplate.ToString(System.Globalization.CultureInfo.InvariantCulture), parts[0]);
        Assert.All(parts.Skip(1), p => Assert.Contains(p, CodePhrase.Words));
        Assert.True(CodePhrase.TryNormalize(code, out var normalized));
        Assert.Equal(code, normalized);
        Assert.Equal(nameplate, CodePhrase.NameplateOf(code, out var mapped));
        Assert.False(mapped);
        Assert.Equal(count * Math.Log2(7772), CodePhrase.EstimateEntropyBits(code), 6);
    }

    [Fact]
    public void Generate_is_random()
    {
        var codes = Enumerable.Range(0, 20).Select(_ => CodePhrase.Generate(5, 3)).ToHashSet();
        Assert.True(codes.Count >= 19);
    }

    [Theory]
    [InlineData(0u, 3)]
    [InlineData(1_000_000u, 3)]
    [InlineData(7u, 1)]
    [InlineData(7u, 9)]
    public void Generate_rejects_bad_arguments(uint nameplate, int count) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => CodePhrase.Generate(nameplate, count));

    [Theory]
    [InlineData("  7 Amber  LUNAR-forge ", "7-amber-lunar-forge")]
    [InlineData("7-amber-lunar-forge", "7-amber-lunar-forge")]
    [InlineData("7__amber - _lunar\tforge", "7-amber-lunar-forge")]
    [InlineData("--7-amber--", "7-amber")]
    [InlineData("Correct Horse", "correct-horse")]
    [InlineData("x", "x")]
    public void TryNormalize_cases(string input, string expected)
    {
        Assert.True(CodePhrase.TryNormalize(input, out var normalized));
        Assert.Equal(expected, normalized);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(" - _ -")]
    public void TryNormalize_rejects_empty(string input)
    {
        Assert.False(CodePhrase.TryNormalize(input, out var normalized));
        Assert.Equal(string.Empty, normalized);
    }

    [Theory]
    [InlineData("7-amber-lunar-forge", 7u)]
    [InlineData("999999-x", 999_999u)]
    [InlineData("1-abc", 1u)]
    public void NameplateOf_claimed(string code, uint expected)
    {
        Assert.Equal(expected, CodePhrase.NameplateOf(code, out var mapped));
        Assert.False(mapped);
    }

    [Fact]
    public void NameplateOf_custom_is_deterministic_and_in_range()
    {
        string[] codes = ["correct-horse-battery-staple", "1000000-x", "0-abc", "007-abc", "42"];
        foreach (var code in codes)
        {
            var a = CodePhrase.NameplateOf(code, out var mapped);
            Assert.True(mapped, code);
            Assert.InRange(a, 1_000_000u, 9_999_999u);
            Assert.Equal(a, CodePhrase.NameplateOf(code, out _));
        }

        Assert.NotEqual(CodePhrase.NameplateOf("correct-horse", out _), CodePhrase.NameplateOf("correct-horsf", out _));
    }

    [Fact]
    public void Nameplate_salt_is_first_16_bytes_of_sha256_label()
    {
        var expected = System.Security.Cryptography.SHA256.HashData("tallow v1 nameplate"u8)[..16];
        Assert.Equal(expected, NameplateMapper.Salt.ToArray());
    }

    [Fact]
    public void Entropy_estimate_flags_short_custom_codes()
    {
        Assert.True(CodePhrase.EstimateEntropyBits("7-abc") < 20);
        Assert.True(CodePhrase.EstimateEntropyBits("hunter2") < 40);
        Assert.Equal(2 * Math.Log2(7772), CodePhrase.EstimateEntropyBits("amber-lunar"), 6);
        Assert.Equal(0, CodePhrase.EstimateEntropyBits(""));
    }

    [Fact]
    public void SafetyNumber_is_deterministic_and_well_formed()
    {
        var key = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();
        var digits = SafetyNumber.Digits(key);
        Assert.Matches("^[0-9]{3} [0-9]{3}$", digits);
        Assert.Equal(digits, SafetyNumber.Digits(key));
        var emoji = SafetyNumber.Emoji(key);
        Assert.Equal(5, emoji.Split(' ').Length);
        Assert.Equal(emoji, SafetyNumber.Emoji(key));
        Assert.All(emoji.Split(' '), e => Assert.Contains(e, SafetyNumber.EmojiAlphabet));

        var other = (byte[])key.Clone();
        other[0] ^= 1;
        other[8] ^= 1;
        Assert.NotEqual(digits, SafetyNumber.Digits(other));
        Assert.NotEqual(emoji, SafetyNumber.Emoji(other));
        Assert.Throws<ArgumentException>(() => SafetyNumber.Digits(new byte[8]));
    }

    [Fact]
    public void SafetyNumber_known_values()
    {
        var zero = new byte[32];
        Assert.Equal("000 000", SafetyNumber.Digits(zero));
        Assert.Equal(string.Join(' ', Enumerable.Repeat(SafetyNumber.EmojiAlphabet[0], 5)), SafetyNumber.Emoji(zero));
        var key = new byte[32];
        key[7] = 0x40; // 64 -> "000 064"
        Assert.Equal("000 064", SafetyNumber.Digits(key));
    }

    [Fact]
    public void Emoji_alphabet_has_64_distinct_entries()
    {
        Assert.Equal(64, SafetyNumber.EmojiAlphabet.Count);
        Assert.Equal(64, SafetyNumber.EmojiAlphabet.Distinct(StringComparer.Ordinal).Count());
    }
}
