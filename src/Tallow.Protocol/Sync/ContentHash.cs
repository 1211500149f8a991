// A BLAKE3-256 digest held inline as four 64-bit words, so it is a cheap Dictionary key (no
// array, no allocation). Invariants: Read and Write round-trip the 32 digest bytes exactly;
// equality compares all 32 bytes without early exit.
// GetHashCode is keyed per process: vector multiply-shift over the eight 32-bit words with random
// 64-bit multipliers (strongly universal; Dietzfelbinger 1996, Thorup "High speed hashing for
// integers and strings" §3.3). The digests in a sync come partly from the peer, and an unkeyed
// projection of them (e.g. HashCode.Combine of the words) would let a hostile peer choose
// thousands of digests with one hash code, which turns Dictionary lookups quadratic.
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Tallow.Protocol.Sync;

public readonly struct ContentHash : IEquatable<ContentHash>
{
    public const int Size = 32;

    private static readonly ulong[] HashKey = RandomKey();

    private readonly ulong _w0, _w1, _w2, _w3;

    private ContentHash(ulong w0, ulong w1, ulong w2, ulong w3)
    {
        _w0 = w0;
        _w1 = w1;
        _w2 = w2;
        _w3 = w3;
    }

    /// <summary>BLAKE3 of <paramref name="data"/>.</summary>
    public static ContentHash Compute(ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[Size];
        Blake3Hasher.Hash(data, digest);
        return Read(digest);
    }

    /// <summary>Finalizes <paramref name="hasher"/> (which stays usable: BLAKE3 finalization does not consume the state).</summary>
    public static ContentHash FromHasher(Blake3Hasher hasher)
    {
        Span<byte> digest = stackalloc byte[Size];
        hasher.Digest(digest);
        return Read(digest);
    }

    /// <summary>The digest in the first <see cref="Size"/> bytes of <paramref name="source"/>.</summary>
    public static ContentHash Read(ReadOnlySpan<byte> source)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(source.Length, Size, nameof(source));
        return new ContentHash(
            BinaryPrimitives.ReadUInt64LittleEndian(source),
            BinaryPrimitives.ReadUInt64LittleEndian(source[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(source[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(source[24..]));
    }

    /// <summary>Writes the 32 digest bytes to the start of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, Size, nameof(destination));
        BinaryPrimitives.WriteUInt64LittleEndian(destination, _w0);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], _w1);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], _w2);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[24..], _w3);
    }

    public bool Equals(ContentHash other) => ((_w0 ^ other._w0) | (_w1 ^ other._w1) | (_w2 ^ other._w2) | (_w3 ^ other._w3)) == 0;

    public override bool Equals(object? obj) => obj is ContentHash other && Equals(other);

    /// <summary>((k8 + Σ k_i · x_i) mod 2^64) >> 32 over the 32-bit halves x_0..x_7 of the digest.</summary>
    public override int GetHashCode()
    {
        ulong[] k = HashKey;
        ulong sum = unchecked(k[8]
            + (k[0] * (uint)_w0) + (k[1] * (_w0 >> 32)) + (k[2] * (uint)_w1) + (k[3] * (_w1 >> 32))
            + (k[4] * (uint)_w2) + (k[5] * (_w2 >> 32)) + (k[6] * (uint)_w3) + (k[7] * (_w3 >> 32)));
        return (int)(sum >> 32);
    }

    public static bool operator ==(ContentHash left, ContentHash right) => left.Equals(right);

    public static bool operator !=(ContentHash left, ContentHash right) => !left.Equals(right);

    /// <summary>Lowercase hex of the first 8 digest bytes (enough to tell chunks apart in logs and tests).</summary>
    public override string ToString()
    {
        Span<byte> digest = stackalloc byte[Size];
        Write(digest);
        return Convert.ToHexStringLower(digest[..8]);
    }

    private static ulong[] RandomKey()
    {
        ulong[] key = new ulong[9];
        RandomNumberGenerator.Fill(System.Runtime.InteropServices.MemoryMarshal.AsBytes(key.AsSpan()));
        return key;
    }
}
