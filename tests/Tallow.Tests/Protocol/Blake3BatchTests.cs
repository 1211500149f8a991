// Blake3Batch against the Blake3 package: every length class of a small input (empty, inside one
// block, block and chunk edges, every chunk count up to the lane limit and past it), alone and
// mixed in one batch, at any offset of a shared buffer; in every lane width this machine has
// (16 with AVX-512, 8 with AVX2, 0: the package alone).
using Tallow.Protocol;
using Tallow.Protocol.Transfer;

namespace Tallow.Tests.Protocol;

public sealed class Blake3BatchTests
{
    private static readonly int[] EdgeLengths =
        [0, 1, 63, 64, 65, 127, 128, 1000, 1023, 1024, 1025, 2047, 2048, 2049, 3072, 3073, 4096, 5000, 6144, 7167, 7168, 7169, 8191, 8192, 8193, 20000];

    private static readonly int[] Widths = [.. new[] { 0, 8, 16 }.Where(w => w <= Blake3Batch.Width)];

    [Fact]
    public void Every_edge_length_alone_hashes_as_the_package_does()
    {
        var random = new Random(1);
        foreach (int width in Widths)
        {
            foreach (int length in EdgeLengths)
            {
                byte[] data = new byte[length + 3];
                random.NextBytes(data);
                byte[] hash = new byte[32];
                Blake3Batch.Hash(data, [(3, length)], hash, width);
                Assert.True(Expected(data.AsSpan(3, length)).SequenceEqual(hash), $"length {length}, {width} lanes");
            }
        }
    }

    [Theory]
    [InlineData(1, 8192)]
    [InlineData(2, 300)]
    [InlineData(3, 9000)]
    [InlineData(4, 1100)]
    [InlineData(5, 8191)]
    public void A_batch_of_mixed_lengths_hashes_each_input_as_the_package_does(int seed, int maxLength)
    {
        var random = new Random(seed);
        int count = random.Next(1, 120);
        var inputs = new (int Offset, int Length)[count];
        int total = 0;
        for (int i = 0; i < count; i++)
        {
            int length = i < EdgeLengths.Length && seed == 1 ? Math.Min(EdgeLengths[i], maxLength) : random.Next(0, maxLength + 1);
            inputs[i] = (total, length);
            total += length;
        }

        byte[] data = new byte[total];
        random.NextBytes(data);
        foreach (int width in Widths)
        {
            byte[] hashes = new byte[count * 32];
            Blake3Batch.Hash(data, inputs, hashes, width);
            for (int i = 0; i < count; i++)
            {
                Assert.True(Expected(data.AsSpan(inputs[i].Offset, inputs[i].Length)).SequenceEqual(hashes.AsSpan(i * 32, 32)), $"input {i}, length {inputs[i].Length}, {width} lanes");
            }
        }
    }

    [Fact]
    public void The_widths_this_machine_has_are_offered_and_others_refused()
    {
        Assert.Contains(Blake3Batch.Width, new[] { 0, 8, 16 });
        Assert.Throws<ArgumentOutOfRangeException>(() => Blake3Batch.Hash(new byte[10], [(0, 10)], new byte[32], 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Blake3Batch.Hash(new byte[10], [(0, 10)], new byte[32], Blake3Batch.Width + 8));
    }

    [Fact]
    public void Too_small_a_hash_buffer_is_refused() =>
        Assert.Throws<ArgumentException>(() => Blake3Batch.Hash(new byte[10], [(0, 5), (5, 5)], new byte[63]));

    private static byte[] Expected(ReadOnlySpan<byte> input) => Blake3Hasher.Hash(input);
}
