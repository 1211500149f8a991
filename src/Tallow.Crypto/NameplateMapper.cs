// Custom-code nameplate mapping, DESIGN.md §3: Argon2id (RFC 9106, libsodium crypto_pwhash ALG_ARGON2ID13) with
// opslimit 3, memlimit 64 MiB and the fixed salt SHA-256("tallow v1 nameplate")[0..16].
// nameplate = 1_000_000 + (first 8 bytes of the 16-byte output, big-endian) mod 9_000_000 (bias < 2^-40).
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Tallow.Crypto;

internal static class NameplateMapper
{
    internal const ulong OpsLimit = 3;
    internal const nuint MemLimit = 64 * 1024 * 1024;
    private const int OutputSize = 16;

    private static readonly byte[] s_salt = SHA256.HashData("tallow v1 nameplate"u8)[..Sodium.PwHashSaltSize];

    internal static ReadOnlySpan<byte> Salt => s_salt;

    internal static uint Map(string normalized)
    {
        Sodium.Initialize();
        var password = Encoding.UTF8.GetBytes(normalized);
        Span<byte> output = stackalloc byte[OutputSize];
        try
        {
            int rc;
            unsafe
            {
                fixed (byte* o = output)
                fixed (byte* p = password)
                fixed (byte* s = s_salt)
                {
                    rc = Sodium.crypto_pwhash(
                        o, OutputSize, p, (ulong)password.Length, s, OpsLimit, MemLimit, Sodium.PwHashAlgArgon2Id13);
                }
            }

            if (rc != 0)
            {
                throw new CryptographicException("Argon2id failed (out of memory?).");
            }

            var value = BinaryPrimitives.ReadUInt64BigEndian(output);
            const uint span = CodePhrase.MaxMappedNameplate - CodePhrase.MinMappedNameplate + 1;
            return CodePhrase.MinMappedNameplate + (uint)(value % span);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
            CryptographicOperations.ZeroMemory(output);
        }
    }
}
