// Per-chunk zstd: what shrinks is compressed, what does not is sent raw, and the receiver
// refuses frames that are malformed or expand beyond their bound (no zip bombs).
using System.Text;
using Microsoft.Extensions.Time.Testing;
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

    [Fact]
    public void Text_shrinks_and_round_trips()
    {
        byte[] raw = Text(Chunk, 1);
        using var compressor = new ChunkCompressor(CompressionMode.Always);
        byte[] frame = new byte[Chunk];
        Assert.True(compressor.TryCompress(raw, frame, out int written));
        Assert.InRange(written, 1, Chunk / 3);

        using var decompressor = new ChunkDecompressor(Chunk);
        Assert.True(decompressor.TryDecompress(frame.AsSpan(0, written), Chunk, out ReadOnlyMemory<byte> content));
        Assert.True(content.Span.SequenceEqual(raw));
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

    /// <summary>
    /// Feeds <paramref name="chunks"/> chunks to Auto as the pipeline does (prepare, then sent),
    /// each taking <paramref name="perChunk"/> on the wire (<paramref name="perCompressedChunk"/>
    /// when it went compressed); returns which chunks were compressed.
    /// </summary>
    private static bool[] Drive(ChunkCompressor compressor, FakeTimeProvider time, Func<int, byte[]> content, int chunks, TimeSpan perChunk, TimeSpan perCompressedChunk)
    {
        byte[] frame = new byte[Chunk];
        bool[] compressed = new bool[chunks];
        for (int i = 0; i < chunks; i++)
        {
            compressed[i] = compressor.TryCompress(content(i), frame, out _);
            time.Advance(compressed[i] ? perCompressedChunk : perChunk);
            compressor.OnSent(Chunk);
        }

        return compressed;
    }

    [Fact]
    public void Auto_sends_raw_first_and_compresses_text_once_it_measured_that_this_moves_the_file_faster()
    {
        var time = new FakeTimeProvider();
        using var compressor = new ChunkCompressor(CompressionMode.Auto, time);
        byte[] text = Text(Chunk, 3);

        // A link of 25 MB/s raw; compressed chunks (about 4x smaller) leave four times as fast.
        bool[] compressed = Drive(compressor, time, _ => text, 400, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(2.5));
        int firstCompressed = Array.IndexOf(compressed, true);
        Assert.InRange(firstCompressed, 8, 64);                    // after the raw probe, never before
        Assert.True(compressed[firstCompressed..].Count(c => c) > 300, "kept compressing after the probes");
    }

    [Fact]
    public void Auto_goes_back_to_raw_when_the_compressed_probe_was_slower()
    {
        var time = new FakeTimeProvider();
        using var compressor = new ChunkCompressor(CompressionMode.Auto, time);
        byte[] text = Text(Chunk, 4);

        // Compressed chunks take longer (a CPU-bound machine): after one probe, raw for good.
        bool[] compressed = Drive(compressor, time, _ => text, 400, TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(4));
        int compressedCount = compressed.Count(c => c);
        Assert.InRange(compressedCount, 8, 200);
        Assert.DoesNotContain(true, compressed[^100..]);
    }

    [Fact]
    public void Auto_never_compresses_data_that_does_not_shrink()
    {
        var time = new FakeTimeProvider();
        using var compressor = new ChunkCompressor(CompressionMode.Auto, time);
        bool[] compressed = Drive(compressor, time, i => RandomBytes(Chunk, i), 300, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(1));
        Assert.DoesNotContain(true, compressed);
    }

    [Fact]
    public void Always_tries_every_chunk_and_Never_none()
    {
        using var always = new ChunkCompressor(CompressionMode.Always);
        using var never = new ChunkCompressor(CompressionMode.Never);
        byte[] frame = new byte[Chunk];
        Assert.False(always.TryCompress(RandomBytes(Chunk, 1), frame, out _));
        Assert.True(always.TryCompress(Text(Chunk, 3), frame, out _)); // no back-off after random data
        Assert.False(never.TryCompress(Text(Chunk, 3), frame, out _));
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
