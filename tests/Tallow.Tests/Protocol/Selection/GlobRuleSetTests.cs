// GlobRuleSet: the last matching rule wins, '!' re-includes, and nothing below an excluded
// folder comes back.
using Tallow.Protocol.Transfer.Selection;

namespace Tallow.Tests.Protocol.Selection;

public class GlobRuleSetTests
{
    private static GlobRuleSet Rules(params string[] patterns) => new(patterns.Select(GlobPattern.Parse));

    [Fact]
    public void Negation_after_a_match_re_includes()
    {
        GlobRuleSet rules = Rules("*.log", "!keep.log");
        Assert.True(rules.IsExcluded("a.log", false));
        Assert.True(rules.IsExcluded("x/a.log", false));
        Assert.False(rules.IsExcluded("keep.log", false));
        Assert.False(rules.IsExcluded("x/keep.log", false));
        Assert.False(rules.IsExcluded("a.txt", false));
        Assert.Equal(RuleVerdict.Included, rules.Evaluate("keep.log", false));
        Assert.Equal(RuleVerdict.NoMatch, rules.Evaluate("a.txt", false));
    }

    [Fact]
    public void The_last_matching_rule_wins()
    {
        GlobRuleSet rules = Rules("!keep.log", "*.log");
        Assert.True(rules.IsExcluded("keep.log", false));
    }

    [Fact]
    public void Nothing_under_an_excluded_folder_can_be_re_included()
    {
        GlobRuleSet rules = Rules("build/", "!build/keep.txt");
        Assert.True(rules.IsExcluded("build", true));
        Assert.True(rules.IsExcluded("build/keep.txt", false));
        Assert.Equal(RuleVerdict.Included, rules.Evaluate("build/keep.txt", false));
    }

    [Fact]
    public void Excluding_the_contents_instead_of_the_folder_allows_re_including()
    {
        GlobRuleSet rules = Rules("build/*", "!build/keep.txt");
        Assert.False(rules.IsExcluded("build", true));
        Assert.False(rules.IsExcluded("build/keep.txt", false));
        Assert.True(rules.IsExcluded("build/other.txt", false));
    }

    [Fact]
    public void An_empty_set_excludes_nothing()
    {
        Assert.True(GlobRuleSet.Empty.IsEmpty);
        Assert.False(GlobRuleSet.Empty.IsExcluded("a/b", false));
    }
}
