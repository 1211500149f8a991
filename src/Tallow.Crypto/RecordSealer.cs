// Sending side of the secure record layer, DESIGN.md §7 (see RecordCipherState for nonce and rekey rules).
// Encrypts in place with AES-256-GCM; AAD is the frame header.
namespace Tallow.Crypto;

/// <summary>Seals records for one direction of a session.</summary>
public sealed class RecordSealer : IDisposable
{
    public const int TagSize = RecordCipherState.TagSize;

    private readonly RecordCipherState _state;

    /// <summary>Creates a sealer for a 32-byte direction key (counter 0).</summary>
    public RecordSealer(ReadOnlySpan<byte> key)
        : this(key, RecordCipherState.DefaultRekeyInterval)
    {
    }

    /// <summary>Creates a sealer that ratchets its key every <paramref name="rekeyInterval"/> records (tests).</summary>
    internal RecordSealer(ReadOnlySpan<byte> key, ulong rekeyInterval) => _state = new RecordCipherState(key, rekeyInterval);

    /// <summary>Number of records sealed so far (= the counter of the next record).</summary>
    public ulong RecordsSealed => _state.Counter;

    internal int KeyEpoch => _state.Epoch;

    /// <summary>Encrypts <paramref name="data"/> in place and writes the 16-byte tag. aad = the frame header.</summary>
    public void Seal(ReadOnlySpan<byte> aad, Span<byte> data, Span<byte> tag)
    {
        if (tag.Length != TagSize)
        {
            throw new ArgumentException("The tag buffer must be 16 bytes.", nameof(tag));
        }

        var aes = _state.Aes;
        Span<byte> nonce = stackalloc byte[RecordCipherState.NonceSize];
        _state.WriteNonce(nonce);
        aes.Encrypt(nonce, data, data, tag, aad);
        _state.Advance();
    }

    /// <summary>Zeroes the key.</summary>
    public void Dispose() => _state.Dispose();

    public override string ToString() => $"{nameof(RecordSealer)}(records={RecordsSealed})";
}
