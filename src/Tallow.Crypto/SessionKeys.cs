// Session key schedule, DESIGN.md §6 (RFC 5869 HKDF-SHA256):
//   secret = HKDF-SHA256(salt = transcriptHash, IKM = cpaceIsk ‖ mlkemSs ‖ x25519Ss, info = "tallow v1 session", L = 32)
//   key_x  = HKDF-Expand(secret, label_x, 32) for the seven distinct labels below (the last, "tallow v2 resume",
//   is the resumption secret a lost connection is resumed with: ResumptionTicket, protocol.md "Resumption").
// Confirmations are HMAC-SHA256(confirmKey, transcriptHash), verified in constant time.
// Invariant: every key lives in one pinned buffer that Dispose zeroes; IKM and the session secret are zeroed after use.
using System.Security.Cryptography;

namespace Tallow.Crypto;

/// <summary>The keys derived from one completed handshake.</summary>
public sealed class SessionKeys : IDisposable
{
    public const int KeySize = 32;
    public const int ConfirmationSize = 32;

    internal static ReadOnlySpan<byte> SessionInfo => "tallow v1 session"u8;
    internal static ReadOnlySpan<byte> LabelInitiatorToResponder => "tallow v1 key i2r"u8;
    internal static ReadOnlySpan<byte> LabelResponderToInitiator => "tallow v1 key r2i"u8;
    internal static ReadOnlySpan<byte> LabelConfirmInitiator => "tallow v1 confirm i"u8;
    internal static ReadOnlySpan<byte> LabelConfirmResponder => "tallow v1 confirm r"u8;
    internal static ReadOnlySpan<byte> LabelDirect => "tallow v1 direct"u8;
    internal static ReadOnlySpan<byte> LabelSas => "tallow v1 sas"u8;
    internal static ReadOnlySpan<byte> LabelSasReveal => "tallow v2 sas reveal"u8;
    internal static ReadOnlySpan<byte> LabelResumption => "tallow v2 resume"u8;

    private const int KeyCount = 7;
    private readonly byte[] _keys;
    private bool _disposed;

    private SessionKeys(byte[] keys) => _keys = keys;

    /// <summary>Runs the key schedule. All inputs are copied; the caller still owns (and should zero) them.</summary>
    public static SessionKeys Derive(
        ReadOnlySpan<byte> transcriptHash, ReadOnlySpan<byte> cpaceIsk, ReadOnlySpan<byte> mlkemSecret, ReadOnlySpan<byte> x25519Secret)
    {
        var ikm = GC.AllocateArray<byte>(cpaceIsk.Length + mlkemSecret.Length + x25519Secret.Length, pinned: true);
        Span<byte> secret = stackalloc byte[KeySize];
        var keys = GC.AllocateArray<byte>(KeyCount * KeySize, pinned: true);
        try
        {
            cpaceIsk.CopyTo(ikm);
            mlkemSecret.CopyTo(ikm.AsSpan(cpaceIsk.Length));
            x25519Secret.CopyTo(ikm.AsSpan(cpaceIsk.Length + mlkemSecret.Length));
            HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, secret, transcriptHash, SessionInfo);

            Expand(secret, LabelInitiatorToResponder, keys, 0);
            Expand(secret, LabelResponderToInitiator, keys, 1);
            Expand(secret, LabelConfirmInitiator, keys, 2);
            Expand(secret, LabelConfirmResponder, keys, 3);
            Expand(secret, LabelDirect, keys, 4);
            Expand(secret, LabelSas, keys, 5);
            Expand(secret, LabelResumption, keys, 6);
            return new SessionKeys(keys);
        }
        catch
        {
            CryptographicOperations.ZeroMemory(keys);
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ikm);
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>AES-256-GCM key for records sent by the initiator.</summary>
    public ReadOnlySpan<byte> InitiatorToResponder => Key(0);

    /// <summary>AES-256-GCM key for records sent by the responder.</summary>
    public ReadOnlySpan<byte> ResponderToInitiator => Key(1);

    /// <summary>HMAC key for the initiator's confirmation.</summary>
    public ReadOnlySpan<byte> ConfirmInitiator => Key(2);

    /// <summary>HMAC key for the responder's confirmation.</summary>
    public ReadOnlySpan<byte> ConfirmResponder => Key(3);

    /// <summary>Key authenticating the direct (P2P) path.</summary>
    public ReadOnlySpan<byte> DirectPath => Key(4);

    /// <summary>Key from which the short authentication string is derived.</summary>
    public ReadOnlySpan<byte> Sas => Key(5);

    /// <summary>Secret from which a lost connection is resumed without a new code (copy it into a ResumptionTicket).</summary>
    public ReadOnlySpan<byte> Resumption => Key(6);

    /// <summary>mac32 = HMAC-SHA256(confirmKey, transcriptHash); <paramref name="mac32"/> must be 32 bytes.</summary>
    public static void ComputeConfirmation(ReadOnlySpan<byte> confirmKey, ReadOnlySpan<byte> transcriptHash, Span<byte> mac32)
    {
        if (mac32.Length != ConfirmationSize)
        {
            throw new ArgumentException("The MAC buffer must be 32 bytes.", nameof(mac32));
        }

        _ = HMACSHA256.HashData(confirmKey, transcriptHash, mac32);
    }

    /// <summary>Constant-time check of a peer's confirmation; false on any mismatch, including a wrong length.</summary>
    public static bool VerifyConfirmation(ReadOnlySpan<byte> confirmKey, ReadOnlySpan<byte> transcriptHash, ReadOnlySpan<byte> mac)
    {
        if (mac.Length != ConfirmationSize)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[ConfirmationSize];
        try
        {
            ComputeConfirmation(confirmKey, transcriptHash, expected);
            return CryptographicOperations.FixedTimeEquals(expected, mac);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(expected);
        }
    }

    /// <summary>
    /// Mixes the initiator's revealed SAS nonce into the SAS key: SAS = HMAC-SHA256(sas, label ‖ nonce).
    /// The nonce was committed to before the responder answered (SasCommitment), so neither side can
    /// choose the safety number by trying many handshake values. Call once, after the handshake.
    /// </summary>
    public void BindSasNonce(ReadOnlySpan<byte> initiatorSasNonce)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Span<byte> sas = _keys.AsSpan(5 * KeySize, KeySize);
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, sas);
        hmac.AppendData(LabelSasReveal);
        hmac.AppendData(initiatorSasNonce);
        if (!hmac.TryGetHashAndReset(sas, out _))
        {
            throw new CryptographicException("HMAC-SHA256 did not fill the SAS key.");
        }
    }

    /// <summary>Zeroes every key.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        CryptographicOperations.ZeroMemory(_keys);
    }

    public override string ToString() => nameof(SessionKeys);

    private ReadOnlySpan<byte> Key(int index)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _keys.AsSpan(index * KeySize, KeySize);
    }

    private static void Expand(ReadOnlySpan<byte> prk, ReadOnlySpan<byte> label, byte[] keys, int index) =>
        HKDF.Expand(HashAlgorithmName.SHA256, prk, keys.AsSpan(index * KeySize, KeySize), label);
}
