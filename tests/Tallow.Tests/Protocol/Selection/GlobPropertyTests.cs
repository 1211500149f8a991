// Properties of GlobPattern: arbitrary pattern text never throws (parse or match), matching
// agrees with an independent translation of gitignore(5) to a .NET regex, and hostile patterns
// that make backtracking matchers exponential still finish with the right answer.
using System.Text;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using Tallow.Protocol.Transfer.Selection;

namespace Tallow.Tests.Protocol.Selection;

public class GlobPropertyTests
{
    private static readonly Config Many = Config.QuickThrowOnFailure.WithMaxTest(2000);

    private static readonly char[] HostileChars = ['a', 'b', '*', '?', '[', ']', '!', '^', '-', '\\', '/', ':', ' ', '#', 'é', '\uD83D', '\uDE00', '\0'];

    private static readonly string[] PatternPieces = ["a", "b", "*", "**", "?", "/", "[ab]", "[!a]", "[a-b]"];

    private static Gen<string> StringOf(char[] chars, int maxLength) =>
        from length in Gen.Choose(0, maxLength)
        from cs in Gen.ArrayOf(Gen.Elements(chars), length)
        select new string(cs);

    private static readonly Gen<string> WellFormedPath =
        from count in Gen.Choose(1, 4)
        from parts in Gen.ArrayOf(from n in Gen.Choose(1, 3) from cs in Gen.ArrayOf(Gen.Elements('a', 'b'), n) select new string(cs), count)
        select string.Join('/', parts);

    private static readonly Gen<string> SimplePattern =
        from count in Gen.Choose(1, 7)
        from pieces in Gen.ArrayOf(Gen.Elements(PatternPieces), count)
        select string.Concat(pieces);

    [Fact]
    public void Arbitrary_text_never_throws()
    {
        Gen<(string, string, bool)> cases =
            from pattern in StringOf(HostileChars, 40)
            from path in StringOf(HostileChars, 40)
            from isDirectory in Gen.Elements(true, false)
            select (pattern, path, isDirectory);
        Check.One(Many, Prop.ForAll(cases.ToArbitrary(), c =>
        {
            (string pattern, string path, bool isDirectory) = c;
            if (!GlobPattern.TryParse(pattern, out GlobPattern? parsed, out string error))
            {
                return parsed is null && error.Length > 0;
            }

            _ = parsed!.Matches(path, isDirectory);
            _ = parsed.MatchesPathOrAncestor(path, isDirectory);
            return true;
        }));
    }

    [Fact]
    public void Matching_agrees_with_a_regex_translation_of_gitignore()
    {
        Gen<(string, string, bool)> cases =
            from pattern in SimplePattern
            from path in WellFormedPath
            from isDirectory in Gen.Elements(true, false)
            select (pattern, path, isDirectory);
        Check.One(Many, Prop.ForAll(cases.ToArbitrary(), c =>
        {
            (string pattern, string path, bool isDirectory) = c;
            if (!GlobPattern.TryParse(pattern, out GlobPattern? parsed, out _))
            {
                return pattern.Trim('/').Length == 0;
            }

            bool expectedSelf = Oracle(pattern, path, isDirectory);
            bool expectedAncestor = expectedSelf || Enumerable.Range(0, path.Length).Any(i => path[i] == '/' && Oracle(pattern, path[..i], true));
            return parsed!.Matches(path, isDirectory) == expectedSelf
                && parsed.MatchesPathOrAncestor(path, isDirectory) == expectedAncestor;
        }).Label("pattern vs regex oracle"));
    }

    [Theory]
    [InlineData(50, 5000)]
    [InlineData(1000, 3000)]
    public void Many_stars_against_a_long_name_finish_with_the_right_answer(int stars, int length)
    {
        var pattern = new StringBuilder();
        for (int i = 0; i < stars; i++)
        {
            pattern.Append("a*");
        }

        GlobPattern glob = GlobPattern.Parse(pattern.Append('b').ToString());
        string name = new('a', length);
        Assert.False(glob.Matches(name, false));
        Assert.False(glob.MatchesPathOrAncestor("x/" + name + "/y", false));
        Assert.True(glob.Matches(name + "b", false));
    }

    [Fact]
    public void Many_double_stars_against_a_deep_path_finish_with_the_right_answer()
    {
        string pattern = string.Concat(Enumerable.Repeat("**/a/", 300)) + "b";
        string deep = string.Concat(Enumerable.Repeat("a/", 2000));
        GlobPattern glob = GlobPattern.Parse(pattern);
        Assert.False(glob.Matches(deep + "c", false));
        Assert.True(glob.Matches(deep + "b", false));
        Assert.False(glob.MatchesPathOrAncestor(deep + "c", false));
    }

    [Fact]
    public void The_longest_pattern_against_a_long_path_finishes()
    {
        string pattern = string.Concat(Enumerable.Repeat("*?", GlobPattern.MaxLength / 2));
        GlobPattern glob = GlobPattern.Parse(pattern);
        Assert.True(glob.Matches(new string('x', 4096), false));
        Assert.False(glob.Matches(new string('x', 2047), false));
    }

    /// <summary>gitignore(5) written as a regex, independently of the tokenizer under test.</summary>
    private static bool Oracle(string pattern, string path, bool isDirectory)
    {
        bool directoryOnly = pattern.EndsWith('/');
        string body = pattern.TrimEnd('/');
        bool anchored = body.Contains('/', StringComparison.Ordinal);
        body = body.TrimStart('/');
        if (directoryOnly && !isDirectory)
        {
            return false;
        }

        string subject = anchored ? path : path[(path.LastIndexOf('/') + 1)..];
        return Regex.IsMatch(subject, "^" + ToRegex(body) + "$", RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
    }

    private static string ToRegex(string body)
    {
        var sb = new StringBuilder();
        int i = 0;
        while (i < body.Length)
        {
            char c = body[i];
            if (c == '*')
            {
                int j = i;
                while (j < body.Length && body[j] == '*')
                {
                    j++;
                }

                bool wholeComponent = j - i >= 2 && (i == 0 || body[i - 1] == '/') && (j == body.Length || body[j] == '/');
                if (wholeComponent && j == body.Length)
                {
                    sb.Append(".*");
                }
                else if (wholeComponent)
                {
                    sb.Append("(?:.*/)?");
                    j++;
                }
                else
                {
                    sb.Append("[^/]*");
                }

                i = j;
            }
            else if (c == '[')
            {
                int close = body.IndexOf(']', i + 1);
                string inner = body[(i + 1)..close];
                sb.Append(inner.StartsWith('!') ? "[^/" + inner[1..] + "]" : "[" + inner + "]");
                i = close + 1;
            }
            else
            {
                sb.Append(c == '?' ? "[^/]" : Regex.Escape(c.ToString()));
                i++;
            }
        }

        return sb.ToString();
    }
}
