// Shared state of one record direction, DESIGN.md §7: AES-256-GCM, nonce = 4 zero bytes ‖ 64-bit big-endian counter.
// Counter: starts at 0, advances by one per successfully sealed/opened record, never repeats.
// Rekey ratchet: after every RekeyInterval records (counter % interval == 0, counter > 0) the key is replaced by
// key' = HKDF-Expand-SHA256(key, "tallow v1 rekey", 32) and the old key is zeroed. The counter is NOT reset, so the
// nonce stays unique across the whole stream as well as within each key. The default interval is 2^31 records,
// so no key ever encrypts 2^32 records (well inside the AES-GCM per-key invocation limit).
// Sealer and opener advance and ratchet identically, so they stay in lock step.
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Tallow.Crypto;

internal sealed class RecordCipherState : IDisposable
{
    internal const int KeySize = 32;
    internal const int NonceSize = 12;
    internal const int TagSize = 16;
    internal const ulong DefaultRekeyInterval = 1UL << 31;

    internal static ReadOnlySpan<byte> RekeyLabel => "tallow v1 rekey"u8;

    private readonly byte[] _key;
    private readonly ulong _rekeyInterval;
    private AesGcm? _aes;

    internal RecordCipherState(ReadOnlySpan<byte> key, ulong rekeyInterval)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException("The record key must be 32 bytes.", nameof(key));
        }

        ArgumentOutOfRangeException.ThrowIfZero(rekeyInterval);
        _rekeyInterval = rekeyInterval;
        _key = GC.AllocateArray<byte>(KeySize, pinned: true);
        key.CopyTo(_key);
        _aes = new AesGcm(_key, TagSize);
    }

    /// <summary>Counter of the next record; equals the number of records processed so far.</summary>
    internal ulong Counter { get; private set; }

    /// <summary>Number of ratchet steps taken (for tests).</summary>
    internal int Epoch { get; private set; }

    internal AesGcm Aes
    {
        get
        {
            ObjectDisposedException.ThrowIf(_aes is null, this);
            if (Counter == ulong.MaxValue)
            {
                throw new InvalidOperationException("The record counter is exhausted.");
            }

            return _aes;
        }
    }

    internal void WriteNonce(Span<byte> nonce)
    {
        nonce[..4].Clear();
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], Counter);
    }

    /// <summary>Called after a record was processed successfully.</summary>
    internal void Advance()
    {
        Counter++;
        if (Counter % _rekeyInterval == 0)
        {
            Ratchet();
        }
    }

    private void Ratchet()
    {
        Span<byte> next = stackalloc byte[KeySize];
        try
        {
            HKDF.Expand(HashAlgorithmName.SHA256, _key, next, RekeyLabel);
            next.CopyTo(_key);
            _aes?.Dispose();
            _aes = new AesGcm(_key, TagSize);
            Epoch++;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(next);
        }
    }

    public void Dispose()
    {
        _aes?.Dispose();
        _aes = null;
        CryptographicOperations.ZeroMemory(_key);
    }
}
