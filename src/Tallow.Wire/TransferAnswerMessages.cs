// The receiver's side of a transfer negotiation (DESIGN.md §8), inside sealed records:
//   Accept{count, count × (entry index, offset)}: the files the receiver wants, in increasing
//     index order, each from the byte offset it already holds (0 = from the start).
//     An empty body means every file from the start.
//   Resend{count, count × entry index}: sent instead of Done when files accepted at an offset > 0
//     (resumed, or at offset = size to compare a file already there) failed their whole-file
//     check; the sender sends exactly those again from offset 0.
// Parsers bound every count by the bytes present and never throw; the sender checks the
// indices and offsets against its own offer.
namespace Tallow.Wire;

public readonly record struct AcceptedFile(uint Index, ulong Offset);

public sealed record AcceptMessage(IReadOnlyList<AcceptedFile> Files)
{
    private const int EntrySize = 4 + 8;

    public int GetSize() => 4 + (Files.Count * EntrySize);

    public int Write(Span<byte> destination)
    {
        var w = new SpanWriter(destination);
        w.WriteUInt32((uint)Files.Count);
        foreach (AcceptedFile file in Files)
        {
            w.WriteUInt32(file.Index);
            w.WriteUInt64(file.Offset);
        }

        return w.Written;
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out AcceptMessage? message)
    {
        message = null;
        var r = new SpanReader(body);
        if (!r.TryReadUInt32(out uint count) || (ulong)count * EntrySize != (ulong)r.Remaining)
        {
            return false;
        }

        var files = new AcceptedFile[count];
        for (int i = 0; i < files.Length; i++)
        {
            r.TryReadUInt32(out uint index);
            r.TryReadUInt64(out ulong offset);
            files[i] = new AcceptedFile(index, offset);
        }

        message = new AcceptMessage(files);
        return true;
    }

    /// <summary>
    /// Checks the answer against the offer: files only, strictly increasing indices, offsets
    /// within each file. Returns the reason when it is not acceptable.
    /// </summary>
    public bool IsValidFor(TransferOffer offer, out string reason)
    {
        long previous = -1;
        foreach (AcceptedFile file in Files)
        {
            if (file.Index >= offer.Entries.Count || file.Index <= previous)
            {
                reason = "file indices out of order or out of range";
                return false;
            }

            OfferEntry entry = offer.Entries[(int)file.Index];
            if (entry.Type != EntryType.File)
            {
                reason = "a folder was asked for as a file";
                return false;
            }

            if (file.Offset != 0 && (entry.Size == TransferOffer.UnknownSize || file.Offset > entry.Size))
            {
                reason = "a resume offset beyond the end of its file";
                return false;
            }

            previous = file.Index;
        }

        reason = string.Empty;
        return true;
    }
}

public sealed record ResendMessage(IReadOnlyList<uint> Indices)
{
    public int GetSize() => 4 + (Indices.Count * 4);

    public int Write(Span<byte> destination)
    {
        var w = new SpanWriter(destination);
        w.WriteUInt32((uint)Indices.Count);
        foreach (uint index in Indices)
        {
            w.WriteUInt32(index);
        }

        return w.Written;
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out ResendMessage? message)
    {
        message = null;
        var r = new SpanReader(body);
        if (!r.TryReadUInt32(out uint count) || (ulong)count * 4 != (ulong)r.Remaining)
        {
            return false;
        }

        var indices = new uint[count];
        for (int i = 0; i < indices.Length; i++)
        {
            r.TryReadUInt32(out indices[i]);
        }

        message = new ResendMessage(indices);
        return true;
    }
}
