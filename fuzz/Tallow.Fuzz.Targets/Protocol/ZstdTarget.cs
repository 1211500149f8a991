// Target "zstd": a DataZstd record's body (DESIGN.md §8), one zstd frame from the peer, through
// the receiver's ChunkDecompressor. The first two bytes choose the chunk size and the bytes the
// file still expects. It must refuse (false) anything malformed or expanding past either bound,
// never throw, and give the same answer when the same decompressor sees the frame again.
using Tallow.Protocol.Transfer.Compression;
using ZstdSharp;

namespace Tallow.Fuzz.Targets.Protocol;

public static class ZstdTarget
{
    public static readonly FuzzTarget Zstd = new("zstd", "ChunkDecompressor.TryDecompress", Fuzz, Seeds);

    public static void Fuzz(ReadOnlySpan<byte> data)
    {
        if (data.Length < 2)
        {
            return;
        }

        int chunkSize = 1024 * (1 + (data[0] & 0x3F));
        long remaining = data[1] == 0xFF ? long.MaxValue : data[1] * 512L;
        ReadOnlySpan<byte> frame = data[2..];
        using var decompressor = new ChunkDecompressor(chunkSize);
        bool first = decompressor.TryDecompress(frame, remaining, out ReadOnlyMemory<byte> content);
        if (first)
        {
            FuzzInvariantException.Check(content.Length > 0 && content.Length <= chunkSize && content.Length <= remaining, "zstd: content outside its bounds");
        }

        byte[] copy = content.ToArray();
        bool second = decompressor.TryDecompress(frame, remaining, out ReadOnlyMemory<byte> again);
        FuzzInvariantException.Check(first == second && (!first || again.Span.SequenceEqual(copy)), "zstd: the same frame decompressed differently the second time");
    }

    public static IEnumerable<byte[]> Seeds()
    {
        byte[] text = [.. Enumerable.Repeat("a line of text that compresses well\n"u8.ToArray(), 40).SelectMany(b => b)];
        using var compressor = new Compressor(ChunkCompressor.Level);
        byte[] frame = compressor.Wrap(text).ToArray();
        yield return [3, 0xFF, .. frame]; // fits: 4 KiB chunk, no file bound
        yield return [0, 1, .. frame];    // expands past both bounds (a small bomb)
        using var zeros = new Compressor(ChunkCompressor.Level);
        yield return [0x3F, 0xFF, .. zeros.Wrap(new byte[60_000]).ToArray()];
    }
}
