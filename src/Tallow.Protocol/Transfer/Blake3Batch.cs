// BLAKE3 of many small inputs at once (a FileBatch's files). BLAKE3 hashes an input one 1 KiB
// chunk at a time unless it has several chunks to put in SIMD lanes; a batch of source files or
// node_modules is almost all such inputs, and hashing was the receiver's largest user-space cost
// (13.7 % of a 20,000-file receive, perf). Here the chunks of all the batch's small inputs share
// the lanes of one compression, whatever input they belong to: 16 in a Vector512 with AVX-512,
// else 8 in a Vector256 (Blake3Batch.Lanes.cs). Each input's chunk chaining values are then merged
// into its tree level by level, the parents of all inputs again sharing the lanes. Inputs of 8 KiB
// and more, and machines without AVX2, use the native package (Blake3Hasher). 20,000 inputs here:
// 0.1–1 KB 1,247 MB/s in lanes against 905 one by one natively, 1–3 KB 1,512 against 1,176;
// 3–8 KB level (1,631 / 1,701). The result is the standard BLAKE3 hash (Blake3BatchTests).
using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tallow.Protocol.Transfer;

// No zeroing of stackalloc'd buffers (a compression's were zeroed per block: most of the lanes'
// time in the NativeAOT build, perf): every buffer here is written before it is read, and what
// inactive lanes compute from stale words is masked away.
[SkipLocalsInit]
internal static partial class Blake3Batch
{
    public const int HashSize = 32;
    private const int ChunkSize = 1024;
    private const int BlockSize = 64;

    /// <summary>Inputs shorter than this go through the lanes; the package is fast from here on.</summary>
    private const int LaneLimit = 8 * ChunkSize;

    private const uint ChunkStart = 1, ChunkEnd = 2, Parent = 4, Root = 8;

    /// <summary>The most lanes of one compression (the stack buffers' size).</summary>
    private const int MaxLanes = 16;

    private static readonly uint[] Iv = [0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19];
    /// <summary>The message word order of each of the 7 rounds (the permutation applied 0..6 times).</summary>
    private static readonly byte[] Schedule = BuildSchedule();

    /// <summary>Lanes this machine hashes in: 16 with AVX-512, 8 with AVX2 (the transposes need them), else none (the package).</summary>
    public static int Width { get; } = Avx512F.IsSupported ? 16 : Avx2.IsSupported ? 8 : 0;

    /// <summary>Writes the BLAKE3 hash of each input (offset, length into <paramref name="data"/>) to <paramref name="hashes"/>, 32 bytes each.</summary>
    public static void Hash(ReadOnlySpan<byte> data, ReadOnlySpan<(int Offset, int Length)> inputs, Span<byte> hashes) =>
        Hash(data, inputs, hashes, Width);

