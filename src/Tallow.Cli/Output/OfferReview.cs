// What a Files offer would do to the output folder, looked at before it is accepted (threat model,
// "Malicious peer": a sender choosing where its files land). Per top-level entry (the first path
// component, as it lands in --out): files, bytes, a hidden name (starting with '.'), hidden names
// inside it, executable files (any x bit in the offered mode), whether something of that name is
// already here (a folder is merged into), and with --overwrite how many existing files it replaces.
// The rule --yes enforces (HiddenIntoExisting): a hidden name that would be created in, or merged
// into, a folder that exists before the transfer — the --out folder itself (so every hidden
// top-level entry, whether or not --out exists yet) or a folder already inside it. That is how
// `.config/autostart`, `.git/hooks`, `.ssh/authorized_keys`, `.bashrc` or `proj/.git/hooks` (into
// an existing `proj`) get planted; hidden names inside folders the transfer creates are only shown.
// Only the disk is read (stat per distinct folder, once); nothing is created.
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Cli.Output;

/// <summary>One top-level entry of an offer and what it would do here.</summary>
internal sealed record TopLevelEntry(string Name, bool IsFolder, int Files, ulong Bytes, bool Hidden, int HiddenInside, int Executables, bool Exists, int Replaces);

internal sealed partial class OfferReview
{
    /// <summary>Any execute bit (0o111) in an offered mode.</summary>
    private const uint ExecuteBits = 0x49;

    private OfferReview(IReadOnlyList<TopLevelEntry> entries, IReadOnlyList<string> hiddenIntoExisting)
    {
        Entries = entries;
        HiddenIntoExisting = hiddenIntoExisting;
    }

    /// <summary>Top-level entries in offer order.</summary>
    public IReadOnlyList<TopLevelEntry> Entries { get; }

    /// <summary>
    /// The hidden names ('/'-separated paths up to and including the hidden component, in offer
    /// order, each once) that would land in a folder that already exists; --yes refuses the offer
    /// while there is one, unless --allow-hidden.
    /// </summary>
    public IReadOnlyList<string> HiddenIntoExisting { get; }

    /// <summary>
    /// Looks at the offered entries that <paramref name="include"/> takes (all when null) against
    /// <paramref name="root"/> (the --out folder; it may not exist yet). <paramref name="overwrite"/>:
    /// count the existing files that would be replaced.
    /// </summary>
    public static OfferReview Create(TransferOffer offer, string root, bool overwrite, Func<int, OfferEntry, bool>? include = null)
    {
        root = Path.GetFullPath(root);
        var folders = new FolderCache(root);
        var order = new List<string>();
        var tops = new Dictionary<string, Builder>(StringComparer.Ordinal);
        Dictionary<string, Builder>.AlternateLookup<ReadOnlySpan<char>> topsByName = tops.GetAlternateLookup<ReadOnlySpan<char>>();
        var hidden = new List<string>();
        var hiddenSeen = new HashSet<string>(StringComparer.Ordinal);
        for (int index = 0; index < offer.Entries.Count; index++)
        {
            OfferEntry entry = offer.Entries[index];
            if (include is not null && !include(index, entry))
            {
                continue;
            }

            // Paths are validated (no empty component): looked at in place, not split (100,000 entries).
            string path = entry.Path;
            int firstSlash = path.IndexOf('/');
            ReadOnlySpan<char> topName = firstSlash < 0 ? path : path.AsSpan(0, firstSlash);
            if (!topsByName.TryGetValue(topName, out Builder? top))
            {
                string name = topName.ToString();
                top = new Builder(name) { Exists = Present(Path.Combine(root, name)) };
                tops[name] = top;
                order.Add(name);
            }

            top.Add(entry, nested: firstSlash >= 0);
            string? landing = HiddenLanding(path, folders);
            if (landing is not null && hiddenSeen.Add(landing))
            {
                hidden.Add(landing);
            }

            int lastSlash = path.LastIndexOf('/');
            if (overwrite && entry.Type == EntryType.File && (lastSlash < 0 || folders.Exists(path.AsSpan(0, lastSlash))) && File.Exists(Path.Combine(root, path)))
            {
                top.Replaces++;
            }
        }

        return new OfferReview([.. order.Select(name => tops[name].Build())], hidden);
    }

    /// <summary>
    /// The path up to the first hidden component whose parent folder exists (the root always
    /// counts), or null: the walk stops at the first folder that does not exist yet.
    /// </summary>
    private static string? HiddenLanding(string path, FolderCache folders)
    {
        for (int start = 0; ;)
        {
            int slash = path.IndexOf('/', start);
            int end = slash < 0 ? path.Length : slash;
            if (path[start] == '.')
            {
                return path[..end];
            }

            if (slash < 0 || !folders.Exists(path.AsSpan(0, end)))
            {
                return null;
            }

            start = slash + 1;
        }
    }

    /// <summary>Whether a relative folder path names an existing real folder (a symlink is not one): one stat per distinct folder.</summary>
    private sealed class FolderCache(string root)
    {
        private readonly Dictionary<string, bool> _exists = new(StringComparer.Ordinal);

        public bool Exists(ReadOnlySpan<char> relative)
        {
            if (!_exists.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(relative, out bool exists))
            {
                string full = Path.Join(root, relative);
                exists = Directory.Exists(full) && !IsLink(full);
                _exists[relative.ToString()] = exists;
            }

            return exists;
        }
    }

    private static bool Present(string path) => File.Exists(path) || Directory.Exists(path) || IsLink(path);

    private static bool IsLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget is not null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private sealed class Builder(string name)
    {
        private bool _folder;
        private int _files;
        private ulong _bytes;
        private int _hiddenInside;
        private int _executables;

        public bool Exists { get; init; }

        public int Replaces { get; set; }

        /// <summary>Counts an entry of this top-level name (<paramref name="nested"/>: inside it, not the name itself).</summary>
        public void Add(OfferEntry entry, bool nested)
        {
            _folder |= nested || entry.Type == EntryType.Directory;
            if (nested && entry.Path.Contains("/.", StringComparison.Ordinal)) // a component after the first starts with '.'
            {
                _hiddenInside++;
            }

            if (entry.Type == EntryType.File)
            {
                _files++;
                _bytes += entry.Size == TransferOffer.UnknownSize ? 0 : entry.Size;
                if ((entry.Mode & ExecuteBits) != 0)
                {
                    _executables++;
                }
            }
        }

        public TopLevelEntry Build() => new(name, _folder, _files, _bytes, name.StartsWith('.'), _hiddenInside, _executables, Exists, Replaces);
    }
}
