// Content-defined chunking with FastCDC (Xia et al., USENIX ATC 2016; TPDS 2020): a cut point
// depends only on the bytes just before it, so an insertion or deletion moves the cut points near
// it and leaves every other chunk as it was. This is part of the sync protocol: both sides must
// cut identically, so the gear table, masks and sizes below must never change (a change needs a
// new protocol version; ContentChunkerTests pins the cut points of a fixed input).
//
// Algorithm (the TPDS 2020 version: normalized chunking, "rolling two bytes each time"):
// - Gear hash fp = (fp << 1) + Gear[byte]; bit k of fp depends on the last k + 1 bytes only, and
//   the masks use bits 12..47, so a cut point is decided by a 48-byte window.
// - Cut-point skipping: the first MinSize bytes of a chunk are not hashed (fp starts at 0 there).
// - Normalized chunking, level 2: up to AverageSize the harder mask (log2(AverageSize) + 2 = 18
//   bits) is used, after it the easier one (16 - 2 = 14 bits), which narrows chunk sizes around
//   the average. A cut after byte i (when fp & mask == 0) makes a chunk of i + 1 bytes; with no
//   cut point the chunk ends at MaxSize. The two-bytes-a-step loop uses Gear << 1 and mask << 1
//   for the first byte of each pair and gives exactly the cut points of the one-byte loop.
// - Masks: the spread-bit masks of the FastCDC reference code (wxiacode/FastCDC-c, as tabulated
//   in the fastcdc Rust crate, v2020 MASKS[18] and MASKS[14]). The paper picks the mask bits as
//   log2 of the expected size, normalized ±2: 13 ± 2 for 8 KiB, hence 16 ± 2 for 64 KiB.
// - Gear table: Gear[i] = the first 8 bytes (little-endian) of BLAKE3("tallow-sync-gear-v1" ‖ i),
//   i as one byte. Random-looking, reproducible by anyone from this sentence.
//
// Why these sizes. On the wire a chunk list costs ~36 bytes a chunk (32-byte hash + length):
// - AverageSize 64 KiB: the mean chunk is 73 KiB (measured on random data), so a 1 GiB file has
//   ~14,300 chunks, a list of ~0.52 MB, well under the 2 MiB that a 1-byte change in such a file
//   may move; the changed byte itself costs one or two chunks (≤ 512 KiB). Smaller chunks find
//   more reuse but the list grows as 1/average.
// - MinSize 16 KiB: bounds the list (and the per-chunk work) for content that cuts often, and is
//   what cut-point skipping saves from hashing (a quarter of the average).
// - MaxSize 256 KiB: bounds what one changed byte costs in the worst case (content without cut
//   points, e.g. zeros, is cut every 256 KiB), and the buffer needed to hold one chunk.
using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Tallow.Protocol.Transfer;

namespace Tallow.Protocol.Sync;

public static class ContentChunker
{
    public const int MinSize = 16 * 1024, AverageSize = 64 * 1024, MaxSize = 256 * 1024;

    /// <summary>18 effective bits: used while the chunk is shorter than <see cref="AverageSize"/>.</summary>
    internal const ulong MaskS = 0x0000_d907_0753_7000;

    /// <summary>14 effective bits: used from <see cref="AverageSize"/> to <see cref="MaxSize"/>.</summary>
    internal const ulong MaskL = 0x0000_d903_1353_0000;

    /// <summary>The read buffer: each read fills what is free of it, at least 4 MiB - MaxSize (≥ 1 MiB: few read calls).</summary>
    private const int BufferSize = 4 << 20;

    internal static readonly ulong[] Gear = BuildGear();
    private static readonly ulong[] GearShifted = Array.ConvertAll(Gear, g => g << 1);

    /// <summary>
    /// Length of the chunk that starts at <c>data[0]</c>. <paramref name="final"/>: <paramref name="data"/>
    /// runs to the end of the content. Returns 0 only when there is no data, or when !final and no
    /// cut point was found in data shorter than <see cref="MaxSize"/> ("give me more").
    /// </summary>
    public static int NextCut(ReadOnlySpan<byte> data, bool final)
    {
        int available = data.Length;
        if (available <= MinSize)
        {
            return final ? available : 0;
        }

        int end = Math.Min(available, MaxSize);
        ref byte start = ref MemoryMarshal.GetReference(data);
        ulong fp = 0;
        int normal = Math.Min(end, AverageSize);
        int cut = Scan(ref start, MinSize, normal, MaskS, ref fp);
        if (cut < 0)
        {
            cut = Scan(ref start, normal, end, MaskL, ref fp);
        }

        if (cut >= 0)
        {
            return cut;
        }

        return available >= MaxSize ? MaxSize : final ? available : 0;
    }