    /// <summary><see cref="Hash(ReadOnlySpan{byte}, ReadOnlySpan{ValueTuple{int, int}}, Span{byte})"/> in <paramref name="width"/> lanes (at most <see cref="Width"/>; 0: the package).</summary>
    internal static void Hash(ReadOnlySpan<byte> data, ReadOnlySpan<(int Offset, int Length)> inputs, Span<byte> hashes, int width)
    {
        if (hashes.Length < inputs.Length * HashSize)
        {
            throw new ArgumentException("too small for the hashes", nameof(hashes));
        }

        if (width is not (0 or 8 or 16) || width > Width)
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, $"this machine hashes in {Width} lanes at most");
        }

        bool lanes = width > 0;
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
            HashInLanes(data, inputs, hashes, width, chunks, cvs);
        }
        finally
        {
            ArrayPool<(int, int, int, int)>.Shared.Return(chunks);
            ArrayPool<uint>.Shared.Return(cvs);
        }
    }

    /// <summary>The package's hash for inputs of <see cref="LaneLimit"/> or more; the others' chunks 16 or 8 at a time in the lanes.</summary>
    private static void HashInLanes(ReadOnlySpan<byte> data, ReadOnlySpan<(int Offset, int Length)> inputs, Span<byte> hashes, int width, (int Input, int Chunk, int Offset, int Length)[] chunks, uint[] cvs)
    {
        int count = 0;
        for (int i = 0; i < inputs.Length; i++)
        {
            (int offset, int length) = inputs[i];
            if (width == 0 || length >= LaneLimit)
            {
                Blake3Hasher.Hash(data.Slice(offset, length), hashes.Slice(i * HashSize, HashSize));
                continue;
            }

            int pieces = Math.Max(1, (length + ChunkSize - 1) / ChunkSize);
            for (int c = 0; c < pieces; c++)
            {
                chunks[count++] = (i, c, offset + (c * ChunkSize), Math.Min(ChunkSize, length - (c * ChunkSize)));
            }
        }

        for (int first = 0; first < count; first += width)
        {
            CompressChunks(data, inputs, chunks.AsSpan(0, count), first, cvs, width);
        }

        // Each lane-hashed input's chunks are consecutive in the list: the leaves of its tree.
        (int Input, int Start, int Count)[] trees = ArrayPool<(int, int, int)>.Shared.Rent(inputs.Length);
        try
        {
            int treeCount = 0;
            for (int start = 0; start < count;)
            {
                int end = start + 1;
                while (end < count && chunks[end].Input == chunks[start].Input)
                {
                    end++;
                }

                trees[treeCount++] = (chunks[start].Input, start, end - start);
                start = end;
            }

            MergeInLanes(cvs, trees.AsSpan(0, treeCount), width);
            foreach ((int input, int start, int _) in trees.AsSpan(0, treeCount))
            {
                for (int w = 0; w < 8; w++)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(hashes[((input * HashSize) + (w * 4))..], cvs[(start * 8) + w]);
                }
            }
        }
        finally
        {
            ArrayPool<(int, int, int)>.Shared.Return(trees);
        }
    }

    /// <summary>
    /// Up to <paramref name="width"/> chunks (from <paramref name="first"/>) in the lanes, block by
    /// block; their chaining values go to <paramref name="cvs"/>. A lane whose chunk has no more
    /// blocks keeps its chaining value (masked).
    /// </summary>
    private static void CompressChunks(ReadOnlySpan<byte> data, ReadOnlySpan<(int Offset, int Length)> inputs, ReadOnlySpan<(int Input, int Chunk, int Offset, int Length)> chunks, int first, uint[] cvs, int width)
    {
        int lanes = Math.Min(width, chunks.Length - first);
        Span<int> blocks = stackalloc int[MaxLanes];
        Span<bool> single = stackalloc bool[MaxLanes];
        Span<uint> counter = stackalloc uint[MaxLanes];
        int maxBlocks = 0;
        for (int l = 0; l < lanes; l++)
        {
            var chunk = chunks[first + l];
            blocks[l] = Math.Max(1, (chunk.Length + BlockSize - 1) / BlockSize);
            single[l] = inputs[chunk.Input].Length <= ChunkSize;
            counter[l] = (uint)chunk.Chunk;
            maxBlocks = Math.Max(maxBlocks, blocks[l]);
        }

        Span<uint> cv = stackalloc uint[8 * MaxLanes]; // word w of lane l at [w * MaxLanes + l]
        FillIv(cv);

        Span<uint> words = stackalloc uint[16 * MaxLanes]; // lane l's block: 16 words from [l * 16]
        Span<byte> blockBytes = MemoryMarshal.AsBytes(words);
        Span<uint> lengths = stackalloc uint[MaxLanes];
        Span<uint> flags = stackalloc uint[MaxLanes];
        Span<uint> active = stackalloc uint[MaxLanes];
        active[lanes..].Clear(); // lanes past `lanes` stay inactive
        for (int b = 0; b < maxBlocks; b++)
        {
            for (int l = 0; l < lanes; l++)
            {
                if (b >= blocks[l])
                {
                    active[l] = 0;
                    continue;
                }

                var chunk = chunks[first + l];
                int length = Math.Max(0, Math.Min(BlockSize, chunk.Length - (b * BlockSize)));
                Span<byte> block = blockBytes.Slice(l * BlockSize, BlockSize);
                ReadOnlySpan<byte> source = data.Slice(chunk.Offset + (b * BlockSize), length);
                if (length == BlockSize)
                {
                    Vector512.Create(source).CopyTo(block); // one load and one store with AVX-512
                }
                else
                {
                    source.CopyTo(block);
                    block[length..].Clear(); // the last block of a chunk is zero-padded
                }

                bool last = b == blocks[l] - 1;
                lengths[l] = (uint)length;
                flags[l] = (b == 0 ? ChunkStart : 0) | (last ? ChunkEnd : 0) | (last && single[l] ? Root : 0);
                active[l] = uint.MaxValue;
            }

            CompressLanes(width, cv, words, counter, lengths, flags, active);
        }

        for (int w = 0; w < 8; w++)
        {
            for (int l = 0; l < lanes; l++)
            {
                cvs[((first + l) * 8) + w] = cv[(w * MaxLanes) + l];
            }
        }
    }

    /// <summary>
    /// Every tree's chunk chaining values merged into its root (at its first node), all trees level
    /// by level: adjacent pairs become parents and an odd level's last node moves up as it is,
    /// which is BLAKE3's tree (the left subtree holds the largest power of two of chunks below the
    /// count). A level's parents are compressed in the lanes whatever tree they belong to: with
    /// one compression per parent, merging cost as much as hashing the chunks. Node k of the next
    /// level is written over node k, which no later pair of the level reads (they read 2k' > k).
    /// </summary>
    private static void MergeInLanes(uint[] cvs, Span<(int Input, int Start, int Count)> trees, int width)
    {
        Span<int> pairAt = stackalloc int[MaxLanes]; // a lane's pair: nodes pairAt and pairAt + 1 (16 words)
        Span<int> parentAt = stackalloc int[MaxLanes];
        Span<uint> flags = stackalloc uint[MaxLanes];
        bool more = true;
        while (more)
        {
            int lanes = 0;
            foreach ((int _, int start, int count) in trees)
            {
                for (int k = 0; k < count / 2; k++)
                {
                    pairAt[lanes] = start + (2 * k);
                    parentAt[lanes] = start + k;
                    flags[lanes] = Parent | (count == 2 ? Root : 0);
                    if (++lanes == width)
                    {
                        CompressParents(cvs, pairAt, parentAt, flags, lanes, width);
                        lanes = 0;
                    }
                }
            }

            if (lanes > 0)
            {
                CompressParents(cvs, pairAt, parentAt, flags, lanes, width);
            }

            more = false;
            foreach (ref (int Input, int Start, int Count) tree in trees)
            {
                if (tree.Count > 1)
                {
                    if (tree.Count % 2 == 1)
                    {
                        cvs.AsSpan((tree.Start + tree.Count - 1) * 8, 8).CopyTo(cvs.AsSpan((tree.Start + (tree.Count / 2)) * 8, 8));
                    }

                    tree.Count = (tree.Count + 1) / 2;
                    more |= tree.Count > 1;
                }
            }
        }
    }

    /// <summary>The parents of the first <paramref name="lanes"/> pairs, in one compression.</summary>
    private static void CompressParents(uint[] cvs, ReadOnlySpan<int> pairAt, ReadOnlySpan<int> parentAt, ReadOnlySpan<uint> flags, int lanes, int width)
    {
        Span<uint> words = stackalloc uint[16 * MaxLanes];
        Span<uint> active = stackalloc uint[MaxLanes];
        active[lanes..].Clear();
        for (int l = 0; l < lanes; l++)
        {
            cvs.AsSpan(pairAt[l] * 8, 16).CopyTo(words.Slice(l * 16, 16)); // left ‖ right chaining value
            active[l] = uint.MaxValue;
        }

        Span<uint> cv = stackalloc uint[8 * MaxLanes];
        FillIv(cv);

        Span<uint> counter = stackalloc uint[MaxLanes];
        counter.Clear(); // parents count from 0
        Span<uint> lengths = stackalloc uint[MaxLanes];
        lengths.Fill(BlockSize);
        CompressLanes(width, cv, words, counter, lengths, flags, active);

        for (int l = 0; l < lanes; l++)
        {
            for (int w = 0; w < 8; w++)
            {
                cvs[(parentAt[l] * 8) + w] = cv[(w * MaxLanes) + l];
            }
        }
    }

    /// <summary>Every lane's chaining value set to the IV (word-major, as the lanes keep them).</summary>
    private static void FillIv(Span<uint> cv)
    {
        for (int w = 0; w < 8; w++)
        {
            cv.Slice(w * MaxLanes, MaxLanes).Fill(Iv[w]);
        }
    }

    /// <summary>One compression of every active lane, in this machine's width.</summary>
    private static void CompressLanes(int width, Span<uint> cv, ReadOnlySpan<uint> words, ReadOnlySpan<uint> counter, ReadOnlySpan<uint> lengths, ReadOnlySpan<uint> flags, ReadOnlySpan<uint> active)
    {
        if (width == 16)
        {
            Compress16(cv, words, counter, lengths, flags, active);
        }
        else
        {
            Compress8(cv, words, counter, lengths, flags, active);
        }
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
}
