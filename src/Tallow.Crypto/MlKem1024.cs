// ML-KEM-1024 (FIPS 203) via BouncyCastle.Cryptography 2.7.0: key generation and encapsulation.
// Malformed peer input (wrong length, failed FIPS 203 §7.2 modulus check) yields false, never an exception.
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Kems;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace Tallow.Crypto;

/// <summary>ML-KEM-1024 key encapsulation (FIPS 203).</summary>
public static class MlKem1024
{
    public const int EncapsulationKeySize = 1568;
    public const int CiphertextSize = 1568;
    public const int SharedSecretSize = 32;

    internal static MLKemParameters Parameters => MLKemParameters.ml_kem_1024;

    /// <summary>Generates a fresh key pair.</summary>
    public static MlKem1024KeyPair Generate()
    {
        var generator = new MLKemKeyPairGenerator();
        generator.Init(new MLKemKeyGenerationParameters(new SecureRandom(), Parameters));
        var pair = generator.GenerateKeyPair();
        return new MlKem1024KeyPair((MLKemPublicKeyParameters)pair.Public, (MLKemPrivateKeyParameters)pair.Private);
    }

    /// <summary>
    /// Encapsulates to <paramref name="encapsulationKey"/>. Returns false if the key has the wrong length or is malformed.
    /// <paramref name="ciphertext"/> must be 1568 bytes and <paramref name="sharedSecret"/> 32 bytes.
    /// </summary>
    public static bool TryEncapsulate(ReadOnlySpan<byte> encapsulationKey, Span<byte> ciphertext, Span<byte> sharedSecret)
    {
        if (ciphertext.Length != CiphertextSize)
        {
            throw new ArgumentException("The ciphertext buffer must be 1568 bytes.", nameof(ciphertext));
        }

        if (sharedSecret.Length != SharedSecretSize)
        {
            throw new ArgumentException("The shared secret buffer must be 32 bytes.", nameof(sharedSecret));
        }

        if (encapsulationKey.Length != EncapsulationKeySize)
        {
            return false;
        }

        MLKemPublicKeyParameters publicKey;
        try
        {
            publicKey = MLKemPublicKeyParameters.FromEncoding(Parameters, encapsulationKey.ToArray());
        }
        catch (ArgumentException)
        {
            return false; // modulus check failed
        }

        var encapsulator = new MLKemEncapsulator(Parameters);
        encapsulator.Init(new ParametersWithRandom(publicKey, new SecureRandom()));
        encapsulator.Encapsulate(ciphertext, sharedSecret);
        return true;
    }

    /// <summary>Decapsulation used by <see cref="MlKem1024KeyPair"/>; sizes already checked.</summary>
    internal static void Decapsulate(MLKemPrivateKeyParameters privateKey, ReadOnlySpan<byte> ciphertext, Span<byte> sharedSecret)
    {
        var decapsulator = new MLKemDecapsulator(Parameters);
        decapsulator.Init(privateKey);
        try
        {
            decapsulator.Decapsulate(ciphertext, sharedSecret);
        }
        catch (ArgumentException)
        {
            // Sizes are checked by the caller; any other failure must not leak a partial secret.
            CryptographicOperations.ZeroMemory(sharedSecret);
            throw;
        }
    }
}
