// ChunkPipeline's slots are sized to the content (a chunk at most) and grow when a later entry is
// larger: one pipeline carries a tiny entry, then entries larger than a chunk and of unknown
// length, and every record holds the right bytes, in order, none over a chunk.
using Tallow.Wire;
using Tallow.Protocol.Transfer;
using Tallow.Protocol.Transfer.Compression;

namespace Tallow.Tests.Protocol;

public sealed class ChunkPipelineTests
{
    private const int ChunkSize = 256 * 1024;

    [Theory]
    [InlineData(CompressionMode.Never)]
    [InlineData(CompressionMode.Always)]
    public async Task Entries_of_growing_sizes_go_through_one_pipeline_intact(CompressionMode mode)
    {
        using var pipeline = new ChunkPipeline(ChunkSize, mode);
        var random = new Random(7);
        foreach ((int size, bool lengthKnown) in new[] { (5, true), (0, true), (3000, true), (ChunkSize * 3 + 17, true), (ChunkSize / 2, false), (ChunkSize * 2, false), (40_000, true) })
        {
            byte[] content = new byte[size];
            random.NextBytes(content.AsSpan(0, size / 2)); // half random, half zeros: compressible chunks too
            var records = new List<(RecordKind Kind, byte[] Body)>();
            long sentRaw = 0;
            ChunkPipeline.Totals totals = await pipeline.RunAsync(
                new MemoryStream(content),
                lengthKnown ? size : -1,
                hasher: null,
                (buffer, kind, length) =>
                {
                    Assert.True(length <= ChunkSize, $"a record of {length} bytes");
                    records.Add((kind, buffer.Body[..length].ToArray()));
                    return ValueTask.CompletedTask;
                },
                (raw, _) => sentRaw += raw,
                CancellationToken.None);

            using var decompressor = new ChunkDecompressor(ChunkSize);
            var received = new List<byte>();
            foreach ((RecordKind kind, byte[] body) in records)
            {
                if (kind == RecordKind.DataZstd)
                {
                    Assert.True(decompressor.TryDecompress(body, ChunkSize, out ReadOnlyMemory<byte> raw));
                    received.AddRange(raw.ToArray());
                }
                else
                {
                    received.AddRange(body);
                }
            }

            Assert.Equal(content, received.ToArray());
            Assert.Equal(size, totals.ContentBytes);
            Assert.Equal(size, sentRaw);
            Assert.Equal((size + ChunkSize - 1) / ChunkSize, records.Count);
        }
    }
}
