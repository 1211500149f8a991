// X25519 key agreement (RFC 7748) via libsodium crypto_scalarmult_curve25519.
// Invariants: the private key lives in a pinned array zeroed by Dispose; an all-zero shared secret
// (low-order peer key, RFC 7748 §6.1) is rejected.
using System.Security.Cryptography;

namespace Tallow.Crypto;

/// <summary>An ephemeral X25519 key pair.</summary>
public sealed class X25519KeyPair : IDisposable
{
    public const int KeySize = 32;

    private readonly byte[] _privateKey;
    private readonly byte[] _publicKey;
    private bool _disposed;

    private X25519KeyPair(byte[] privateKey, byte[] publicKey)
    {
        _privateKey = privateKey;
        _publicKey = publicKey;
    }

    /// <summary>Generates a fresh key pair.</summary>
    public static X25519KeyPair Generate()
    {
        Sodium.Initialize();
        var privateKey = GC.AllocateArray<byte>(KeySize, pinned: true);
        RandomNumberGenerator.Fill(privateKey);
        var publicKey = new byte[KeySize];
        int rc;
        unsafe
        {
            fixed (byte* q = publicKey)
            fixed (byte* n = privateKey)
            {
                rc = Sodium.crypto_scalarmult_curve25519_base(q, n);
            }
        }

        if (rc != 0)
        {
            CryptographicOperations.ZeroMemory(privateKey);
            throw new CryptographicException("X25519 key generation failed.");
        }

        return new X25519KeyPair(privateKey, publicKey);
    }

    /// <summary>Our public key (32 bytes).</summary>
    public ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>
    /// Computes the shared secret into <paramref name="sharedSecret"/> (32 bytes). Returns false if the peer key has the
    /// wrong length or the result is all zeros (low-order peer key).
    /// </summary>
    public bool TryAgree(ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (sharedSecret.Length != KeySize)
        {
            throw new ArgumentException("The shared secret buffer must be 32 bytes.", nameof(sharedSecret));
        }

        if (peerPublicKey.Length != KeySize)
        {
            return false;
        }

        int rc;
        unsafe
        {
            fixed (byte* q = sharedSecret)
            fixed (byte* n = _privateKey)
            fixed (byte* p = peerPublicKey)
            {
                rc = Sodium.crypto_scalarmult_curve25519(q, n, p);
            }
        }

        if (rc != 0 || CPaceSession.IsAllZero(sharedSecret))
        {
            CryptographicOperations.ZeroMemory(sharedSecret);
            return false;
        }

        return true;
    }

    /// <summary>Zeroes the private key.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        CryptographicOperations.ZeroMemory(_privateKey);
    }

    public override string ToString() => nameof(X25519KeyPair);
}
