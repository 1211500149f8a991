// libsodium 1.0.22 bindings (P/Invoke via LibraryImport) for the primitives Tallow needs:
// ristretto255 (draft-irtf-cfrg-ristretto255-decaf448 / RFC 9496), X25519 (RFC 7748) and Argon2id (RFC 9106).
// Invariant: sodium_init has run (exactly once, thread-safe) before any other function is called;
// callers go through the Ensure* wrappers or call Initialize() first.
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Tallow.Crypto;

internal static partial class Sodium
{
    private const string Library = "libsodium";

    internal const int RistrettoPointSize = 32;
    internal const int RistrettoHashSize = 64;
    internal const int RistrettoScalarSize = 32;
    internal const int Curve25519Size = 32;
    internal const int PwHashSaltSize = 16;
    internal const int PwHashAlgArgon2Id13 = 2;

    private static readonly Lazy<bool> s_initialized = new(InitializeCore, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Runs sodium_init once; throws if libsodium cannot be initialised.</summary>
    internal static void Initialize() => _ = s_initialized.Value;

    private static bool InitializeCore()
    {
        // 0 = initialised now, 1 = already initialised, -1 = failure.
        if (sodium_init() < 0)
        {
            throw new CryptographicException("libsodium could not be initialised.");
        }

        return true;
    }

    [LibraryImport(Library)]
    private static partial int sodium_init();

    [LibraryImport(Library)]
    internal static unsafe partial int crypto_core_ristretto255_from_hash(byte* p, byte* r);

    [LibraryImport(Library)]
    internal static unsafe partial int crypto_core_ristretto255_is_valid_point(byte* p);

    [LibraryImport(Library)]
    internal static unsafe partial void crypto_core_ristretto255_scalar_random(byte* r);

    /// <summary>q = n·p. Returns -1 if p is not a valid encoding or the result is the identity.</summary>
    [LibraryImport(Library)]
    internal static unsafe partial int crypto_scalarmult_ristretto255(byte* q, byte* n, byte* p);

    /// <summary>q = n·B. Returns -1 if the result is the identity.</summary>
    [LibraryImport(Library)]
    internal static unsafe partial int crypto_scalarmult_ristretto255_base(byte* q, byte* n);

    /// <summary>q = X25519(n, p). Returns -1 if the result is all zeros (low-order p).</summary>
    [LibraryImport(Library)]
    internal static unsafe partial int crypto_scalarmult_curve25519(byte* q, byte* n, byte* p);

    [LibraryImport(Library)]
    internal static unsafe partial int crypto_scalarmult_curve25519_base(byte* q, byte* n);

    [LibraryImport(Library)]
    internal static unsafe partial int crypto_pwhash(
        byte* output, ulong outlen, byte* passwd, ulong passwdlen, byte* salt, ulong opslimit, nuint memlimit, int alg);
}
