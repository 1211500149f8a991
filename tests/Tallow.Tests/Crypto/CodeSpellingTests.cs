// Helping a person type a code (CodeSpelling): completion of a word's first letters, the nearest
// list words for a misspelt one, and the check of a typed code's shape before it is used.
using Tallow.Crypto;

namespace Tallow.Tests.Crypto;

public class CodeSpellingTests
{
    [Fact]
    public void A_unique_prefix_completes_to_its_word()
    {
        WordCompletion c = CodeSpelling.Complete("yod", 10);
        Assert.Equal(1, c.Count);
        Assert.Equal("yodel", c.CommonPrefix);
        Assert.Equal(["yodel"], c.Candidates);
    }

    [Fact]
    public void An_ambiguous_prefix_gives_the_common_prefix_and_the_first_candidates_in_order()
    {
        WordCompletion c = CodeSpelling.Complete("amb", 3);
        Assert.Equal(8, c.Count); // amber ambiance ambiguity ambiguous ambition ambitious ambulance ambush
        Assert.Equal("amb", c.CommonPrefix);
        Assert.Equal(["amber", "ambiance", "ambiguity"], c.Candidates);

        WordCompletion zoo = CodeSpelling.Complete("zoo", 10);
        Assert.Equal("zoo", zoo.CommonPrefix);
        Assert.Equal(["zookeeper", "zoologist", "zoology", "zoom"], zoo.Candidates);
        Assert.Equal("zoolog", CodeSpelling.Complete("zool", 10).CommonPrefix);
    }

    [Theory]
    [InlineData("")]
    [InlineData("qqq")]
    [InlineData("AMB")] // the prompt lowercases first; the list is lowercase
    [InlineData("7")]
    public void Prefixes_of_no_word_complete_nothing(string prefix)
    {
        WordCompletion c = CodeSpelling.Complete(prefix, 10);
        Assert.Equal(0, c.Count);
        Assert.Empty(c.Candidates);
    }

    [Theory]
    [InlineData("amberr", "amber")]   // one letter too many
    [InlineData("ambr", "amber")]     // one missing
    [InlineData("lnuar", "lunar")]    // two swapped
    [InlineData("lunnar", "lunar")]
    [InlineData("zombei", "zombie")]
    public void A_misspelt_word_suggests_the_intended_one_first(string typed, string expected)
    {
        IReadOnlyList<string> near = CodeSpelling.Nearest(typed, 3);
        Assert.NotEmpty(near);
        Assert.Equal(expected, near[0]);
    }

    [Fact]
    public void Nothing_is_suggested_for_text_far_from_every_word_or_too_long()
    {
        Assert.Empty(CodeSpelling.Nearest("xqzvw", 3));
        Assert.Empty(CodeSpelling.Nearest(new string('a', 200), 3));
        Assert.Empty(CodeSpelling.Nearest("", 3));
    }

    [Fact]
    public void A_generated_code_passes_the_check()
    {
        for (int i = 0; i < 20; i++)
        {
            string code = CodePhrase.Generate((uint)(i + 1), 3);
            CodeCheck check = CodeSpelling.Check(code);
            Assert.True(check.LooksGenerated, code);
            Assert.Equal(3, check.WordCount);
        }
    }

    [Fact]
    public void A_typo_is_reported_with_its_position_and_suggestions()
    {
        CodeCheck check = CodeSpelling.Check("7-amber-lnuar-zodiac");
        Assert.False(check.LooksGenerated);
        Assert.Equal(NameplateShape.Valid, check.Nameplate);
        UnknownWord unknown = Assert.Single(check.UnknownWords);
        Assert.Equal(1, unknown.Position);
        Assert.Equal("lnuar", unknown.Word);
        Assert.Equal("lunar", unknown.Suggestions[0]);
    }

    [Theory]
    [InlineData("amber-lunar-zodiac", NameplateShape.Missing, 3)]
    [InlineData("0-amber-lunar", NameplateShape.OutOfRange, 2)]
    [InlineData("07-amber-lunar", NameplateShape.OutOfRange, 2)]
    [InlineData("1234567-amber-lunar", NameplateShape.OutOfRange, 2)]
    [InlineData("7-amber", NameplateShape.Valid, 1)]
    [InlineData("999999-amber-lunar", NameplateShape.Valid, 2)]
    public void The_nameplate_shape_and_word_count_are_checked(string code, NameplateShape shape, int words)
    {
        CodeCheck check = CodeSpelling.Check(code);
        Assert.Equal(shape, check.Nameplate);
        Assert.Equal(words, check.WordCount);
        Assert.Equal(shape == NameplateShape.Valid && words >= 2, check.LooksGenerated);
    }

    [Theory]
    [InlineData("7-amber-lunar", null)]
    [InlineData("amber-lunar-zodiac", null)] // a custom code: no number
    [InlineData("7-amberr", null)]           // a typo is not a shape problem
    [InlineData("0-amber-lunar", "its number must be 1 to 999999")]
    [InlineData("07-amber-lunar", "its number must be 1 to 999999")]
    [InlineData("1234567-amber", "its number must be 1 to 999999")]
    [InlineData("7", "it has only the number")]
    [InlineData("0", "it has only the number")]
    public void Shape_problems_are_codes_no_sender_can_have(string code, string? expected)
    {
        string? problem = CodeSpelling.Check(code).ShapeProblem;
        if (expected is null)
        {
            Assert.Null(problem);
        }
        else
        {
            Assert.StartsWith(expected, problem, StringComparison.Ordinal);
        }
    }
}
