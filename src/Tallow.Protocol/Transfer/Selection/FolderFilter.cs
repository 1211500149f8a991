// The filter in effect inside one folder of a sent tree, built while the scanner walks down.
// Precedence, highest first (first rule list with a matching rule decides, gitignore(5)):
//   1. --exclude patterns (relative to the input folder);
//   2. with --git: the .gitignore of this folder, then of each folder above it, up to the
//      work-tree root (above the input folder too); a nested repository starts afresh;
//   3. with --git: the work tree's .git/info/exclude.
// With --git every entry named ".git" is skipped. The scanner never descends into an excluded
// folder, which is what makes "a file under an excluded folder cannot be re-included" hold.
namespace Tallow.Protocol.Transfer.Selection;

public sealed class FolderFilter
{
    private readonly PathFilter _owner;
    private readonly string _fullPath;
    private readonly string _relative;
    private readonly RuleLayer[] _gitLayers;
    private readonly RuleLayer[] _infoLayers;

    internal FolderFilter(PathFilter owner, string fullPath, string relative, RuleLayer[] gitLayers, RuleLayer[] infoLayers)
    {
        _owner = owner;
        _fullPath = fullPath;
        _relative = relative;
        _gitLayers = gitLayers;
        _infoLayers = infoLayers;
    }

    /// <summary>True when the entry <paramref name="name"/> of this folder is left out.</summary>
    public bool Excludes(string name, bool isDirectory)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_owner.GitMode && name == GitWorkTree.GitFolderName)
        {
            return true;
        }

        string relative = _relative + name;
        RuleVerdict verdict = _owner.Excludes.Evaluate(relative, isDirectory);
        if (verdict != RuleVerdict.NoMatch)
        {
            return verdict == RuleVerdict.Excluded;
        }

        foreach (RuleLayer layer in _gitLayers)
        {
            verdict = layer.Evaluate(relative, isDirectory);
            if (verdict != RuleVerdict.NoMatch)
            {
                return verdict == RuleVerdict.Excluded;
            }
        }

        foreach (RuleLayer layer in _infoLayers)
        {
            verdict = layer.Evaluate(relative, isDirectory);
            if (verdict != RuleVerdict.NoMatch)
            {
                return verdict == RuleVerdict.Excluded;
            }
        }

        return false;
    }

    /// <summary>
    /// The filter for the (not excluded) subfolder <paramref name="name"/>; with --git it reads
    /// that folder's ignore files, telling <paramref name="notice"/> (this folder's, so notices
    /// keep the tree's order when folders are scanned at once) what it could not read.
    /// </summary>
    public FolderFilter Enter(string name, Action<string> notice)
    {
        ArgumentNullException.ThrowIfNull(name);
        string full = Path.Combine(_fullPath, name);
        string relative = _relative + name + "/";
        if (!_owner.GitMode)
        {
            return new FolderFilter(_owner, full, relative, _gitLayers, _infoLayers);
        }

        var gitLayers = new List<RuleLayer>();
        PathFilter.AddLayer(gitLayers, GitIgnoreFile.Read(Path.Combine(full, ".gitignore"), notice), string.Empty, relative.Length);
        var infoLayers = new List<RuleLayer>();
        if (GitWorkTree.IsRoot(full))
        {
            // A repository inside the tree: git does not apply the outer repository's rules there.
            if (GitWorkTree.InfoExcludePath(full) is string exclude)
            {
                PathFilter.AddLayer(infoLayers, GitIgnoreFile.Read(exclude, notice), string.Empty, relative.Length);
            }
        }
        else
        {
            gitLayers.AddRange(_gitLayers);
            infoLayers.AddRange(_infoLayers);
        }

        return new FolderFilter(_owner, full, relative, [.. gitLayers], [.. infoLayers]);
    }
}
