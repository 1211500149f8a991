// The receiver's side of sync rounds (protocol.md "Sync"), for the mirror at <out>/<name>:
//   ← SyncRound{scope}  → SyncIndex* (what the mirror holds in scope)
//   ← SyncPlan*         review: what it will do, which chunks to ask for; the caller decides
//   → SyncNeed* | SyncStop      ← SyncData per asked chunk (staged, verified) ← SyncEnd
//   commit in plan order (rename over, --backup, deletes confined to the mirror) → SyncApplied
// The chunk store (every chunk the mirror holds, from the cache in .tallow-sync: only files
// changed since tallow last saw them are read) is built for each round that has content to place.
using Tallow.Protocol.Records;
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Protocol.Sync;

/// <summary>The caller's answer to a reviewed plan: go ahead, or stop with this text.</summary>
public readonly record struct SyncDecision(bool Apply, string Reason)
{
    public static SyncDecision Go => new(true, string.Empty);

    public static SyncDecision Stop(string reason) => new(false, reason);
}

public sealed record SyncRoundReport(uint Round, SyncReview Review, SyncApplied Applied, int BackedUp);

public sealed class SyncReceiver(SyncLink link, string mirrorRoot, string? backupRoot, ITransferObserver observer)
{
    private LocalChunkStore? _store;
    private ChunkCache? _cache;

    /// <summary>True while waiting for the next round (between rounds the sender may leave: the sync is complete).</summary>
    public bool Idle { get; private set; } = true;

    private string CacheFile => Path.Combine(mirrorRoot, SyncTree.StateFolder, "cache");

    /// <summary>
    /// Serves one round. <paramref name="decide"/> sees the review before anything is asked for or
    /// changed; a Stop answer is sent to the sender and the round ends with a null report.
    /// </summary>
    public async Task<SyncRoundReport?> RunRoundAsync(Func<SyncReview, CancellationToken, Task<SyncDecision>> decide, CancellationToken ct)
    {
        Idle = true;
        Record start = await link.ExpectAsync(RecordKind.SyncRound, ct).ConfigureAwait(false);
        Idle = false;
        if (!SyncCodec.TryParseRound(start.Body.Span, out uint round, out List<string> scope))
        {
            throw SyncLink.Broken("a malformed SyncRound");
        }

        bool mirrorExists = Directory.Exists(mirrorRoot);
        if (mirrorExists && new DirectoryInfo(mirrorRoot).LinkTarget is not null)
        {
            await link.TryStopAsync(CancelReason.FileSystem, "the mirror folder is a symlink on the receiver's side").ConfigureAwait(false);
            throw new TallowException(FailureKind.FileSystem, $"'{mirrorRoot}' is a symlink: tallow never syncs through one. Choose another --out.");
        }

        Dictionary<string, SyncEntry> index = mirrorExists
            ? await Task.Run(() => SyncTree.Scan(mirrorRoot, scope, null, ct), ct).ConfigureAwait(false)
            : [];
        await link.SendBlobAsync(RecordKind.SyncIndex, SyncCodec.WriteIndex(index.Values), ct).ConfigureAwait(false);
        byte[] planBlob = await link.ReceiveBlobAsync(RecordKind.SyncPlan, SyncLink.MaxPlanBytes, ct).ConfigureAwait(false);
        if (!SyncCodec.TryParsePlan(planBlob, out List<SyncOp> ops) || ops.Any(o => SyncTree.IsState(o.Path)))
        {
            throw SyncLink.Broken("a malformed plan");
        }

        HashSet<string> changedHere = [];
        _store = null;
        if (ops.Any(o => o.Kind == SyncOpKind.File))
        {
            _cache ??= ChunkCache.Load(CacheFile);
            changedHere = ChangedHere(ops, index);
            _store = await Task.Run(() => BuildStore(ct), ct).ConfigureAwait(false); // afresh: files changed here since the last round are read again
        }

        int mirrorFiles = !ops.Any(o => o.Kind == SyncOpKind.Delete) ? 0
            : scope.Count == 0 ? index.Values.Count(e => e.Type != SyncEntryType.Directory)
            : SyncTree.CountFiles(mirrorRoot);
        SyncReview review = SyncReview.Create(ops, [.. index.Values], mirrorFiles, mirrorExists, _store, CurrentHash, round);
        SyncDecision decision = await decide(review, ct).ConfigureAwait(false);
        if (!decision.Apply)
        {
            await link.StopAsync(CancelReason.Declined, decision.Reason, ct).ConfigureAwait(false);
            return null;
        }

        await link.SendBlobAsync(RecordKind.SyncNeed, SyncCodec.WriteNeeds(review.Needs), ct).ConfigureAwait(false);
        Directory.CreateDirectory(mirrorRoot);
        long rootTime = mirrorExists ? SyncTimes.ToUnixNs(Directory.GetLastWriteTimeUtc(mirrorRoot)) : 0;
        using var staging = new MirrorStaging(mirrorRoot, _store);
        staging.Prepare();
        Dictionary<int, string> staged = await StageAllAsync(review, staging, ct).ConfigureAwait(false);
        await link.ExpectAsync(RecordKind.SyncEnd, ct).ConfigureAwait(false);

        var commit = new MirrorCommit(mirrorRoot, backupRoot, observer);
        Apply(review, staged, changedHere, commit);
        commit.FinishFolders(ops, index, rootTime);
        staging.Clear();
        SaveCache();
        int failed = commit.Failed + review.Ops.Count(o => o.Kind == SyncOpKind.File) - staged.Count - review.MetadataOnlyOps.Count;
        var applied = new SyncApplied((uint)commit.Written, (uint)commit.Deleted, (uint)Math.Max(0, failed), staging.BytesReceived);
        await link.Port.SendAsync(RecordKind.SyncApplied, applied.ToBody(), ct).ConfigureAwait(false);
        Idle = true;
        return new SyncRoundReport(round, review, applied, commit.BackedUp);
    }

