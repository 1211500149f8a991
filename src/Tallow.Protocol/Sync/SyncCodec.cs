// The blobs of a sync round (protocol.md "Sync"), big-endian like every Tallow message:
//   index  {u32 n, n × {u8 type, str path, u64 size, i64 mtime ns, u32 mode}}
//   plan   {u32 n, n × {u8 op, str path, op-specific}}: Directory {u32 mode, i64 mtime};
//          File {u64 size, u32 mode, i64 mtime, hash32, u32 chunks, chunks × {hash32, u32 len}}; Delete {}
//   needs  {u32 n, n × {u32 op index, u32 chunk count, bitmap of ⌈count/8⌉ bytes}}
// Parsers bound every count by the bytes present, check every path (PathSanitizer) and every
// chunk list (lengths within FastCDC's bounds, summing to the size) and never throw.
using System.Text;
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Protocol.Sync;

public static class SyncCodec
{
    public const int MaxEntries = 10_000_000;
    private const int IndexEntryFixed = 1 + 2 + 8 + 8 + 4;
    private const int ChunkRefSize = ContentHash.Size + 4;

    public static byte[] WriteIndex(IReadOnlyCollection<SyncEntry> entries)
    {
        int size = 4;
        foreach (SyncEntry e in entries)
        {
            size += IndexEntryFixed + Encoding.UTF8.GetByteCount(e.Path);
        }

        byte[] blob = new byte[size];
        var w = new SpanWriter(blob);
        w.WriteUInt32((uint)entries.Count);
        foreach (SyncEntry e in entries)
        {
            w.WriteByte((byte)e.Type);
            w.WriteString(e.Path);
            w.WriteInt64(e.Size);
            w.WriteInt64(e.ModifiedNs);
            w.WriteUInt32(e.Mode);
        }

        return blob;
    }

    public static bool TryParseIndex(ReadOnlySpan<byte> blob, out List<SyncEntry> entries)
    {
        entries = [];
        var r = new SpanReader(blob);
        if (!r.TryReadUInt32(out uint count) || count > MaxEntries || (ulong)count * IndexEntryFixed > (ulong)r.Remaining)
        {
            return false;
        }

        entries.Capacity = (int)count;
        for (uint i = 0; i < count; i++)
        {
            if (!r.TryReadByte(out byte type) || type > (byte)SyncEntryType.Other
                || !r.TryReadString(PathSanitizer.MaxPathBytes, out string path) || !PathSanitizer.IsSafePath(path, out _)
                || !r.TryReadUInt64(out ulong size) || size > long.MaxValue
                || !r.TryReadInt64(out long mtime)
                || !r.TryReadUInt32(out uint mode))
            {
                return false;
            }

            entries.Add(new SyncEntry((SyncEntryType)type, path, (long)size, mtime, mode & 0xFFF));
        }

        return r.IsAtEnd;
    }

    public static byte[] WritePlan(IReadOnlyList<SyncOp> ops)
    {
        int size = 4;
        foreach (SyncOp op in ops)
        {
            size += 1 + 2 + Encoding.UTF8.GetByteCount(op.Path) + op.Kind switch
            {
                SyncOpKind.Directory => 4 + 8,
                SyncOpKind.File => 8 + 4 + 8 + ContentHash.Size + 4 + (op.Chunks.Length * ChunkRefSize),
                _ => 0,
            };
        }

        byte[] blob = new byte[size];
        var w = new SpanWriter(blob);
        w.WriteUInt32((uint)ops.Count);
        foreach (SyncOp op in ops)
        {
            w.WriteByte((byte)op.Kind);
            w.WriteString(op.Path);
            switch (op.Kind)
            {
                case SyncOpKind.Directory:
                    w.WriteUInt32(op.Mode);
                    w.WriteInt64(op.ModifiedNs);
                    break;
                case SyncOpKind.File:
                    w.WriteInt64(op.Size);
                    w.WriteUInt32(op.Mode);
                    w.WriteInt64(op.ModifiedNs);
                    WriteHash(ref w, op.FileHash);
                    w.WriteUInt32((uint)op.Chunks.Length);
                    foreach (ChunkRef chunk in op.Chunks)
                    {
                        WriteHash(ref w, chunk.Hash);
                        w.WriteUInt32((uint)chunk.Length);
                    }

                    break;
            }
        }

        return blob;
    }

