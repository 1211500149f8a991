// Table tests of GlobPattern against gitignore(5): anchoring, trailing '/', the three '**'
// forms, classes, escapes, negation, the path-or-ancestor helper used by `receive --only`,
// and the parse errors a user sees.
using Tallow.Protocol.Transfer.Selection;

namespace Tallow.Tests.Protocol.Selection;

public class GlobPatternTests
{
    [Theory]
    // No '/': a name at any depth.
    [InlineData("*.txt", "a.txt", false, true)]
    [InlineData("*.txt", "docs/deep/a.txt", false, true)]
    [InlineData("*.txt", "a.txt/b", false, false)]
    [InlineData("foo", "x/y/foo", true, true)]
    [InlineData("foo", "x/foo/y", false, false)]
    [InlineData("*.TXT", "a.txt", false, false)]
    // A leading or middle '/' anchors to the base folder.
    [InlineData("/a.txt", "a.txt", false, true)]
    [InlineData("/a.txt", "x/a.txt", false, false)]
    [InlineData("docs/a.txt", "docs/a.txt", false, true)]
    [InlineData("docs/a.txt", "x/docs/a.txt", false, false)]
    [InlineData("a/*", "a/b", false, true)]
    [InlineData("a/*", "a/b/c", false, false)]
    // '*' and '?' never cross '/'.
    [InlineData("a*b", "a/b", false, false)]
    [InlineData("x/a*b", "x/a/b", false, false)]
    [InlineData("x/a?b", "x/a/b", false, false)]
    [InlineData("a?c", "abc", false, true)]
    [InlineData("?.txt", "🎉.txt", false, true)]
    // Trailing '/': folders only.
    [InlineData("build/", "build", true, true)]
    [InlineData("build/", "build", false, false)]
    [InlineData("build/", "x/build", true, true)]
    [InlineData("x/**/", "x/y", true, true)]
    [InlineData("x/**/", "x/y", false, false)]
    // The '**' forms.
    [InlineData("**/foo", "foo", false, true)]
    [InlineData("**/foo", "x/y/foo", false, true)]
    [InlineData("**/foo/bar", "x/foo/bar", false, true)]
    [InlineData("**/foo/bar", "foo/x/bar", false, false)]
    [InlineData("foo/**", "foo", true, false)]
    [InlineData("foo/**", "foo/x", false, true)]
    [InlineData("foo/**", "foo/x/y", false, true)]
    [InlineData("a/**/b", "a/b", false, true)]
    [InlineData("a/**/b", "a/x/b", false, true)]
    [InlineData("a/**/b", "a/x/y/b", false, true)]
    [InlineData("a/**/b", "a/xb", false, false)]
    [InlineData("a/**/**/b", "a/b", false, true)]
    [InlineData("**", "any/thing/at/all", false, true)]
    [InlineData("a**b", "axxb", false, true)]
    [InlineData("x/a**b", "x/ax/b", false, false)]
    // Classes.
    [InlineData("[abc].txt", "b.txt", false, true)]
    [InlineData("[abc].txt", "d.txt", false, false)]
    [InlineData("[a-c]x", "bx", false, true)]
    [InlineData("[a-c]x", "dx", false, false)]
    [InlineData("[!a]x", "bx", false, true)]
    [InlineData("[!a]x", "ax", false, false)]
    [InlineData("[^a]x", "bx", false, true)]
    [InlineData("[]]x", "]x", false, true)]
    [InlineData("[a-]x", "-x", false, true)]
    [InlineData("[\\]]x", "]x", false, true)]
    [InlineData("[[:digit:]]x", "5x", false, true)]
    [InlineData("[[:digit:]]x", "ax", false, false)]
    [InlineData("a[!b]c", "a/c", false, false)]
    // Escapes.
    [InlineData("\\*", "*", false, true)]
    [InlineData("\\*", "a", false, false)]
    [InlineData("\\#a", "#a", false, true)]
    [InlineData("\\!a", "!a", false, true)]
    [InlineData("a\\?", "a?", false, true)]
    [InlineData("a\\?", "ab", false, false)]
    [InlineData("\\[x]", "[x]", false, true)]
    public void Matches_like_gitignore(string pattern, string path, bool isDirectory, bool expected)
    {
        Assert.True(GlobPattern.TryParse(pattern, out GlobPattern? parsed, out string error), error);
        Assert.Equal(expected, parsed!.Matches(path, isDirectory));
    }

    [Theory]
    [InlineData("docs", "docs/a/b.txt", false, true)]
    [InlineData("docs", "x/docs/b.txt", false, true)]
    [InlineData("docs", "documents/b.txt", false, false)]
    [InlineData("/docs", "x/docs/b.txt", false, false)]
    [InlineData("docs/", "docs/b.txt", false, true)]
    [InlineData("docs/", "x/docs", false, false)]
    [InlineData("*.txt", "a/b/c.txt", false, true)]
    [InlineData("*.txt", "a/b/c.bin", false, false)]
    [InlineData("a/b", "a/b/c/d", false, true)]
    [InlineData("a/b", "a/bc/d", false, false)]
    [InlineData("a/*/c", "a/x/c/d.txt", false, true)]
    [InlineData("src/**/gen", "src/x/gen/y.cs", false, true)]
    [InlineData("src/**/gen", "src/x/y.cs", false, false)]
    public void Path_or_ancestor_selects_whole_folders(string pattern, string path, bool isDirectory, bool expected)
    {
        Assert.Equal(expected, GlobPattern.Parse(pattern).MatchesPathOrAncestor(path, isDirectory));
    }

    [Fact]
    public void Properties_reflect_the_syntax()
    {
        GlobPattern negated = GlobPattern.Parse("!keep/me/");
        Assert.True(negated.IsNegated);
        Assert.True(negated.IsDirectoryOnly);
        Assert.True(negated.IsAnchored);
        Assert.True(negated.Matches("keep/me", isDirectory: true));
        Assert.Equal("!keep/me/", negated.ToString());

        GlobPattern plain = GlobPattern.Parse("\\!x");
        Assert.False(plain.IsNegated);
        Assert.False(plain.IsAnchored);
        Assert.False(GlobPattern.Parse("name/").IsAnchored);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("!", "'!'")]
    [InlineData("/", "no file")]
    [InlineData("[abc", "closing ']'")]
    [InlineData("a[", "closing ']'")]
    [InlineData("abc\\", "lone")]
    [InlineData("[[:bogus:]]", "class name")]
    public void Invalid_patterns_are_reported(string pattern, string expectedInError)
    {
        Assert.False(GlobPattern.TryParse(pattern, out GlobPattern? parsed, out string error));
        Assert.Null(parsed);
        Assert.Contains(expectedInError, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Overlong_patterns_are_refused()
    {
        Assert.True(GlobPattern.TryParse(new string('a', GlobPattern.MaxLength), out _, out _));
        Assert.False(GlobPattern.TryParse(new string('a', GlobPattern.MaxLength + 1), out _, out string error));
        Assert.Contains("longer than 4096", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_path_never_matches()
    {
        Assert.False(GlobPattern.Parse("**").Matches("", false));
        Assert.False(GlobPattern.Parse("*").MatchesPathOrAncestor("", true));
    }
}