    private async Task<Dictionary<int, string>> StageAllAsync(SyncReview review, MirrorStaging staging, CancellationToken ct)
    {
        var wanted = review.Needs.ToDictionary(n => n.Op, n => n.Chunks);
        var staged = new Dictionary<int, string>();
        long total = review.BytesToTransfer;
        for (int i = 0; i < review.Ops.Count; i++)
        {
            SyncOp op = review.Ops[i];
            if (op.Kind != SyncOpKind.File || review.MetadataOnlyOps.Contains(i))
            {
                continue;
            }

            (string? path, string why) = await staging.StageAsync(i, op, wanted.GetValueOrDefault(i), NextDataAsync, ct).ConfigureAwait(false);
            if (path is null)
            {
                observer.OnNotice($"'{PathSanitizer.Printable(op.Path)}' was not updated this round: {why}.");
                continue;
            }

            staged[i] = path;
            if (total > 0)
            {
                observer.OnProgress(staging.BytesReceived, total);
            }
        }

        return staged;
    }

    private async Task<ReadOnlyMemory<byte>> NextDataAsync(CancellationToken ct)
    {
        Record record = await link.ExpectAsync(RecordKind.SyncData, ct).ConfigureAwait(false);
        return record.Body;
    }

    private void Apply(SyncReview review, Dictionary<int, string> staged, HashSet<string> changedHere, MirrorCommit commit)
    {
        for (int i = 0; i < review.Ops.Count; i++)
        {
            SyncOp op = review.Ops[i];
            switch (op.Kind)
            {
                case SyncOpKind.Delete:
                    commit.Delete(op.Path);
                    _cache?.Remove(op.Path);
                    break;
                case SyncOpKind.Directory:
                    commit.Folder(op);
                    break;
                case SyncOpKind.File when review.MetadataOnlyOps.Contains(i):
                    if (commit.SetMetadata(op))
                    {
                        Remember(op);
                    }

                    break;
                case SyncOpKind.File when staged.TryGetValue(i, out string? path):
                    if (commit.Place(op, path, changedHere.Contains(op.Path)))
                    {
                        Remember(op);
                    }

                    break;
            }
        }
    }

    private void SaveCache()
    {
        try
        {
            _cache?.Save();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            observer.OnNotice($"could not save the sync cache ({ex.Message}): the next sync reads the mirror's files again.");
        }
    }

    /// <summary>Records a placed file's chunks: the next round reuses them without reading the file.</summary>
    private void Remember(SyncOp op)
    {
        if (_cache is null || !FileStamp.TryOf(Path.Combine(mirrorRoot, op.Path), out FileStamp stamp))
        {
            return;
        }

        var chunks = new FileChunks(op.FileHash, op.Size, op.Chunks);
        _cache.Set(op.Path, stamp, chunks);
        _store?.AddFile(op.Path, chunks);
    }

    /// <summary>Files the plan replaces that were changed on this side since tallow wrote them (the cache knows them with another stamp).</summary>
    private HashSet<string> ChangedHere(List<SyncOp> ops, Dictionary<string, SyncEntry> index)
    {
        var changed = new HashSet<string>(StringComparer.Ordinal);
        ChunkCache cache = _cache!;
        foreach (SyncOp op in ops)
        {
            if (op.Kind == SyncOpKind.File && index.TryGetValue(op.Path, out SyncEntry old) && old.Type == SyncEntryType.File && cache.Contains(op.Path)
                && !(FileStamp.TryOf(Path.Combine(mirrorRoot, op.Path), out FileStamp stamp) && cache.TryGet(op.Path, stamp, out _)))
            {
                changed.Add(op.Path);
            }
        }

        return changed;
    }

    private ContentHash? CurrentHash(string path) =>
        _cache is not null && FileStamp.TryOf(Path.Combine(mirrorRoot, path), out FileStamp stamp) && _cache.TryGet(path, stamp, out FileChunks chunks) ? chunks.FileHash : null;

    /// <summary>Every chunk of every file in the mirror and in the staging folder (leftovers of an interrupted sync).</summary>
    private LocalChunkStore BuildStore(CancellationToken ct)
    {
        if (!Directory.Exists(mirrorRoot))
        {
            return new LocalChunkStore(mirrorRoot);
        }

        var files = SyncTree.Scan(mirrorRoot, [], null, ct).Values.Where(e => e.Type == SyncEntryType.File).Select(e => e.Path).ToList();
        _cache!.RetainOnly(files.ToHashSet(StringComparer.Ordinal));
        string staging = Path.Combine(mirrorRoot, SyncTree.StateFolder, "staging");
        if (Directory.Exists(staging) && new DirectoryInfo(staging).LinkTarget is null)
        {
            files.AddRange(Directory.EnumerateFiles(staging).Select(f => $"{SyncTree.StateFolder}/staging/{Path.GetFileName(f)}"));
        }

        return LocalChunkStore.Build(mirrorRoot, files, _cache!, ct);
    }
}
