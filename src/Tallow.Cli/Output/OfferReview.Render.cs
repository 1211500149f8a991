// How an OfferReview is shown: the lines of the receive prompt (every top-level entry with its
// marks, up to a screenful, then "and N more"; then a warning naming the hidden names that would
// land in existing folders), the --yes refusal, and the fields of the --json `offer` event. Every
// name comes from the network and passes TerminalText.Clean before it reaches a terminal.
using System.Text;

namespace Tallow.Cli.Output;

internal sealed partial class OfferReview
{
    /// <summary>At most this many top-level entries and hidden names go into one JSON event.</summary>
    public const int MaxJsonEntries = 1000;

    private const int NameColumns = 60;
    private const int MaxNamedInError = 5;

    /// <summary>
    /// The prompt's lines (without the question): one per top-level entry while they fit in
    /// <paramref name="maxLines"/> (at least 2), else the first ones and "… and N more".
    /// </summary>
    public IReadOnlyList<string> Describe(string summary, int maxLines, bool overwrite)
    {
        var lines = new List<string> { $"The sender offers {summary}:" };
        int room = Math.Max(2, maxLines);
        int shown = Entries.Count <= room ? Entries.Count : room - 1;
        for (int i = 0; i < shown; i++)
        {
            lines.Add(Line(Entries[i], overwrite));
        }

        if (shown < Entries.Count)
        {
            IEnumerable<TopLevelEntry> rest = Entries.Skip(shown);
            int hidden = rest.Count(e => e.Hidden);
            lines.Add($"  … and {Entries.Count - shown} more{(hidden > 0 ? $", {hidden} of them hidden" : string.Empty)}");
        }

        if (HiddenIntoExisting.Count > 0)
        {
            lines.Add($"Warning: {HiddenWarning}.");
            lines.Add("Files like these can run code (autostart entries, git hooks, shell startup files, SSH keys): accept only if you expect them.");
        }

        return lines;
    }

    /// <summary>"hidden names would go into folders that already exist here: '.ssh', 'proj/.git'" (empty when there are none).</summary>
    public string HiddenWarning => HiddenIntoExisting.Count == 0 ? string.Empty : $"hidden names would go into folders that already exist here: {Named(HiddenIntoExisting, MaxNamedInError)}";

    /// <summary>Why --yes refused the offer, naming the hidden names and the flag that accepts them.</summary>
    public string RefusalMessage(string outDir) =>
        $"the offer puts hidden names into folders that already exist in '{outDir}': {Named(HiddenIntoExisting, MaxNamedInError)}. " +
        "--yes does not accept these (they can run code: autostart entries, git hooks, SSH keys); run without --yes to see the offer and answer it, or add --allow-hidden. Nothing was written.";

    /// <summary>The `offer` event's review fields: `entries` (top-level, with their marks) and `hidden_into_existing`.</summary>
    public (string Key, object? Value)[] JsonFields() =>
    [
        ("entries", Entries.Take(MaxJsonEntries).Select(e => new (string Key, object? Value)[]
        {
            ("name", e.Name),
            ("type", e.IsFolder ? "folder" : "file"),
            ("files", e.Files),
            ("bytes", (long)e.Bytes),
            ("hidden", e.Hidden),
            ("hidden_inside", e.HiddenInside),
            ("executables", e.Executables),
            ("exists", e.Exists),
            ("replaces", e.Replaces),
        }).ToList()),
        ("entries_omitted", Math.Max(0, Entries.Count - MaxJsonEntries)),
        ("hidden_into_existing", HiddenIntoExisting.Take(MaxJsonEntries).ToList()),
    ];

    private static string Line(TopLevelEntry entry, bool overwrite)
    {
        string name = TerminalText.FitMiddle(TerminalText.Clean(entry.Name), NameColumns) + (entry.IsFolder ? "/" : string.Empty);
        string size = entry.IsFolder ? $"{Count(entry.Files, "file")}, {Units.Bytes(entry.Bytes)}" : Units.Bytes(entry.Bytes);
        var marks = new List<string>();
        if (entry.Hidden)
        {
            marks.Add("hidden");
        }

        if (entry.HiddenInside > 0)
        {
            marks.Add($"{entry.HiddenInside} hidden inside");
        }

        if (entry.Executables > 0)
        {
            marks.Add(entry.IsFolder ? $"{entry.Executables} executable" : "executable");
        }

        if (entry.Exists)
        {
            marks.Add(entry.IsFolder ? "merged into the existing folder" : overwrite ? "replaces the existing file" : "a file of this name is here (kept)");
        }

        if (entry.IsFolder && entry.Replaces > 0)
        {
            marks.Add($"replaces {Count(entry.Replaces, "existing file")}");
        }

        var line = new StringBuilder("  ").Append(name).Append("  (").Append(size).Append(')');
        if (marks.Count > 0)
        {
            line.Append("  [").Append(string.Join(", ", marks)).Append(']');
        }

        return line.ToString();
    }

    private static string Named(IReadOnlyList<string> names, int max)
    {
        string listed = string.Join(", ", names.Take(max).Select(n => "'" + TerminalText.Clean(n) + "'"));
        return names.Count > max ? $"{listed} and {names.Count - max} more" : listed;
    }

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";
}