    public static bool TryParsePlan(ReadOnlySpan<byte> blob, out List<SyncOp> ops)
    {
        ops = [];
        var r = new SpanReader(blob);
        if (!r.TryReadUInt32(out uint count) || count > MaxEntries || (ulong)count * 3 > (ulong)r.Remaining)
        {
            return false;
        }

        for (uint i = 0; i < count; i++)
        {
            if (!r.TryReadByte(out byte kind) || kind is < (byte)SyncOpKind.Directory or > (byte)SyncOpKind.Delete
                || !r.TryReadString(PathSanitizer.MaxPathBytes, out string path) || !PathSanitizer.IsSafePath(path, out _))
            {
                return false;
            }

            switch ((SyncOpKind)kind)
            {
                case SyncOpKind.Directory:
                    if (!r.TryReadUInt32(out uint dirMode) || !r.TryReadInt64(out long dirTime))
                    {
                        return false;
                    }

                    ops.Add(SyncOp.Directory(path, dirTime, dirMode & 0xFFF));
                    break;
                case SyncOpKind.File:
                    if (!TryReadFile(ref r, path, out SyncOp? file))
                    {
                        return false;
                    }

                    ops.Add(file!);
                    break;
                default:
                    ops.Add(SyncOp.Delete(path));
                    break;
            }
        }

        return r.IsAtEnd;
    }

    private static bool TryReadFile(ref SpanReader r, string path, out SyncOp? op)
    {
        op = null;
        if (!r.TryReadUInt64(out ulong size) || size > long.MaxValue
            || !r.TryReadUInt32(out uint mode) || !r.TryReadInt64(out long mtime)
            || !TryReadHash(ref r, out ContentHash fileHash)
            || !r.TryReadUInt32(out uint chunkCount) || (ulong)chunkCount * ChunkRefSize > (ulong)r.Remaining)
        {
            return false;
        }

        var chunks = new ChunkRef[chunkCount];
        long total = 0;
        for (int c = 0; c < chunks.Length; c++)
        {
            if (!TryReadHash(ref r, out ContentHash hash) || !r.TryReadUInt32(out uint length) || length == 0 || length > ContentChunker.MaxSize)
            {
                return false;
            }

            chunks[c] = new ChunkRef(hash, (int)length);
            total += length;
        }

        if (total != (long)size)
        {
            return false;
        }

        op = new SyncOp(SyncOpKind.File, path, (long)size, mtime, mode & 0xFFF, fileHash, chunks);
        return true;
    }

    /// <summary>Needs: for each file op with anything to send, which of its chunks (bit i of byte i/8, low bit first).</summary>
    public static byte[] WriteNeeds(IReadOnlyList<(int Op, bool[] Chunks)> needs)
    {
        int size = 4;
        foreach ((int _, bool[] chunks) in needs)
        {
            size += 8 + ((chunks.Length + 7) / 8);
        }

        byte[] blob = new byte[size];
        var w = new SpanWriter(blob);
        w.WriteUInt32((uint)needs.Count);
        foreach ((int op, bool[] chunks) in needs)
        {
            w.WriteUInt32((uint)op);
            w.WriteUInt32((uint)chunks.Length);
            byte[] bits = new byte[(chunks.Length + 7) / 8];
            for (int i = 0; i < chunks.Length; i++)
            {
                if (chunks[i])
                {
                    bits[i / 8] |= (byte)(1 << (i % 8));
                }
            }

            w.WriteBytes(bits);
        }

        return blob;
    }

