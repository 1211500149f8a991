// What the sender leaves out of a folder (DESIGN.md §8, §12 `send --exclude/--git`): repeatable
// --exclude patterns, relative to each folder named on the command line, and with --git the
// rules git itself uses for untracked files (see FolderFilter). A filter only ever applies to a
// folder's contents: the files and folders named on the command line are always sent.
namespace Tallow.Protocol.Transfer.Selection;

public sealed class PathFilter
{
    public PathFilter(IReadOnlyList<GlobPattern> excludes, bool gitMode)
    {
        ArgumentNullException.ThrowIfNull(excludes);
        Excludes = new GlobRuleSet(excludes);
        GitMode = gitMode;
    }

    /// <summary>The --exclude patterns, in order (a later '!' pattern re-includes).</summary>
    public GlobRuleSet Excludes { get; }

    /// <summary>Skip .git and honour .gitignore files and info/exclude.</summary>
    public bool GitMode { get; }

    /// <summary>True when nothing would ever be excluded.</summary>
    public bool IsEmpty => Excludes.IsEmpty && !GitMode;

    /// <summary>Parses every --exclude pattern; false with an error naming the first bad one.</summary>
    public static bool TryCreate(IEnumerable<string> excludePatterns, bool gitMode, out PathFilter? filter, out string error)
    {
        ArgumentNullException.ThrowIfNull(excludePatterns);
        var patterns = new List<GlobPattern>();
        foreach (string text in excludePatterns)
        {
            if (!GlobPattern.TryParse(text, out GlobPattern? pattern, out string reason))
            {
                filter = null;
                error = $"--exclude '{PathSanitizer.Printable(text.Length > 80 ? text[..80] + "…" : text)}' is not a valid pattern: {reason}.";
                return false;
            }

            patterns.Add(pattern!);
        }

        filter = new PathFilter(patterns, gitMode);
        error = string.Empty;
        return true;
    }

    /// <summary>
    /// The filter for the contents of the folder at <paramref name="folderFullPath"/>, one of the
    /// inputs. With --git it reads the ignore files of the work tree above it (if any) now;
    /// <paramref name="notice"/> receives the files it skips.
    /// </summary>
    public FolderFilter ForFolder(string folderFullPath, Action<string> notice)
    {
        ArgumentNullException.ThrowIfNull(folderFullPath);
        ArgumentNullException.ThrowIfNull(notice);
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folderFullPath));
        if (!GitMode)
        {
            return new FolderFilter(this, full, string.Empty, [], []);
        }

        var gitLayers = new List<RuleLayer>();
        var infoLayers = new List<RuleLayer>();
        AddLayer(gitLayers, GitIgnoreFile.Read(Path.Combine(full, ".gitignore"), notice), string.Empty, 0);
        string? root = GitWorkTree.IsRoot(full) ? full : GitWorkTree.FindEnclosingRoot(full);
        if (root is not null && root != full)
        {
            // The .gitignore files between the work-tree root and the input apply too, with the
            // input's path below each of them put in front of every path tested.
            for (string? dir = Path.GetDirectoryName(full); dir is not null; dir = Path.GetDirectoryName(dir))
            {
                AddLayer(gitLayers, GitIgnoreFile.Read(Path.Combine(dir, ".gitignore"), notice), PrefixFrom(dir, full), 0);
                if (dir == root)
                {
                    break;
                }
            }
        }

        if (root is not null && GitWorkTree.InfoExcludePath(root) is string exclude)
        {
            AddLayer(infoLayers, GitIgnoreFile.Read(exclude, notice), root == full ? string.Empty : PrefixFrom(root, full), 0);
        }

        return new FolderFilter(this, full, string.Empty, [.. gitLayers], [.. infoLayers]);
    }

    internal static void AddLayer(List<RuleLayer> layers, GlobRuleSet rules, string prepend, int strip)
    {
        if (!rules.IsEmpty)
        {
            layers.Add(new RuleLayer(rules, prepend, strip));
        }
    }

    /// <summary>"a/b/" when <paramref name="folder"/> is <paramref name="ancestor"/>/a/b.</summary>
    private static string PrefixFrom(string ancestor, string folder) =>
        Path.GetRelativePath(ancestor, folder).Replace(Path.DirectorySeparatorChar, '/') + "/";
}

/// <summary>
/// A rule list and where its base folder is: a path relative to the input folder becomes
/// <c>Prepend + path[Strip..]</c> relative to the folder that holds the rules.
/// </summary>
internal sealed record RuleLayer(GlobRuleSet Rules, string Prepend, int Strip)
{
    public RuleVerdict Evaluate(string relativeToInput, bool isDirectory) =>
        Rules.Evaluate(Prepend + relativeToInput[Strip..], isDirectory);
}
