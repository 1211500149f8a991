// Commit-before-reveal for the safety number (DESIGN.md §6, handshake version 2). The initiator
// picks a random nonce, sends SHA-256(label ‖ nonce) in Init and the nonce itself in Confirm; the
// nonce goes into the SAS key (SessionKeys.BindSasNonce). A responder in the middle must fix its
// answer before it can know the number, so it cannot try 2^20 answers until the digits match.
using System.Security.Cryptography;

namespace Tallow.Crypto;

public static class SasCommitment
{
    public const int NonceSize = 32;
    public const int Size = 32;

    private static ReadOnlySpan<byte> Label => "tallow v2 sas commit"u8;

    public static void Compute(ReadOnlySpan<byte> nonce, Span<byte> commitment)
    {
        if (nonce.Length != NonceSize || commitment.Length != Size)
        {
            throw new ArgumentException("The SAS nonce and commitment are 32 bytes each.");
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Label);
        hash.AppendData(nonce);
        hash.TryGetHashAndReset(commitment, out _);
    }

    /// <summary>True when <paramref name="nonce"/> opens <paramref name="commitment"/> (constant time).</summary>
    public static bool Opens(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> commitment)
    {
        if (nonce.Length != NonceSize || commitment.Length != Size)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[Size];
        Compute(nonce, expected);
        return CryptographicOperations.FixedTimeEquals(expected, commitment);
    }
}
