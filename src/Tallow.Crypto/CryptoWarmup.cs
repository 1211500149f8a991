// Loads and initialises, ahead of need, the native crypto a session uses on its critical path:
// OpenSSL through AesGcm (loading libssl/libcrypto, reading openssl.cnf and fetching the
// AES-256-GCM implementation costs 15–70 ms here), libsodium (CPace, X25519) and BouncyCastle's
// ML-KEM. Without it both peers pay that cost one after the other, after they have met.
// Nothing secret is involved: the key and nonce are zeros and the output is discarded.
using System.Security.Cryptography;

namespace Tallow.Crypto;

public static class CryptoWarmup
{
    /// <summary>Runs once per process; any failure is left for the real call to report.</summary>
    public static void Run()
    {
        try
        {
            Sodium.Initialize();
            using var aes = new AesGcm(new byte[32], 16);
            Span<byte> tag = stackalloc byte[16];
            aes.Encrypt(new byte[12], ReadOnlySpan<byte>.Empty, Span<byte>.Empty, tag);
            _ = MlKem1024.Parameters;
            using MlKem1024KeyPair unused = MlKem1024.Generate();
        }
        catch (Exception ex) when (ex is CryptographicException or DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or PlatformNotSupportedException)
        {
            // The session's own first use reports the problem with its context.
        }
    }
}