    /// <summary>Parses needs against the plan they answer: each op index a file op, in increasing order, with its chunk count.</summary>
    public static bool TryParseNeeds(ReadOnlySpan<byte> blob, IReadOnlyList<SyncOp> plan, out Dictionary<int, bool[]> needs)
    {
        needs = [];
        var r = new SpanReader(blob);
        if (!r.TryReadUInt32(out uint count) || (ulong)count * 8 > (ulong)r.Remaining)
        {
            return false;
        }

        long previous = -1;
        for (uint i = 0; i < count; i++)
        {
            if (!r.TryReadUInt32(out uint op) || op <= previous || op >= plan.Count || plan[(int)op].Kind != SyncOpKind.File
                || !r.TryReadUInt32(out uint chunkCount) || chunkCount != plan[(int)op].Chunks.Length
                || !r.TryReadBytes((int)((chunkCount + 7) / 8), out ReadOnlySpan<byte> bits))
            {
                return false;
            }

            var wanted = new bool[chunkCount];
            for (int c = 0; c < wanted.Length; c++)
            {
                wanted[c] = (bits[c / 8] & (1 << (c % 8))) != 0;
            }

            needs[(int)op] = wanted;
            previous = op;
        }

        return r.IsAtEnd;
    }

    public static byte[] WriteRound(uint round, IReadOnlyList<string> scope)
    {
        int size = 8;
        foreach (string path in scope)
        {
            size += SpanWriter.StringSize(path);
        }

        byte[] body = new byte[size];
        var w = new SpanWriter(body);
        w.WriteUInt32(round);
        w.WriteUInt32((uint)scope.Count);
        foreach (string path in scope)
        {
            w.WriteString(path);
        }

        return body;
    }

    public static bool TryParseRound(ReadOnlySpan<byte> body, out uint round, out List<string> scope)
    {
        scope = [];
        var r = new SpanReader(body);
        if (!r.TryReadUInt32(out round) || !r.TryReadUInt32(out uint count) || (ulong)count * 2 > (ulong)r.Remaining)
        {
            return false;
        }

        for (uint i = 0; i < count; i++)
        {
            if (!r.TryReadString(PathSanitizer.MaxPathBytes, out string path) || !PathSanitizer.IsSafePath(path, out _))
            {
                return false;
            }

            scope.Add(path);
        }

        return r.IsAtEnd;
    }

    private static void WriteHash(ref SpanWriter w, ContentHash hash)
    {
        Span<byte> bytes = stackalloc byte[ContentHash.Size];
        hash.Write(bytes);
        w.WriteBytes(bytes);
    }

    private static bool TryReadHash(ref SpanReader r, out ContentHash hash)
    {
        hash = default;
        if (!r.TryReadBytes(ContentHash.Size, out ReadOnlySpan<byte> bytes))
        {
            return false;
        }

        hash = ContentHash.Read(bytes);
        return true;
    }
}

/// <summary>SyncApplied: what the receiver did in a round.</summary>
public readonly record struct SyncApplied(uint Written, uint Deleted, uint Failed, long BytesReceived)
{
    public const int Size = 4 + 4 + 4 + 8;

    public byte[] ToBody()
    {
        byte[] body = new byte[Size];
        var w = new SpanWriter(body);
        w.WriteUInt32(Written);
        w.WriteUInt32(Deleted);
        w.WriteUInt32(Failed);
        w.WriteInt64(BytesReceived);
        return body;
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out SyncApplied applied)
    {
        applied = default;
        var r = new SpanReader(body);
        if (!r.TryReadUInt32(out uint written) || !r.TryReadUInt32(out uint deleted) || !r.TryReadUInt32(out uint failed)
            || !r.TryReadInt64(out long bytes) || bytes < 0 || !r.IsAtEnd)
        {
            return false;
        }

        applied = new SyncApplied(written, deleted, failed, bytes);
        return true;
    }
}
