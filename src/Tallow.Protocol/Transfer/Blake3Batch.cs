// BLAKE3 of many small inputs at once (a FileBatch's files), eight chunks in the eight lanes of
// one Vector256 compression. The Blake3 package hashes an input under 8 KiB one 1 KiB chunk at a
// time (~550 MB/s here) and only larger ones in SIMD lanes (3–7 GB/s); a batch of source files or
// node_modules is almost all such inputs, and hashing was the receiver's largest user-space cost
// (13.7 % of a 20,000-file receive, perf). Here the chunks of all the batch's small inputs share
// the lanes, whatever input they belong to; each input's chunk chaining values are then merged
// into its tree (parents, then the root) one compression at a time. Inputs of 8 KiB and more, and
// machines without AVX2, use the package. The result is the standard BLAKE3 hash
// (checked against the package in Blake3BatchTests).
using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tallow.Protocol.Transfer;

internal static class Blake3Batch
{
    public const int HashSize = 32;
    private const int ChunkSize = 1024;
    private const int BlockSize = 64;

    /// <summary>Inputs shorter than this go through the lanes; the package is fast from here on.</summary>
    private const int LaneLimit = 8 * ChunkSize;

    private const uint ChunkStart = 1, ChunkEnd = 2, Parent = 4, Root = 8;

    private static readonly uint[] Iv = [0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19];
    /// <summary>The message word order of each of the 7 rounds (the permutation applied 0..6 times).</summary>
    private static readonly byte[] Schedule = BuildSchedule();

    /// <summary>Writes the BLAKE3 hash of each input (offset, length into <paramref name="data"/>) to <paramref name="hashes"/>, 32 bytes each.</summary>
    public static void Hash(ReadOnlySpan<byte> data, ReadOnlySpan<(int Offset, int Length)> inputs, Span<byte> hashes)
    {
        if (hashes.Length < inputs.Length * HashSize)
        {
            throw new ArgumentException("too small for the hashes", nameof(hashes));
        }

        bool lanes = Avx2.IsSupported; // the lanes' message transpose is AVX2; elsewhere the package
        int capacity = 0;
        foreach ((int _, int length) in inputs)
        {
            capacity += lanes && length < LaneLimit ? Math.Max(1, (length + ChunkSize - 1) / ChunkSize) : 0;
        }

        // Pooled: a batch's chunk list and chaining values were a tenth of its allocations.
        (int Input, int Chunk, int Offset, int Length)[] chunks = ArrayPool<(int, int, int, int)>.Shared.Rent(capacity);
        uint[] cvs = ArrayPool<uint>.Shared.Rent(capacity * 8);
        try
        {
            HashInLanes(data, inputs, hashes, lanes, chunks, cvs);
        }
        finally
        {
            ArrayPool<(int, int, int, int)>.Shared.Return(chunks);
            ArrayPool<uint>.Shared.Return(cvs);
        }
    }

    /// <summary>The package's hash for inputs of <see cref="LaneLimit"/> or more; the others' chunks eight at a time in the lanes.</summary>
    private static void HashInLanes(ReadOnlySpan<byte> data, ReadOnlySpan<(int Offset, int Length)> inputs, Span<byte> hashes, bool lanes, (int Input, int Chunk, int Offset, int Length)[] chunks, uint[] cvs)
    {
        int count = 0;
        for (int i = 0; i < inputs.Length; i++)
        {
            (int offset, int length) = inputs[i];
            if (!lanes || length >= LaneLimit)
            {
                Blake3.Hasher.Hash(data.Slice(offset, length)).AsSpan().CopyTo(hashes.Slice(i * HashSize, HashSize));
                continue;
            }

            int pieces = Math.Max(1, (length + ChunkSize - 1) / ChunkSize);
            for (int c = 0; c < pieces; c++)
            {
                chunks[count++] = (i, c, offset + (c * ChunkSize), Math.Min(ChunkSize, length - (c * ChunkSize)));
            }
        }

        for (int first = 0; first < count; first += 8)
        {
            CompressChunks(data, inputs, chunks.AsSpan(0, count), first, cvs);
        }

        // Each lane-hashed input's chunks are consecutive in the list: merge them into its root.
        Span<uint> root = stackalloc uint[8];
        for (int start = 0; start < count;)
        {
            int input = chunks[start].Input;
            int end = start + 1;
            while (end < count && chunks[end].Input == input)
            {
                end++;
            }

            if (end - start == 1)
            {
                cvs.AsSpan(start * 8, 8).CopyTo(root); // a single chunk was compressed with ROOT already
            }
            else
            {
                Merge(cvs.AsSpan(start * 8, (end - start) * 8), true, root);
            }

            for (int w = 0; w < 8; w++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(hashes[((input * HashSize) + (w * 4))..], root[w]);
            }

            start = end;
        }
    }

