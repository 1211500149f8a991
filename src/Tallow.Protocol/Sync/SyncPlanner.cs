// The sender's half of a round: compares its tree with the receiver's index and lists what the
// mirror must do. A file whose size, time and mode match is unchanged and costs nothing (the
// mirror's times are the source's, so a file edited on the receiver's side differs and is
// replaced). Every other file is chunked (FastCDC + BLAKE3) and sent as its chunk list: the
// receiver asks only for chunks it holds nowhere in the mirror. Plan order is the apply order:
// parents before children, a type change's Delete right before its replacement, and removals
// (--delete: the topmost path of each missing subtree only) last.
using Tallow.Protocol.Transfer;

namespace Tallow.Protocol.Sync;

/// <summary>A plan and, for each file op, where the sender reads its content.</summary>
public sealed record SyncPlan(IReadOnlyList<SyncOp> Ops, IReadOnlyDictionary<int, string> Sources);

public static class SyncPlanner
{
    public static SyncPlan Plan(
        string root, IReadOnlyDictionary<string, SyncEntry> source, IReadOnlyList<SyncEntry> mirrorIndex, bool delete, CancellationToken ct)
    {
        var mirror = new Dictionary<string, SyncEntry>(mirrorIndex.Count, StringComparer.Ordinal);
        foreach (SyncEntry entry in mirrorIndex)
        {
            mirror[entry.Path] = entry;
        }

        var ops = new List<SyncOp>();
        var sources = new Dictionary<int, string>();
        foreach (SyncEntry entry in source.Values.OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            ct.ThrowIfCancellationRequested();
            bool have = mirror.TryGetValue(entry.Path, out SyncEntry there);
            if (have && there.Type != entry.Type)
            {
                ops.Add(SyncOp.Delete(entry.Path)); // a file where a folder goes, or the reverse: replaced
                have = false;
            }

            if (entry.Type == SyncEntryType.Directory)
            {
                if (!have || there.Mode != entry.Mode || there.ModifiedNs != entry.ModifiedNs)
                {
                    ops.Add(SyncOp.Directory(entry.Path, entry.ModifiedNs, entry.Mode));
                }

                continue;
            }

            if (have && there.Size == entry.Size && there.ModifiedNs == entry.ModifiedNs && there.Mode == entry.Mode)
            {
                continue;
            }

            string full = Path.Combine(root, entry.Path);
            FileChunks chunks;
            try
            {
                chunks = ContentChunker.ChunkFile(full, ct);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new TallowException(FailureKind.FileSystem, $"cannot read '{PathSanitizer.Printable(entry.Path)}': {ex.Message}");
            }

            sources[ops.Count] = full;
            ops.Add(SyncOp.File(entry.Path, entry.ModifiedNs, entry.Mode, chunks));
        }

        if (delete)
        {
            foreach (SyncEntry gone in mirrorIndex.Where(e => !source.ContainsKey(e.Path) && !ParentAlsoGone(e.Path, source, mirror)).OrderBy(e => e.Path, StringComparer.Ordinal))
            {
                ops.Add(SyncOp.Delete(gone.Path));
            }
        }

        return new SyncPlan(ops, sources);
    }

    /// <summary>A missing entry whose parent folder is missing too goes with the parent's Delete.</summary>
    private static bool ParentAlsoGone(string path, IReadOnlyDictionary<string, SyncEntry> source, Dictionary<string, SyncEntry> mirror)
    {
        int slash = path.LastIndexOf('/');
        if (slash < 0)
        {
            return false;
        }

        string parent = path[..slash];
        return mirror.ContainsKey(parent) && !(source.TryGetValue(parent, out SyncEntry s) && s.Type == SyncEntryType.Directory);
    }
}