    /// <summary>Chunks the file at <paramref name="path"/> (its current length; a symlink is followed).</summary>
    public static FileChunks ChunkFile(string path, CancellationToken ct)
    {
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.SequentialScan);
        return ChunkFile(handle, RandomAccess.GetLength(handle), ct);
    }

    /// <summary>
    /// Chunks the first <paramref name="length"/> bytes of an open file, hashing each chunk and the
    /// whole in the same pass, in bounded memory (one pooled buffer of 4 MiB). A file that ends
    /// before <paramref name="length"/> is an IOException.
    /// </summary>
    public static FileChunks ChunkFile(SafeFileHandle handle, long length, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        var chunks = new List<ChunkRef>((int)Math.Min(length / AverageSize + 1, 1 << 20));

        // A file that fits the buffer is read at once and stays in it, and is hashed in one call
        // (a one-chunk file's hash is its chunk's); a larger one goes through a hasher read by read.
        bool whole = length <= buffer.Length;
        using Blake3Hasher? fileHasher = whole ? null : Blake3Hasher.New();
        try
        {
            long position = 0;
            int start = 0, end = 0;
            while (true)
            {
                if (end - start < MaxSize && position < length)
                {
                    (start, end) = (0, Compact(buffer, start, end));
                    int want = (int)Math.Min(buffer.Length - end, length - position);
                    ct.ThrowIfCancellationRequested();
                    int read = ReadFully(handle, buffer.AsSpan(end, want), position);
                    fileHasher?.Update(buffer.AsSpan(end, read));
                    end += read;
                    position += read;
                }

                if (start == end)
                {
                    break;
                }

                int cut = NextCut(buffer.AsSpan(start, end - start), final: position == length);
                chunks.Add(new ChunkRef(ContentHash.Compute(buffer.AsSpan(start, cut)), cut));
                start += cut;
            }

            ContentHash fileHash = fileHasher is not null ? ContentHash.FromHasher(fileHasher)
                : chunks.Count == 1 ? chunks[0].Hash
                : ContentHash.Compute(buffer.AsSpan(0, (int)length));
            return new FileChunks(fileHash, length, [.. chunks]);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Moves the unprocessed bytes [start, end) to the front; returns the new end.</summary>
    private static int Compact(byte[] buffer, int start, int end)
    {
        if (start > 0)
        {
            buffer.AsSpan(start, end - start).CopyTo(buffer);
        }

        return end - start;
    }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; a file that ends first is an IOException.</summary>
    private static int ReadFully(SafeFileHandle handle, Span<byte> destination, long offset) =>
        NativePath.ReadUpTo(handle, destination, offset) == destination.Length ? destination.Length
            : throw new IOException("the file ended early (it was shortened while being chunked)");

    /// <summary>
    /// Rolls the gear hash over data[from..to) two bytes a step; returns the chunk length at the
    /// first position where <c>fp &amp; mask == 0</c>, or -1 with <paramref name="fp"/> updated.
    /// No bounds checks: the callers guarantee 0 ≤ from ≤ to ≤ data length.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Scan(ref byte data, int from, int to, ulong mask, ref ulong fp)
    {
        ref ulong gear = ref MemoryMarshal.GetArrayDataReference(Gear);
        ref ulong gearShifted = ref MemoryMarshal.GetArrayDataReference(GearShifted);
        ulong maskShifted = mask << 1;
        ulong hash = fp;
        int i = from;
        for (; i + 1 < to; i += 2)
        {
            hash = (hash << 2) + Unsafe.Add(ref gearShifted, Unsafe.Add(ref data, i)); // = fp after byte i, shifted left once
            if ((hash & maskShifted) == 0)
            {
                return i + 1;
            }

            hash += Unsafe.Add(ref gear, Unsafe.Add(ref data, i + 1)); // = fp after byte i + 1
            if ((hash & mask) == 0)
            {
                return i + 2;
            }
        }

        if (i < to)
        {
            hash = (hash << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref data, i));
            if ((hash & mask) == 0)
            {
                return i + 1;
            }
        }

        fp = hash;
        return -1;
    }

    private static ulong[] BuildGear()
    {
        ReadOnlySpan<byte> label = "tallow-sync-gear-v1"u8;
        Span<byte> input = stackalloc byte[label.Length + 1];
        Span<byte> digest = stackalloc byte[32];
        label.CopyTo(input);
        ulong[] gear = new ulong[256];
        for (int i = 0; i < gear.Length; i++)
        {
            input[^1] = (byte)i;
            Blake3Hasher.Hash(input, digest);
            gear[i] = BinaryPrimitives.ReadUInt64LittleEndian(digest);
        }

        return gear;
    }
}
