// One gitignore-style pattern (gitignore(5), git's wildmatch): '*' and '?' never cross '/',
// '**' spans directories in the forms "**/x", "x/**" and "a/**/b", "[...]" classes, '\' escapes.
// A pattern with no '/' (a trailing one aside) matches a name at any depth; any other '/' anchors
// it to the base folder; a trailing '/' matches folders only; a leading '!' marks a re-include.
// Parsing is bounded (MaxLength) and reports errors; matching is O(pattern × path) and never throws.
namespace Tallow.Protocol.Transfer.Selection;

public sealed class GlobPattern
{
    /// <summary>Longest pattern accepted, in UTF-16 code units.</summary>
    public const int MaxLength = 4096;

    private readonly GlobMatcher _matcher;

    private GlobPattern(string text, GlobMatcher matcher, bool negated, bool directoryOnly, bool anchored)
    {
        Text = text;
        _matcher = matcher;
        IsNegated = negated;
        IsDirectoryOnly = directoryOnly;
        IsAnchored = anchored;
    }

    /// <summary>The pattern as it was written.</summary>
    public string Text { get; }

    /// <summary>Written with a leading '!': a match re-includes instead of excluding.</summary>
    public bool IsNegated { get; }

    /// <summary>Written with a trailing '/': only folders match.</summary>
    public bool IsDirectoryOnly { get; }

    /// <summary>Holds a leading or middle '/': matched against the whole relative path, not just a name.</summary>
    public bool IsAnchored { get; }

    /// <summary>Parses <paramref name="text"/>; false with a human-readable <paramref name="error"/> when it is not a valid pattern.</summary>
    public static bool TryParse(string? text, out GlobPattern? pattern, out string error)
    {
        pattern = null;
        if (string.IsNullOrEmpty(text))
        {
            error = "the pattern is empty";
            return false;
        }

        if (text.Length > MaxLength)
        {
            error = $"the pattern is longer than {MaxLength} characters";
            return false;
        }

        bool negated = text[0] == '!';
        string body = negated ? text[1..] : text;
        bool directoryOnly = body.EndsWith('/') && !EndsWithEscapedSlash(body);
        body = directoryOnly ? body.TrimEnd('/') : body;
        bool anchored = body.Contains('/', StringComparison.Ordinal);
        body = body.TrimStart('/');
        if (body.Length == 0)
        {
            error = negated ? "'!' must be followed by a pattern" : "the pattern names no file or folder";
            return false;
        }

        if (!GlobTokenizer.TryTokenize(body, out GlobToken[] tokens, out error))
        {
            return false;
        }

        pattern = new GlobPattern(text, new GlobMatcher(tokens), negated, directoryOnly, anchored);
        return true;
    }

    /// <summary>Parses <paramref name="text"/> or throws <see cref="ArgumentException"/> (for tests and constants).</summary>
    public static GlobPattern Parse(string text) =>
        TryParse(text, out GlobPattern? pattern, out string error) ? pattern! : throw new ArgumentException($"invalid pattern '{text}': {error}", nameof(text));

    /// <summary>
    /// True when the pattern matches <paramref name="relativePath"/> ('/'-separated, relative to the
    /// pattern's base folder, no leading '/'). Negation is not applied here: see <see cref="IsNegated"/>.
    /// </summary>
    public bool Matches(string relativePath, bool isDirectory)
    {
        if (string.IsNullOrEmpty(relativePath) || (IsDirectoryOnly && !isDirectory))
        {
            return false;
        }

        return IsAnchored ? _matcher.MatchesWhole(relativePath) : _matcher.MatchesWhole(LastComponent(relativePath));
    }

    /// <summary>
    /// True when the pattern matches <paramref name="relativePath"/> or one of the folders above it
    /// (so "docs" selects everything under docs/, and "*.txt" every .txt file at any depth).
    /// </summary>
    public bool MatchesPathOrAncestor(string relativePath, bool isDirectory)
    {
        if (string.IsNullOrEmpty(relativePath))
        {
            return false;
        }

        if (IsAnchored)
        {
            // Every prefix that ends before a '/' is a folder, so the folder-only rule holds there.
            int lastSlash = relativePath.LastIndexOf('/');
            if (lastSlash > 0 && _matcher.MatchesWholeOrDirectoryPrefix(relativePath.AsSpan(0, lastSlash)))
            {
                return true;
            }

            return Matches(relativePath, isDirectory);
        }

        int start = 0;
        while (true)
        {
            int slash = relativePath.IndexOf('/', start);
            bool last = slash < 0;
            ReadOnlySpan<char> name = last ? relativePath.AsSpan(start) : relativePath.AsSpan(start, slash - start);
            if ((!IsDirectoryOnly || !last || isDirectory) && name.Length > 0 && _matcher.MatchesWhole(name))
            {
                return true;
            }

            if (last)
            {
                return false;
            }

            start = slash + 1;
        }
    }

    public override string ToString() => Text;

    private static ReadOnlySpan<char> LastComponent(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash < 0 ? path : path.AsSpan(slash + 1);
    }

    /// <summary>"a\/" ends with an escaped '/', which is a literal character, not the folder-only marker.</summary>
    private static bool EndsWithEscapedSlash(string body)
    {
        int backslashes = 0;
        for (int i = body.Length - 2; i >= 0 && body[i] == '\\'; i--)
        {
            backslashes++;
        }

        return backslashes % 2 == 1;
    }
}
