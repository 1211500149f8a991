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
        var folders = new Dictionary<string, bool>(StringComparer.Ordinal); // relative folder path → exists as a real folder
        var order = new List<string>();
        var tops = new Dictionary<string, Builder>(StringComparer.Ordinal);
        var hidden = new List<string>();
        var hiddenSeen = new HashSet<string>(StringComparer.Ordinal);
        string[]? previous = null;
        for (int index = 0; index < offer.Entries.Count; index++)
        {
            OfferEntry entry = offer.Entries[index];
            if (include is not null && !include(index, entry))
            {
                continue;
            }

            string[] parts = PathSanitizer.SplitLike(entry.Path, previous);
            previous = parts;
            if (!tops.TryGetValue(parts[0], out Builder? top))
            {
                top = new Builder(parts[0]) { Exists = Present(Path.Combine(root, parts[0])) };
                tops[parts[0]] = top;
                order.Add(parts[0]);
            }

            top.Add(entry, parts);
            string? landing = HiddenLanding(parts, root, folders);
            if (landing is not null && hiddenSeen.Add(landing))
            {
                hidden.Add(landing);
            }

            if (overwrite && entry.Type == EntryType.File && AllFoldersExist(parts, parts.Length - 1, root, folders) && File.Exists(Path.Combine(root, entry.Path)))
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
    private static string? HiddenLanding(string[] parts, string root, Dictionary<string, bool> folders)
    {
        for (int i = 0; i < parts.Length; i++)
        {
            if (parts[i].StartsWith('.'))
            {
                return string.Join('/', parts, 0, i + 1);
            }

            bool isLast = i == parts.Length - 1;
            if (isLast || !FolderExists(parts, i + 1, root, folders))
            {
                return null;
            }
        }

        return null;
    }

    private static bool AllFoldersExist(string[] parts, int count, string root, Dictionary<string, bool> folders) =>
        count == 0 || FolderExists(parts, count, root, folders);

    /// <summary>Whether the first <paramref name="count"/> components name an existing real folder (cached; a symlink is not one).</summary>
    private static bool FolderExists(string[] parts, int count, string root, Dictionary<string, bool> folders)
    {
        string relative = string.Join('/', parts, 0, count);
        if (!folders.TryGetValue(relative, out bool exists))
        {
            string full = Path.Combine(root, relative);
            exists = Directory.Exists(full) && !IsLink(full);
            folders[relative] = exists;
        }

        return exists;
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

        public void Add(OfferEntry entry, string[] parts)
        {
            _folder |= parts.Length > 1 || entry.Type == EntryType.Directory;
            for (int i = 1; i < parts.Length; i++)
            {
                if (parts[i].StartsWith('.'))
                {
                    _hiddenInside++;
                    break;
                }
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
