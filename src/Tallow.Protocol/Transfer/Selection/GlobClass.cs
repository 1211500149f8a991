// A bracket expression of a glob: "[abc]", "[a-z]", "[!x]" / "[^x]", "[]x]" (a ']' first is a
// member), "\]" escapes, and the POSIX names "[[:alpha:]]" etc. that git's wildmatch knows.
// A class never matches '/', negated or not.
using System.Globalization;
using System.Text;

namespace Tallow.Protocol.Transfer.Selection;

internal sealed class GlobClass
{
    private readonly List<(int Low, int High)> _ranges;
    private readonly List<Func<Rune, bool>> _named;
    private readonly bool _negated;

    private GlobClass(List<(int Low, int High)> ranges, List<Func<Rune, bool>> named, bool negated)
    {
        _ranges = ranges;
        _named = named;
        _negated = negated;
    }

    public bool Contains(int scalar)
    {
        if (scalar == '/')
        {
            return false;
        }

        bool member = false;
        foreach ((int low, int high) in _ranges)
        {
            if (scalar >= low && scalar <= high)
            {
                member = true;
                break;
            }
        }

        if (!member && _named.Count > 0 && Rune.IsValid(scalar))
        {
            var rune = new Rune(scalar);
            member = _named.Exists(test => test(rune));
        }

        return member != _negated;
    }

    /// <summary>Parses the class starting at the '[' at <paramref name="i"/>; on success <paramref name="i"/> is past its ']'.</summary>
    public static bool TryParse(string body, ref int i, out GlobClass? result, out string error)
    {
        int open = i;
        int j = i + 1;
        bool negated = j < body.Length && body[j] is '!' or '^';
        if (negated)
        {
            j++;
        }

        var ranges = new List<(int, int)>();
        var named = new List<Func<Rune, bool>>();
        bool first = true;
        while (j < body.Length && (body[j] != ']' || first))
        {
            first = false;
            if (body[j] == '[' && j + 1 < body.Length && body[j + 1] == ':')
            {
                int close = body.IndexOf(":]", j + 2, StringComparison.Ordinal);
                if (close >= 0)
                {
                    string name = body[(j + 2)..close];
                    Func<Rune, bool>? test = NamedClass(name);
                    if (test is null)
                    {
                        result = null;
                        error = $"'[:{name}:]' at position {j + 1} is not a character class name (use alpha, digit, alnum, upper, lower, space, blank, punct, xdigit, cntrl, graph or print)";
                        return false;
                    }

                    named.Add(test);
                    j = close + 2;
                    continue;
                }
            }

            if (!TryReadMember(body, ref j, out int low))
            {
                break;
            }

            int high = low;
            if (j + 1 < body.Length && body[j] == '-' && body[j + 1] != ']')
            {
                j++;
                if (!TryReadMember(body, ref j, out high))
                {
                    break;
                }
            }

            ranges.Add((low, high));
        }

        if (j >= body.Length)
        {
            result = null;
            error = $"the '[' at position {open + 1} has no closing ']' (write '\\[' for a literal bracket)";
            return false;
        }

        i = j + 1;
        result = new GlobClass(ranges, named, negated);
        error = string.Empty;
        return true;
    }

    /// <summary>One member character, '\' escapes allowed; false at the end of the text.</summary>
    private static bool TryReadMember(string body, ref int j, out int scalar)
    {
        if (body[j] == '\\')
        {
            j++;
            if (j >= body.Length)
            {
                scalar = 0;
                return false;
            }
        }

        scalar = GlobTokenizer.ReadScalar(body, ref j);
        return true;
    }

    private static Func<Rune, bool>? NamedClass(string name) => name switch
    {
        "alpha" => Rune.IsLetter,
        "digit" => r => r.Value is >= '0' and <= '9',
        "alnum" => r => Rune.IsLetter(r) || r.Value is >= '0' and <= '9',
        "upper" => Rune.IsUpper,
        "lower" => Rune.IsLower,
        "space" => Rune.IsWhiteSpace,
        "blank" => r => r.Value is ' ' or '\t',
        "punct" => r => r.IsAscii && (Rune.IsPunctuation(r) || Rune.IsSymbol(r)),
        "xdigit" => r => r.Value is (>= '0' and <= '9') or (>= 'a' and <= 'f') or (>= 'A' and <= 'F'),
        "cntrl" => Rune.IsControl,
        "graph" => r => !Rune.IsWhiteSpace(r) && !Rune.IsControl(r) && Rune.GetUnicodeCategory(r) != UnicodeCategory.Format,
        "print" => r => !Rune.IsControl(r),
        _ => null,
    };
}
