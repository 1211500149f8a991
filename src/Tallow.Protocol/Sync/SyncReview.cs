// What a plan will do to the mirror, worked out by the receiver before it answers: which chunks
// it must ask for (any chunk it holds in any file of the mirror, or that an earlier file of this
// round brings, is reused), how many files are new, changed, renamed (the content is already
// here under a name this round deletes), deleted; the bytes to transfer; and the two things
// that need more than --yes: deleting more than half of the mirror, and hidden names.
using Tallow.Protocol.Transfer;

namespace Tallow.Protocol.Sync;

public sealed class SyncReview
{
    private bool _mirrorExists;

    private SyncReview(IReadOnlyList<SyncOp> ops) => Ops = ops;

    public IReadOnlyList<SyncOp> Ops { get; }

    /// <summary>The sender's number of the round this plan belongs to.</summary>
    public uint Round { get; init; }

    /// <summary>For each file op with anything to fetch: which of its chunks to ask the sender for.</summary>
    public List<(int Op, bool[] Chunks)> Needs { get; } = [];

    public int NewFiles { get; private set; }

    public int ChangedFiles { get; private set; }

    /// <summary>Same content and path, new mode or time only.</summary>
    public int MetadataOnly => MetadataOnlyOps.Count;

    /// <summary>The file ops whose content the mirror already has at that path.</summary>
    public HashSet<int> MetadataOnlyOps { get; } = [];

    public int Renamed { get; private set; }

    public int NewFolders { get; private set; }

    /// <summary>Files (and other non-folder entries) removed, counting everything inside removed folders.</summary>
    public int DeletedFiles { get; private set; }

    /// <summary>Non-folder entries in the whole mirror (not only the round's scope).</summary>
    public int MirrorFiles { get; private set; }

    public long BytesToTransfer { get; private set; }

    /// <summary>Hidden names ('.x') this plan creates inside folders that already exist in the mirror.</summary>
    public List<string> HiddenIntoExisting { get; } = [];

    public List<string> Executables { get; } = [];

    public bool IsEmpty => Ops.Count == 0;

    /// <summary>What happens to each path, in plan order: new, changed, renamed, metadata, folder, delete (folders whose mode or time alone change are left out).</summary>
    public List<(string Action, SyncOp Op)> Changes { get; } = [];

    /// <summary>More than half of the mirror's files would go: --yes alone is not enough.</summary>
    public bool IsMassDelete => DeletedFiles > 0 && DeletedFiles * 2 > MirrorFiles;

    public static SyncReview Create(IReadOnlyList<SyncOp> ops, IReadOnlyList<SyncEntry> index, int mirrorFiles, bool mirrorExists, LocalChunkStore? store, Func<string, ContentHash?> currentHash, uint round = 0)
    {
        var review = new SyncReview(ops) { _mirrorExists = mirrorExists, Round = round };
        var mirror = new Dictionary<string, SyncEntry>(StringComparer.Ordinal);
        foreach (SyncEntry entry in index)
        {
            mirror[entry.Path] = entry;
        }

        review.MirrorFiles = mirrorFiles;

        var deleted = ops.Where(o => o.Kind == SyncOpKind.Delete).Select(o => o.Path).ToHashSet(StringComparer.Ordinal);
        if (deleted.Count > 0)
        {
            review.DeletedFiles = index.Count(e => e.Type != SyncEntryType.Directory && IsUnder(e.Path, deleted));
        }

        var coming = new HashSet<ContentHash>();
        for (int i = 0; i < ops.Count; i++)
        {
            SyncOp op = ops[i];
            if (op.Kind == SyncOpKind.Directory)
            {
                if (!(mirror.TryGetValue(op.Path, out SyncEntry d) && d.Type == SyncEntryType.Directory) || deleted.Contains(op.Path))
                {
                    review.NewFolders++;
                    review.Changes.Add(("folder", op));
                    review.NoteHidden(op.Path, mirror);
                }

                continue;
            }

            if (op.Kind != SyncOpKind.File)
            {
                review.Changes.Add(("delete", op));
                continue;
            }

            if ((op.Mode & 0x49) != 0)
            {
                review.Executables.Add(op.Path);
            }

            bool exists = mirror.TryGetValue(op.Path, out SyncEntry there) && there.Type == SyncEntryType.File && !deleted.Contains(op.Path);
            if (exists && currentHash(op.Path) == op.FileHash)
            {
                review.MetadataOnlyOps.Add(i);
                review.Changes.Add(("metadata", op));
                continue; // nothing to fetch
            }

            if (exists)
            {
                review.ChangedFiles++;
                review.Changes.Add(("changed", op));
            }
            else if (store is not null && store.TryFindFile(op.FileHash, out string from) && IsUnder(from, deleted))
            {
                review.Renamed++;
                review.Changes.Add(("renamed", op));
            }
            else
            {
                review.NewFiles++;
                review.Changes.Add(("new", op));
                review.NoteHidden(op.Path, mirror);
            }

            bool[] wanted = new bool[op.Chunks.Length];
            bool any = false;
            for (int c = 0; c < wanted.Length; c++)
            {
                ChunkRef chunk = op.Chunks[c];
                if ((store is not null && store.Contains(chunk.Hash)) || !coming.Add(chunk.Hash))
                {
                    continue;
                }

                wanted[c] = any = true;
                review.BytesToTransfer += chunk.Length;
            }

            if (any)
            {
                review.Needs.Add((i, wanted));
            }
        }

        return review;
    }

    /// <summary>"3 new, 2 changed, 1 renamed, 5 to delete, 12.4 MiB to transfer".</summary>
    public string Summary(Func<long, string> bytes)
    {
        var parts = new List<string>();
        void Add(int n, string what)
        {
            if (n > 0)
            {
                parts.Add($"{n} {what}");
            }
        }

        Add(NewFiles, "new");
        Add(ChangedFiles, "changed");
        Add(Renamed, "renamed");
        Add(MetadataOnly, "with new mode or time");
        Add(NewFolders, NewFolders == 1 ? "new folder" : "new folders");
        Add(DeletedFiles, "to delete");
        return parts.Count == 0 ? "already up to date" : $"{string.Join(", ", parts)}, {bytes(BytesToTransfer)} to transfer";
    }

    /// <summary>A hidden name created in a folder the mirror already has (like `receive`, DESIGN.md §8).</summary>
    private void NoteHidden(string path, Dictionary<string, SyncEntry> mirror)
    {
        int slash = path.LastIndexOf('/');
        string name = slash < 0 ? path : path[(slash + 1)..];
        if (!name.StartsWith('.') || mirror.ContainsKey(path))
        {
            return;
        }

        string parent = slash < 0 ? string.Empty : path[..slash];
        if (parent.Length == 0 ? _mirrorExists : mirror.ContainsKey(parent))
        {
            HiddenIntoExisting.Add(PathSanitizer.Printable(path));
        }
    }

    /// <summary>Whether <paramref name="path"/> or a folder above it is in <paramref name="roots"/>.</summary>
    private static bool IsUnder(string path, HashSet<string> roots)
    {
        for (string? p = path; p is not null; p = p.LastIndexOf('/') is int slash and >= 0 ? p[..slash] : null)
        {
            if (roots.Contains(p))
            {
                return true;
            }
        }

        return false;
    }
}
