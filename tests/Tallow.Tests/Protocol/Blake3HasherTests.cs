// Blake3Hasher: the object around the native BLAKE3 state. It must give the standard digests (the
// BLAKE3 team's vectors), continue after a digest, and refuse use after it was freed.
using Tallow.Protocol;

namespace Tallow.Tests.Protocol;

public class Blake3HasherTests
{
    [Theory]
    [InlineData("", "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262")]
    [InlineData("abc", "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85")]
    public void One_shot_and_incremental_digests_are_the_standard_ones(string input, string hex)
    {
        byte[] bytes = System.Text.Encoding.ASCII.GetBytes(input);
        Assert.Equal(hex, Convert.ToHexStringLower(Blake3Hasher.Hash(bytes)));

        using var hasher = Blake3Hasher.New();
        foreach (byte b in bytes)
        {
            hasher.Update([b]);
        }

        byte[] digest = new byte[Blake3Hasher.HashSize];
        hasher.Digest(digest);
        Assert.Equal(hex, Convert.ToHexStringLower(digest));
    }

    [Fact]
    public void A_digest_does_not_end_the_running_hash()
    {
        byte[] data = new byte[300_000];
        new Random(7).NextBytes(data);
        using var hasher = Blake3Hasher.New();
        byte[] prefix = new byte[Blake3Hasher.HashSize], whole = new byte[Blake3Hasher.HashSize];

        int split = 123_457; // not a chunk boundary
        hasher.Update(data.AsSpan(0, split));
        hasher.Digest(prefix);
        for (int at = split; at < data.Length; at += 65_521)
        {
            hasher.Update(data.AsSpan(at, Math.Min(65_521, data.Length - at)));
        }

        hasher.Digest(whole);
        Assert.Equal(Blake3Hasher.Hash(data.AsSpan(0, split)), prefix);
        Assert.Equal(Blake3Hasher.Hash(data), whole);
    }

    [Fact]
    public void Disposing_twice_is_harmless_and_use_after_dispose_throws()
    {
        var hasher = Blake3Hasher.New();
        hasher.Dispose();
        hasher.Dispose();
        Assert.Throws<ObjectDisposedException>(() => hasher.Update([1, 2, 3]));
        Assert.Throws<ObjectDisposedException>(() => hasher.Digest(new byte[Blake3Hasher.HashSize]));
    }
}