    /// <summary>Up to eight chunks (from <paramref name="first"/>) in the lanes; their chaining values go to <paramref name="cvs"/>.</summary>
    private static void CompressChunks(ReadOnlySpan<byte> data, ReadOnlySpan<(int Offset, int Length)> inputs, ReadOnlySpan<(int Input, int Chunk, int Offset, int Length)> chunks, int first, uint[] cvs)
    {
        int lanes = Math.Min(8, chunks.Length - first);
        Span<int> blocks = stackalloc int[8];
        Span<bool> single = stackalloc bool[8];
        Span<uint> counter = stackalloc uint[8];
        int maxBlocks = 0;
        for (int l = 0; l < lanes; l++)
        {
            var chunk = chunks[first + l];
            blocks[l] = Math.Max(1, (chunk.Length + BlockSize - 1) / BlockSize);
            single[l] = inputs[chunk.Input].Length <= ChunkSize;
            counter[l] = (uint)chunk.Chunk;
            maxBlocks = Math.Max(maxBlocks, blocks[l]);
        }

        Span<Vector256<uint>> cv = stackalloc Vector256<uint>[8];
        for (int w = 0; w < 8; w++)
        {
            cv[w] = Vector256.Create(Iv[w]);
        }

        Span<Vector256<uint>> m = stackalloc Vector256<uint>[16];
        Span<Vector256<uint>> rows = stackalloc Vector256<uint>[16]; // lane l's block: words 0-7 in rows[l], 8-15 in rows[8 + l]
        Span<uint> lengths = stackalloc uint[8];
        Span<uint> flags = stackalloc uint[8];
        Span<uint> active = stackalloc uint[8];
        Span<byte> padded = stackalloc byte[BlockSize];
        Span<Vector256<uint>> next = stackalloc Vector256<uint>[8];
        var counters = Vector256.Create<uint>(counter);
        for (int b = 0; b < maxBlocks; b++)
        {
            rows.Clear();
            lengths.Clear();
            flags.Clear();
            active.Clear();
            for (int l = 0; l < lanes; l++)
            {
                if (b >= blocks[l])
                {
                    continue;
                }

                var chunk = chunks[first + l];
                int length = Math.Min(BlockSize, chunk.Length - (b * BlockSize));
                scoped ReadOnlySpan<byte> source = data.Slice(chunk.Offset + (b * BlockSize), Math.Max(0, length));
                if (length < BlockSize)
                {
                    padded.Clear(); // the last block of a chunk is zero-padded
                    source.CopyTo(padded);
                    source = padded;
                }

                rows[l] = Vector256.Create<byte>(source[..32]).AsUInt32();
                rows[8 + l] = Vector256.Create<byte>(source[32..BlockSize]).AsUInt32();

                bool last = b == blocks[l] - 1;
                lengths[l] = (uint)Math.Max(0, length);
                flags[l] = (b == 0 ? ChunkStart : 0) | (last ? ChunkEnd : 0) | (last && single[l] ? Root : 0);
                active[l] = uint.MaxValue;
            }

            Transpose(rows[..8], m[..8]);
            Transpose(rows[8..], m[8..]);

            Compress(cv, m, counters, Vector256.Create<uint>(lengths), Vector256.Create<uint>(flags), next);
            var mask = Vector256.Create<uint>(active);
            for (int w = 0; w < 8; w++)
            {
                cv[w] = Vector256.ConditionalSelect(mask, next[w], cv[w]);
            }
        }

        for (int w = 0; w < 8; w++)
        {
            for (int l = 0; l < lanes; l++)
            {
                cvs[((first + l) * 8) + w] = cv[w].GetElement(l);
            }
        }
    }

