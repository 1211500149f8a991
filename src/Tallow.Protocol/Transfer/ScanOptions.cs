// How SourceScanner walks the inputs: whether symlinks are followed, and what is left out of
// folders (--exclude, --git). The defaults send everything that is not a symlink.
using Tallow.Protocol.Transfer.Selection;

namespace Tallow.Protocol.Transfer;

public sealed record ScanOptions
{
    /// <summary>Send what symlinks point to (default: skip symlinks with a notice).</summary>
    public bool FollowSymlinks { get; init; }

    /// <summary>What to leave out of folder inputs (default: nothing). Inputs named explicitly are always sent.</summary>
    public PathFilter? Filter { get; init; }
}
