// FileBatch (record kind 35, protocol.md "Small files"): several whole small files in one record,
// so a tree of many tiny files costs one record, one seal and one socket write per batch instead
// of a Data and a FileDone record per file. Body: {u8 encoding: 0 raw | 1 zstd} then the payload
// (for zstd, one zstd frame that expands to the payload, at most the offer's chunk size):
//   u16 count (1..MaxFiles), count × {u32 entry index, u32 size, BLAKE3-256 of the file (32)},
//   then the contents of the files, in that order, back to back (exactly the sum of the sizes).
// The parser bounds every count by the bytes present and never throws; the receiver checks each
// index and size against its own plan and each hash against the content before saving anything.
namespace Tallow.Wire;

public readonly record struct BatchedFile(uint Index, uint Size, ReadOnlyMemory<byte> Hash);

public enum BatchEncoding : byte
{
    Raw = 0,
    Zstd = 1,
}

public static class FileBatchMessage
{
    public const int HashSize = FileDoneMessage.HashSize;
    public const int ItemHeaderSize = 4 + 4 + HashSize;
    public const int MaxFiles = 4096;

    /// <summary>Bytes the payload header takes for <paramref name="count"/> files.</summary>
    public static int HeaderSize(int count) => 2 + (count * ItemHeaderSize);

    /// <summary>Writes the payload header; the contents follow at <see cref="HeaderSize"/>.</summary>
    public static void WriteHeader(Span<byte> destination, IReadOnlyList<BatchedFile> files)
    {
        var w = new SpanWriter(destination);
        w.WriteUInt16((ushort)files.Count);
        foreach (BatchedFile file in files)
        {
            w.WriteUInt32(file.Index);
            w.WriteUInt32(file.Size);
            w.WriteBytes(file.Hash.Span);
        }
    }

    /// <summary>
    /// Parses a payload (after decompression): the files and where each one's content starts.
    /// False for a count of 0 or over <see cref="MaxFiles"/>, a truncated header, or contents
    /// that do not add up exactly to the bytes present.
    /// </summary>
    public static bool TryParse(ReadOnlyMemory<byte> payload, out BatchedFile[] files, out int contentStart)
    {
        files = [];
        contentStart = 0;
        var r = new SpanReader(payload.Span);
        if (!r.TryReadUInt16(out ushort count) || count == 0 || count > MaxFiles || (long)count * ItemHeaderSize > r.Remaining)
        {
            return false;
        }

        var parsed = new BatchedFile[count];
        long total = 0;
        for (int i = 0; i < count; i++)
        {
            r.TryReadUInt32(out uint index);
            r.TryReadUInt32(out uint size);
            int hashAt = HeaderSize(i) + 8;
            r.TryReadBytes(HashSize, out _);
            parsed[i] = new BatchedFile(index, size, payload.Slice(hashAt, HashSize));
            total += size;
        }

        if (total != r.Remaining)
        {
            return false;
        }

        files = parsed;
        contentStart = HeaderSize(count);
        return true;
    }
}