    /// <summary>An 8×8 transpose of 32-bit words: row l (lane l's eight message words) becomes element l of each column (AVX2).</summary>
    private static void Transpose(ReadOnlySpan<Vector256<uint>> r, Span<Vector256<uint>> c)
    {
        Vector256<uint> t0 = Avx2.UnpackLow(r[0], r[1]), t1 = Avx2.UnpackHigh(r[0], r[1]);
        Vector256<uint> t2 = Avx2.UnpackLow(r[2], r[3]), t3 = Avx2.UnpackHigh(r[2], r[3]);
        Vector256<uint> t4 = Avx2.UnpackLow(r[4], r[5]), t5 = Avx2.UnpackHigh(r[4], r[5]);
        Vector256<uint> t6 = Avx2.UnpackLow(r[6], r[7]), t7 = Avx2.UnpackHigh(r[6], r[7]);
        Vector256<uint> u0 = Avx2.UnpackLow(t0.AsUInt64(), t2.AsUInt64()).AsUInt32(), u1 = Avx2.UnpackHigh(t0.AsUInt64(), t2.AsUInt64()).AsUInt32();
        Vector256<uint> u2 = Avx2.UnpackLow(t1.AsUInt64(), t3.AsUInt64()).AsUInt32(), u3 = Avx2.UnpackHigh(t1.AsUInt64(), t3.AsUInt64()).AsUInt32();
        Vector256<uint> u4 = Avx2.UnpackLow(t4.AsUInt64(), t6.AsUInt64()).AsUInt32(), u5 = Avx2.UnpackHigh(t4.AsUInt64(), t6.AsUInt64()).AsUInt32();
        Vector256<uint> u6 = Avx2.UnpackLow(t5.AsUInt64(), t7.AsUInt64()).AsUInt32(), u7 = Avx2.UnpackHigh(t5.AsUInt64(), t7.AsUInt64()).AsUInt32();
        c[0] = Avx2.Permute2x128(u0, u4, 0x20);
        c[1] = Avx2.Permute2x128(u1, u5, 0x20);
        c[2] = Avx2.Permute2x128(u2, u6, 0x20);
        c[3] = Avx2.Permute2x128(u3, u7, 0x20);
        c[4] = Avx2.Permute2x128(u0, u4, 0x31);
        c[5] = Avx2.Permute2x128(u1, u5, 0x31);
        c[6] = Avx2.Permute2x128(u2, u6, 0x31);
        c[7] = Avx2.Permute2x128(u3, u7, 0x31);
    }

    /// <summary>BLAKE3's tree over chunk chaining values: the left subtree holds the largest power of two of chunks below the count.</summary>
    private static void Merge(ReadOnlySpan<uint> cvs, bool root, Span<uint> result)
    {
        int count = cvs.Length / 8;
        if (count == 1)
        {
            cvs.CopyTo(result);
            return;
        }

        int left = (int)BitOperations.RoundUpToPowerOf2((uint)count) / 2;
        Span<uint> block = stackalloc uint[16];
        Merge(cvs[..(left * 8)], false, block[..8]);
        Merge(cvs[(left * 8)..], false, block[8..]);
        CompressScalar(Iv, block, 0, BlockSize, Parent | (root ? Root : 0), result);
    }

