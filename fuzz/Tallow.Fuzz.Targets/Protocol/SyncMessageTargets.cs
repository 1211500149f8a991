// Targets "sync-messages" and "chunk-cache": what a sync peer or the mirror's disk can hand the
// receiver. sync-messages: the first byte picks the parser (index, plan, needs against a fixed
// plan, round, applied), the rest is the untrusted blob; each must return false, never throw, and
// what it accepts must encode and parse back to the same thing. chunk-cache: ChunkCache.Load of a
// .tallow-sync/cache file with the fuzz input as its content must give a cache, never throw (an
// odd first byte: the harness fixes the checksum trailer first, as the sidecar target does).
using Tallow.Protocol.Sync;

namespace Tallow.Fuzz.Targets.Protocol;

public static class SyncMessageTargets
{
    public static readonly FuzzTarget SyncMessages = new("sync-messages", "SyncCodec (index, plan, needs, round), SyncApplied", FuzzMessages, MessageSeeds);

    public static readonly FuzzTarget ChunkCacheFile = new("chunk-cache", "ChunkCache.Load", FuzzCache, CacheSeeds);

    private static readonly string CachePath = Path.Combine(Path.GetTempPath(), $"tallow-fuzz-cache-{Environment.ProcessId}");

    /// <summary>The plan needs are parsed against: two files (3 chunks and 1), a folder and a delete.</summary>
    private static readonly List<SyncOp> Plan = SamplePlan();

    public static void FuzzMessages(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        ReadOnlySpan<byte> blob = data[1..];
        switch (data[0] % 5)
        {
            case 0 when SyncCodec.TryParseIndex(blob, out List<SyncEntry> index):
                FuzzInvariantException.Check(SyncCodec.TryParseIndex(SyncCodec.WriteIndex(index), out List<SyncEntry> again) && again.SequenceEqual(index), "index: does not round-trip");
                break;
            case 1 when SyncCodec.TryParsePlan(blob, out List<SyncOp> plan):
                FuzzInvariantException.Check(SyncCodec.TryParsePlan(SyncCodec.WritePlan(plan), out List<SyncOp> back) && back.Count == plan.Count
                    && back.Zip(plan).All(p => p.First.Kind == p.Second.Kind && p.First.Path == p.Second.Path && p.First.Size == p.Second.Size
                        && p.First.FileHash == p.Second.FileHash && p.First.Chunks.SequenceEqual(p.Second.Chunks)), "plan: does not round-trip");
                break;
            case 2 when SyncCodec.TryParseNeeds(blob, Plan, out Dictionary<int, bool[]> needs):
                FuzzInvariantException.Check(needs.All(n => Plan[n.Key].Kind == SyncOpKind.File && n.Value.Length == Plan[n.Key].Chunks.Length), "needs: accepted a need for no file or the wrong chunk count");
                break;
            case 3 when SyncCodec.TryParseRound(blob, out uint round, out List<string> scope):
                FuzzInvariantException.Check(SyncCodec.TryParseRound(SyncCodec.WriteRound(round, scope), out uint r2, out List<string> s2) && r2 == round && s2.SequenceEqual(scope), "round: does not round-trip");
                break;
            case 4 when SyncApplied.TryParse(blob, out SyncApplied applied):
                FuzzInvariantException.Check(applied.ToBody().AsSpan().SequenceEqual(blob), "applied: does not round-trip");
                break;
        }
    }

    public static void FuzzCache(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        // An odd first byte: the harness writes the right BLAKE3 trailer, so the fuzzer reaches the parser behind the checksum.
        byte[] bytes = data[1..].ToArray();
        if ((data[0] & 1) == 1 && bytes.Length > 32)
        {
            Blake3.Hasher.Hash(bytes.AsSpan(0, bytes.Length - 32), bytes.AsSpan(bytes.Length - 32));
        }

        File.WriteAllBytes(CachePath, bytes);
        try
        {
            ChunkCache cache = ChunkCache.Load(CachePath);
            FuzzInvariantException.Check(cache.Count >= 0, "chunk-cache: negative count");
        }
        finally
        {
            File.Delete(CachePath);
        }
    }

    public static IEnumerable<byte[]> MessageSeeds()
    {
        yield return [0, .. SyncCodec.WriteIndex([new SyncEntry(SyncEntryType.File, "a/b.txt", 5, 1_700_000_000_000_000_000, 0x1A4), new SyncEntry(SyncEntryType.Directory, "a", 0, 1, 0x1ED), new SyncEntry(SyncEntryType.Other, "link", 0, 0, 0)])];
        yield return [1, .. SyncCodec.WritePlan(Plan)];
        yield return [2, .. SyncCodec.WriteNeeds([(0, [true, false, true]), (3, [true])])];
        yield return [3, .. SyncCodec.WriteRound(7, ["docs/a.txt", "x/y"])];
        yield return [4, .. new SyncApplied(3, 1, 0, 12345).ToBody()];
    }

    public static IEnumerable<byte[]> CacheSeeds()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"tallow-fuzz-cache-seed-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        try
        {
            string file = Path.Combine(dir, "a.bin");
            File.WriteAllBytes(file, new byte[100_000]);
            FileStamp.TryOf(file, out FileStamp stamp);
            ChunkCache cache = ChunkCache.Load(Path.Combine(dir, "cache"));
            cache.Set("a.bin", stamp, ContentChunker.ChunkFile(file, CancellationToken.None));
            cache.Save();
            byte[] saved = File.ReadAllBytes(Path.Combine(dir, "cache"));
            yield return [0, .. saved];
            yield return [1, .. saved];
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static List<SyncOp> SamplePlan()
    {
        static ChunkRef Chunk(byte seed, int length) => new(ContentHash.Compute([seed]), length);
        ChunkRef[] three = [Chunk(1, 20_000), Chunk(2, 70_000), Chunk(3, 10)];
        return
        [
            new SyncOp(SyncOpKind.File, "big.bin", 90_010, 5, 0x1A4, ContentHash.Compute([9]), three),
            SyncOp.Directory("docs", 6, 0x1ED),
            SyncOp.Delete("old"),
            new SyncOp(SyncOpKind.File, "docs/small.txt", 10, 7, 0x1ED, ContentHash.Compute([4]), [Chunk(4, 10)]),
        ];
    }
}
