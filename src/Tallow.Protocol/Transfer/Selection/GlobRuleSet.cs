// An ordered list of patterns read the way git reads one .gitignore file: the last pattern
// that matches decides, a '!' pattern re-includes, and nothing below an excluded folder can be
// re-included (git never looks inside it).
namespace Tallow.Protocol.Transfer.Selection;

/// <summary>What a rule list says about one path.</summary>
public enum RuleVerdict
{
    /// <summary>No rule matched: a rule list with lower precedence decides.</summary>
    NoMatch,

    /// <summary>The last matching rule excludes the path.</summary>
    Excluded,

    /// <summary>The last matching rule is a '!' rule: the path is included again.</summary>
    Included,
}

public sealed class GlobRuleSet
{
    private readonly GlobPattern[] _rules;

    public GlobRuleSet(IEnumerable<GlobPattern> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = [.. rules];
    }

    public static GlobRuleSet Empty { get; } = new([]);

    public IReadOnlyList<GlobPattern> Rules => _rules;

    public bool IsEmpty => _rules.Length == 0;

    /// <summary>The verdict of the last rule matching this path itself (its folders are not consulted).</summary>
    public RuleVerdict Evaluate(string relativePath, bool isDirectory)
    {
        for (int i = _rules.Length - 1; i >= 0; i--)
        {
            if (_rules[i].Matches(relativePath, isDirectory))
            {
                return _rules[i].IsNegated ? RuleVerdict.Included : RuleVerdict.Excluded;
            }
        }

        return RuleVerdict.NoMatch;
    }

    /// <summary>True when this path or one of the folders above it is excluded.</summary>
    public bool IsExcluded(string relativePath, bool isDirectory)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        int slash = relativePath.IndexOf('/');
        while (slash > 0)
        {
            if (Evaluate(relativePath[..slash], isDirectory: true) == RuleVerdict.Excluded)
            {
                return true;
            }

            slash = relativePath.IndexOf('/', slash + 1);
        }

        return Evaluate(relativePath, isDirectory) == RuleVerdict.Excluded;
    }
}
