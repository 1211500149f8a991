// GitIgnoreFile: the .gitignore line rules of gitignore(5) (comments, blanks, CRLF, trailing
// spaces, escapes), bad lines and oversized or symlinked files skipped with a notice.
using Tallow.Protocol.Transfer.Selection;

namespace Tallow.Tests.Protocol.Selection;

public class GitIgnoreFileTests
{
    [Fact]
    public void Comments_blank_lines_crlf_and_escapes()
    {
        var notices = new List<string>();
        GlobRuleSet rules = GitIgnoreFile.Parse("\uFEFF# a comment\r\n\r\n*.log\r\n\\#hash\r\n\\!bang\r\n!keep.log\r\n   \r\n", ".gitignore", notices.Add);
        Assert.Empty(notices);
        Assert.Equal(["*.log", "\\#hash", "\\!bang", "!keep.log"], rules.Rules.Select(r => r.Text));
        Assert.True(rules.IsExcluded("#hash", false));
        Assert.True(rules.IsExcluded("!bang", false));
        Assert.False(rules.IsExcluded("keep.log", false));
        Assert.False(rules.IsExcluded("# a comment", false));
    }

    [Theory]
    [InlineData("a  ", "a")]
    [InlineData("a\\ ", "a\\ ")]
    [InlineData("a\\  ", "a\\ ")]
    [InlineData("a \\\\ ", "a \\\\")]
    [InlineData("  a", "  a")]
    public void Trailing_spaces_are_dropped_unless_escaped(string line, string expected)
    {
        Assert.Equal(expected, GitIgnoreFile.TrimTrailingSpaces(line));
    }

    [Fact]
    public void An_escaped_trailing_space_is_part_of_the_name()
    {
        GlobRuleSet rules = GitIgnoreFile.Parse("name\\ \n", "x", _ => { });
        Assert.True(rules.IsExcluded("name ", false));
        Assert.False(rules.IsExcluded("name", false));
    }

    [Fact]
    public void A_bad_line_is_skipped_with_a_notice_and_the_rest_still_applies()
    {
        var notices = new List<string>();
        GlobRuleSet rules = GitIgnoreFile.Parse("[oops\n*.tmp\n", "sub/.gitignore", notices.Add);
        Assert.Single(rules.Rules);
        string notice = Assert.Single(notices);
        Assert.Contains("line 1 of 'sub/.gitignore'", notice, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_oversized_and_symlinked_files_give_no_rules()
    {
        using var dir = new TempDir();
        var notices = new List<string>();
        Assert.True(GitIgnoreFile.Read(dir.Combine("absent"), notices.Add).IsEmpty);
        Assert.Empty(notices);

        string big = dir.Combine("big");
        File.WriteAllText(big, "*.log\n" + new string('#', GitIgnoreFile.MaxBytes));
        Assert.True(GitIgnoreFile.Read(big, notices.Add).IsEmpty);
        Assert.Contains("larger than 1 MiB", Assert.Single(notices), StringComparison.Ordinal);

        string real = dir.Combine("real");
        File.WriteAllText(real, "*.log\n");
        File.CreateSymbolicLink(dir.Combine("link"), real);
        notices.Clear();
        Assert.True(GitIgnoreFile.Read(dir.Combine("link"), notices.Add).IsEmpty);
        Assert.Contains("symlink", Assert.Single(notices), StringComparison.Ordinal);
        Assert.Single(GitIgnoreFile.Read(real, notices.Add).Rules);
    }
}
