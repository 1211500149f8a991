// CPace balanced PAKE, cipher suite CPACE-RISTR255-SHA512, initiator-responder setting (draft-irtf-cfrg-cpace).
//   g   = ristretto255_from_hash(SHA-512(generator_string(DSI, PRS, CI, sid)))
//   Y   = y·g                      (y uniformly random, non-zero scalar)
//   K   = y·Y_peer                 (abort if Y_peer is not a canonical encoding, is the identity, or K is the identity)
//   ISK = SHA-512(lv_cat(DSI || "_ISK", sid, K) || lv_cat(Ya, ADa) || lv_cat(Yb, ADb))
// Invariants: the scalar lives in a pinned array that Dispose zeroes; intermediate secrets are zeroed after use.
using System.Security.Cryptography;

namespace Tallow.Crypto;

/// <summary>One side of a CPace exchange over ristretto255 with SHA-512 (initiator-responder setting).</summary>
public sealed class CPaceSession : IDisposable
{
    public const int ShareSize = 32;
    public const int IskSize = 64;

    private readonly byte[] _scalar;
    private readonly byte[] _share;
    private readonly byte[] _sid;
    private bool _disposed;

    private CPaceSession(byte[] scalar, byte[] share, byte[] sid)
    {
        _scalar = scalar;
        _share = share;
        _sid = sid;
    }

    /// <summary>Starts a session with a fresh random scalar. password = PRS, channelId = CI, sid = session id.</summary>
    public static CPaceSession Create(ReadOnlySpan<byte> password, ReadOnlySpan<byte> channelId, ReadOnlySpan<byte> sid)
    {
        Sodium.Initialize();
        Span<byte> scalar = stackalloc byte[Sodium.RistrettoScalarSize];
        try
        {
            unsafe
            {
                fixed (byte* s = scalar)
                {
                    Sodium.crypto_core_ristretto255_scalar_random(s);
                }
            }

            return CreateWithScalar(password, channelId, sid, scalar);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scalar);
        }
    }

    /// <summary>Starts a session with a given scalar (known-answer tests only).</summary>
    internal static CPaceSession CreateWithScalar(
        ReadOnlySpan<byte> password, ReadOnlySpan<byte> channelId, ReadOnlySpan<byte> sid, ReadOnlySpan<byte> scalar)
    {
        if (scalar.Length != Sodium.RistrettoScalarSize)
        {
            throw new ArgumentException("The scalar must be 32 bytes.", nameof(scalar));
        }

        Sodium.Initialize();
        var ownScalar = GC.AllocateArray<byte>(Sodium.RistrettoScalarSize, pinned: true);
        scalar.CopyTo(ownScalar);
        var share = new byte[ShareSize];
        var generator = CalculateGenerator(password, channelId, sid);
        try
        {
            int rc;
            unsafe
            {
                fixed (byte* y = share)
                fixed (byte* s = ownScalar)
                fixed (byte* g = generator)
                {
                    rc = Sodium.crypto_scalarmult_ristretto255(y, s, g);
                }
            }

            if (rc != 0)
            {
                // Only a zero scalar (or a negligible-probability identity generator) gets here.
                CryptographicOperations.ZeroMemory(ownScalar);
                throw new CryptographicException("CPace share computation failed.");
            }

            return new CPaceSession(ownScalar, share, sid.ToArray());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(generator);
        }
    }

    /// <summary>g = ristretto255_from_hash(SHA-512(generator_string(DSI, PRS, CI, sid, 128))). Secret: derived from the password.</summary>
    public static byte[] CalculateGenerator(ReadOnlySpan<byte> password, ReadOnlySpan<byte> channelId, ReadOnlySpan<byte> sid)
    {
        Sodium.Initialize();
        var genStr = new byte[CPaceEncoding.GeneratorStringSize(password.Length, channelId.Length, sid.Length)];
        Span<byte> hash = stackalloc byte[Sodium.RistrettoHashSize];
        try
        {
            var written = CPaceEncoding.WriteGeneratorString(password, channelId, sid, genStr);
            SHA512.HashData(genStr.AsSpan(0, written), hash);
            var generator = new byte[Sodium.RistrettoPointSize];
            unsafe
            {
                fixed (byte* p = generator)
                fixed (byte* r = hash)
                {
                    _ = Sodium.crypto_core_ristretto255_from_hash(p, r);
                }
            }

            return generator;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(genStr);
            CryptographicOperations.ZeroMemory(hash);
        }
    }

    /// <summary>Our share Y (32 bytes), to be sent to the peer.</summary>
    public ReadOnlySpan<byte> Share
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _share;
        }
    }

    /// <summary>
    /// Computes ISK into <paramref name="isk"/> (exactly 64 bytes). Returns false when <paramref name="peerShare"/> is not a
    /// valid canonical ristretto255 encoding, is the identity, or K is the identity. For the initiator own = Ya/ADa and
    /// peer = Yb/ADb; for the responder the reverse.
    /// </summary>
    public bool TryDeriveIsk(
        ReadOnlySpan<byte> peerShare, bool isInitiator, ReadOnlySpan<byte> ownAd, ReadOnlySpan<byte> peerAd, Span<byte> isk)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (isk.Length != IskSize)
        {
            throw new ArgumentException("The ISK buffer must be 64 bytes.", nameof(isk));
        }

        if (peerShare.Length != ShareSize || IsAllZero(peerShare))
        {
            return false;
        }

        Span<byte> k = stackalloc byte[Sodium.RistrettoPointSize];
        try
        {
            int rc;
            unsafe
            {
                fixed (byte* q = k)
                fixed (byte* n = _scalar)
                fixed (byte* p = peerShare)
                {
                    if (Sodium.crypto_core_ristretto255_is_valid_point(p) != 1)
                    {
                        return false;
                    }

                    rc = Sodium.crypto_scalarmult_ristretto255(q, n, p);
                }
            }

            if (rc != 0 || IsAllZero(k))
            {
                return false;
            }

            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
            AppendLv(hash, CPaceEncoding.DsiIsk);
            AppendLv(hash, _sid);
            AppendLv(hash, k);
            if (isInitiator)
            {
                AppendLv(hash, _share);
                AppendLv(hash, ownAd);
                AppendLv(hash, peerShare);
                AppendLv(hash, peerAd);
            }
            else
            {
                AppendLv(hash, peerShare);
                AppendLv(hash, peerAd);
                AppendLv(hash, _share);
                AppendLv(hash, ownAd);
            }

            if (!hash.TryGetHashAndReset(isk, out var written) || written != IskSize)
            {
                throw new CryptographicException("SHA-512 produced an unexpected length.");
            }

            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(k);
        }
    }

    /// <summary>Zeroes the secret scalar.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        CryptographicOperations.ZeroMemory(_scalar);
    }

    public override string ToString() => nameof(CPaceSession);

    private static void AppendLv(IncrementalHash hash, ReadOnlySpan<byte> data)
    {
        Span<byte> prefix = stackalloc byte[5];
        var n = CPaceEncoding.WriteLeb128(data.Length, prefix);
        hash.AppendData(prefix[..n]);
        hash.AppendData(data);
    }

    /// <summary>Constant-time check that every byte is zero.</summary>
    internal static bool IsAllZero(ReadOnlySpan<byte> data)
    {
        var acc = 0;
        foreach (var b in data)
        {
            acc |= b;
        }

        return acc == 0;
    }
}
