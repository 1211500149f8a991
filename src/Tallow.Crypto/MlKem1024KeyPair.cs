// ML-KEM-1024 (FIPS 203) key pair: holds the decapsulation key, exposes the encapsulation key.
// The BouncyCastle private key object keeps its own copy of the decapsulation key that cannot be zeroed from
// outside; Dispose drops the reference so it becomes unreachable, and further use throws ObjectDisposedException.
using Org.BouncyCastle.Crypto.Parameters;

namespace Tallow.Crypto;

/// <summary>An ML-KEM-1024 key pair.</summary>
public sealed class MlKem1024KeyPair : IDisposable
{
    private readonly byte[] _encapsulationKey;
    private MLKemPrivateKeyParameters? _privateKey;

    internal MlKem1024KeyPair(MLKemPublicKeyParameters publicKey, MLKemPrivateKeyParameters privateKey)
    {
        _encapsulationKey = publicKey.GetEncoded();
        _privateKey = privateKey;
    }

    /// <summary>The encapsulation (public) key, 1568 bytes.</summary>
    public ReadOnlySpan<byte> EncapsulationKey => _encapsulationKey;

    /// <summary>
    /// Decapsulates <paramref name="ciphertext"/> into <paramref name="sharedSecret"/> (32 bytes). Returns false on a
    /// wrong ciphertext length; a tampered ciphertext yields a pseudo-random secret (ML-KEM implicit rejection).
    /// </summary>
    public bool TryDecapsulate(ReadOnlySpan<byte> ciphertext, Span<byte> sharedSecret)
    {
        var privateKey = _privateKey;
        ObjectDisposedException.ThrowIf(privateKey is null, this);
        if (sharedSecret.Length != MlKem1024.SharedSecretSize)
        {
            throw new ArgumentException("The shared secret buffer must be 32 bytes.", nameof(sharedSecret));
        }

        if (ciphertext.Length != MlKem1024.CiphertextSize)
        {
            return false;
        }

        MlKem1024.Decapsulate(privateKey, ciphertext, sharedSecret);
        return true;
    }

    public void Dispose() => _privateKey = null;

    public override string ToString() => nameof(MlKem1024KeyPair);
}
