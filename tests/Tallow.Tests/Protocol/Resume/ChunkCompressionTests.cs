// Per-chunk zstd: what shrinks is compressed, what does not is sent raw, and the receiver
// refuses frames that are malformed or expand beyond their bound (no zip bombs).
using System.Text;
using Tallow.Protocol.Transfer.Compression;

namespace Tallow.Tests.Protocol.Resume;

public class ChunkCompressionTests
{
    private const int Chunk = 256 * 1024;

    private static byte[] Text(int length, int seed)
    {
        var random = new Random(seed);
        string[] words = ["GET", "POST", "/api/items", "200", "404", "user", "session", "timeout", "cache hit", "cache miss"];
        var sb = new StringBuilder();
        while (sb.Length < length)
        {
            sb.Append("{\"ts\":").Append(1_700_000_000 + sb.Length).Append(",\"msg\":\"").Append(words[random.Next(words.Length)]).Append(' ')
              .Append(words[random.Next(words.Length)]).Append("\",\"ms\":").Append(random.Next(500)).Append("}\n");
        }

        return Encoding.ASCII.GetBytes(sb.ToString(0, length));
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Theory]
    [InlineData(CompressionMode.Auto)]
    [InlineData(CompressionMode.Always)]
    public void Text_shrinks_and_round_trips(CompressionMode mode)
    {
        byte[] raw = Text(Chunk, 1);
        using var compressor = new ChunkCompressor(mode);
        byte[] frame = new byte[Chunk];
        Assert.True(compressor.TryCompress(raw, frame, out int written));
        Assert.InRange(written, 1, Chunk / 3);

        using var decompressor = new ChunkDecompressor(Chunk);
        Assert.True(decompressor.TryDecompress(frame.AsSpan(0, written), Chunk, out ReadOnlyMemory<byte> content));
        Assert.True(content.Span.SequenceEqual(raw));
    }

    [Fact]
    public void Never_compresses_nothing()
    {
        using var compressor = new ChunkCompressor(CompressionMode.Never);
        Assert.False(compressor.TryCompress(Text(Chunk, 2), new byte[Chunk], out _));
    }

    [Theory]
    [InlineData(CompressionMode.Auto)]
    [InlineData(CompressionMode.Always)]
    public void Random_data_is_sent_raw(CompressionMode mode)
    {
        using var compressor = new ChunkCompressor(mode);
        for (int i = 0; i < 8; i++)
        {
            Assert.False(compressor.TryCompress(RandomBytes(Chunk, i), new byte[Chunk], out int written));
            Assert.Equal(0, written);
        }
    }

    [Fact]
    public void Auto_skips_chunks_after_one_that_did_not_shrink_and_Always_does_not()
    {
        using var auto = new ChunkCompressor(CompressionMode.Auto);
        using var always = new ChunkCompressor(CompressionMode.Always);
        byte[] frame = new byte[Chunk];
        Assert.False(auto.TryCompress(RandomBytes(Chunk, 1), frame, out _));
        Assert.False(always.TryCompress(RandomBytes(Chunk, 1), frame, out _));

        // The very next chunk is text: Auto is backing off (skips 1 chunk), Always tries it.
        Assert.False(auto.TryCompress(Text(Chunk, 3), frame, out _));
        Assert.True(always.TryCompress(Text(Chunk, 3), frame, out _));
        Assert.True(auto.TryCompress(Text(Chunk, 4), frame, out _));
    }

    [Fact]
    public void A_frame_that_expands_beyond_its_bound_is_refused()
    {
        byte[] zeros = new byte[Chunk];
        using var compressor = new ChunkCompressor(CompressionMode.Always);
        byte[] frame = new byte[Chunk];
        Assert.True(compressor.TryCompress(zeros, frame, out int written));
        Assert.True(written < 1024);

        using var decompressor = new ChunkDecompressor(Chunk);
        Assert.False(decompressor.TryDecompress(frame.AsSpan(0, written), Chunk - 1, out _)); // past the file's end
        using var small = new ChunkDecompressor(Chunk / 2);
        Assert.False(small.TryDecompress(frame.AsSpan(0, written), long.MaxValue, out _));    // past the chunk size
        Assert.True(decompressor.TryDecompress(frame.AsSpan(0, written), Chunk, out ReadOnlyMemory<byte> content));
        Assert.Equal(Chunk, content.Length);
    }

    [Fact]
    public void Garbage_truncated_and_empty_frames_are_refused()
    {
        using var compressor = new ChunkCompressor(CompressionMode.Always);
        byte[] frame = new byte[Chunk];
        Assert.True(compressor.TryCompress(Text(Chunk, 5), frame, out int written));
        using var decompressor = new ChunkDecompressor(Chunk);
        Assert.False(decompressor.TryDecompress(frame.AsSpan(0, written / 2), Chunk, out _));
        Assert.False(decompressor.TryDecompress(RandomBytes(4096, 9), Chunk, out _));
        Assert.False(decompressor.TryDecompress([], Chunk, out _));
        Assert.False(decompressor.TryDecompress(frame.AsSpan(0, written), 0, out _));

        var random = new Random(11);
        for (int i = 0; i < 500; i++)
        {
            byte[] mutated = frame[..written];
            mutated[random.Next(mutated.Length)] ^= (byte)(1 << random.Next(8));
            if (decompressor.TryDecompress(mutated, Chunk, out ReadOnlyMemory<byte> content))
            {
                Assert.InRange(content.Length, 1, Chunk); // whatever a flipped bit yields stays in bounds
            }
        }
    }
}
