// Shared by the sync tests: pseudo-random bytes from SplitMix64 (its output is fixed by its
// definition, unlike System.Random's, so pinned cut points stay valid across .NET versions), the
// chunks of a buffer cut in memory, a FIFO (mkfifo(3)), and a plain one-byte-a-step FastCDC written from the paper
// (TPDS 2020, Algorithm 1 with normalized chunking) to check ContentChunker's two-bytes-a-step loop.
using System.Runtime.InteropServices;
using Tallow.Protocol.Sync;

namespace Tallow.Tests.Sync;

internal static partial class SyncTestData
{
    public static void MakeFifo(string path) => Assert.Equal(0, mkfifo(path, 0x180)); // 0600

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkfifo(string path, uint mode);

    public static byte[] Pseudorandom(int length, ulong seed)
    {
        byte[] bytes = new byte[length];
        ulong state = seed;
        for (int i = 0; i < length; i += 8)
        {
            state += 0x9E3779B97F4A7C15;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            z ^= z >> 31;
            for (int b = 0; b < 8 && i + b < length; b++)
            {
                bytes[i + b] = (byte)(z >> (8 * b));
            }
        }

        return bytes;
    }

    /// <summary>The chunks of <paramref name="data"/> as ContentChunker.NextCut cuts it, each with its BLAKE3.</summary>
    public static List<ChunkRef> ChunkInMemory(ReadOnlySpan<byte> data)
    {
        var chunks = new List<ChunkRef>();
        for (int start = 0; start < data.Length;)
        {
            int cut = ContentChunker.NextCut(data[start..], final: true);
            Assert.InRange(cut, 1, data.Length - start);
            chunks.Add(new ChunkRef(ContentHash.Compute(data.Slice(start, cut)), cut));
            start += cut;
        }

        return chunks;
    }

    /// <summary>Chunk lengths by the paper's one-byte loop: fp = (fp &lt;&lt; 1) + Gear[b] from MinSize on, MaskS before AverageSize, MaskL after, cut after the byte that zeroes fp &amp; mask.</summary>
    public static List<int> ReferenceCutLengths(ReadOnlySpan<byte> data)
    {
        var lengths = new List<int>();
        for (int start = 0; start < data.Length;)
        {
            ReadOnlySpan<byte> rest = data[start..];
            int length = Math.Min(rest.Length, ContentChunker.MaxSize);
            ulong fp = 0;
            for (int i = ContentChunker.MinSize; i < Math.Min(rest.Length, ContentChunker.MaxSize); i++)
            {
                fp = (fp << 1) + ContentChunker.Gear[rest[i]];
                if ((fp & (i < ContentChunker.AverageSize ? ContentChunker.MaskS : ContentChunker.MaskL)) == 0)
                {
                    length = i + 1;
                    break;
                }
            }

            lengths.Add(length);
            start += length;
        }

        return lengths;
    }

    /// <summary>How many chunks of <paramref name="next"/> are not among those of <paramref name="previous"/> (what a sync would have to send).</summary>
    public static int NewChunks(IEnumerable<ChunkRef> previous, IEnumerable<ChunkRef> next)
    {
        var known = previous.Select(c => c.Hash).ToHashSet();
        return next.Count(c => !known.Contains(c.Hash));
    }
}