    private static void CompressScalar(ReadOnlySpan<uint> cv, ReadOnlySpan<uint> block, ulong counter, uint blockLength, uint flags, Span<uint> result)
    {
        Span<Vector256<uint>> v = stackalloc Vector256<uint>[8];
        Span<Vector256<uint>> m = stackalloc Vector256<uint>[16];
        for (int w = 0; w < 8; w++)
        {
            v[w] = Vector256.Create(cv[w]);
        }

        for (int w = 0; w < 16; w++)
        {
            m[w] = Vector256.Create(block[w]);
        }

        Span<Vector256<uint>> next = stackalloc Vector256<uint>[8];
        Compress(v, m, Vector256.Create((uint)counter), Vector256.Create(blockLength), Vector256.Create(flags), next);
        for (int w = 0; w < 8; w++)
        {
            result[w] = next[w].GetElement(0);
        }
    }

    /// <summary>The BLAKE3 compression in eight lanes (counters under 2^32): the new chaining value of each.</summary>
    private static void Compress(ReadOnlySpan<Vector256<uint>> cv, ReadOnlySpan<Vector256<uint>> m, Vector256<uint> counterLow, Vector256<uint> blockLength, Vector256<uint> flags, Span<Vector256<uint>> result)
    {
        Vector256<uint> s0 = cv[0], s1 = cv[1], s2 = cv[2], s3 = cv[3], s4 = cv[4], s5 = cv[5], s6 = cv[6], s7 = cv[7];
        Vector256<uint> s8 = Vector256.Create(Iv[0]), s9 = Vector256.Create(Iv[1]), s10 = Vector256.Create(Iv[2]), s11 = Vector256.Create(Iv[3]);
        Vector256<uint> s12 = counterLow, s13 = Vector256<uint>.Zero, s14 = blockLength, s15 = flags;
        ReadOnlySpan<byte> schedule = Schedule;
        for (int round = 0; round < 7; round++)
        {
            ReadOnlySpan<byte> o = schedule.Slice(round * 16, 16);
            G(ref s0, ref s4, ref s8, ref s12, m[o[0]], m[o[1]]);
            G(ref s1, ref s5, ref s9, ref s13, m[o[2]], m[o[3]]);
            G(ref s2, ref s6, ref s10, ref s14, m[o[4]], m[o[5]]);
            G(ref s3, ref s7, ref s11, ref s15, m[o[6]], m[o[7]]);
            G(ref s0, ref s5, ref s10, ref s15, m[o[8]], m[o[9]]);
            G(ref s1, ref s6, ref s11, ref s12, m[o[10]], m[o[11]]);
            G(ref s2, ref s7, ref s8, ref s13, m[o[12]], m[o[13]]);
            G(ref s3, ref s4, ref s9, ref s14, m[o[14]], m[o[15]]);
        }

        result[0] = s0 ^ s8;
        result[1] = s1 ^ s9;
        result[2] = s2 ^ s10;
        result[3] = s3 ^ s11;
        result[4] = s4 ^ s12;
        result[5] = s5 ^ s13;
        result[6] = s6 ^ s14;
        result[7] = s7 ^ s15;
    }

    private static byte[] BuildSchedule()
    {
        ReadOnlySpan<byte> permutation = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8];
        byte[] schedule = new byte[7 * 16];
        for (int w = 0; w < 16; w++)
        {
            schedule[w] = (byte)w;
        }

        for (int round = 1; round < 7; round++)
        {
            for (int w = 0; w < 16; w++)
            {
                schedule[(round * 16) + w] = schedule[((round - 1) * 16) + permutation[w]];
            }
        }

        return schedule;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void G(ref Vector256<uint> a, ref Vector256<uint> b, ref Vector256<uint> c, ref Vector256<uint> d, Vector256<uint> x, Vector256<uint> y)
    {
        a += b + x;
        d = RotateRight(d ^ a, 16);
        c += d;
        b = RotateRight(b ^ c, 12);
        a += b + y;
        d = RotateRight(d ^ a, 8);
        c += d;
        b = RotateRight(b ^ c, 7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> RotateRight(Vector256<uint> v, int n) => Vector256.ShiftRightLogical(v, n) | Vector256.ShiftLeft(v, 32 - n);
}
