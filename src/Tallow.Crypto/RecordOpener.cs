// Receiving side of the secure record layer, DESIGN.md §7 (see RecordCipherState for nonce and rekey rules).
// Records must arrive in order: the opener only tries the next expected counter, so a reordered, replayed or
// dropped record fails authentication. A failure leaves the counter and key unchanged.
using System.Security.Cryptography;

namespace Tallow.Crypto;

/// <summary>Opens records for one direction of a session.</summary>
public sealed class RecordOpener : IDisposable
{
    private readonly RecordCipherState _state;

    /// <summary>Creates an opener for a 32-byte direction key (counter 0).</summary>
    public RecordOpener(ReadOnlySpan<byte> key)
        : this(key, RecordCipherState.DefaultRekeyInterval)
    {
    }

    /// <summary>Creates an opener that ratchets its key every <paramref name="rekeyInterval"/> records (tests).</summary>
    internal RecordOpener(ReadOnlySpan<byte> key, ulong rekeyInterval) => _state = new RecordCipherState(key, rekeyInterval);

    /// <summary>Number of records opened so far (= the counter expected next).</summary>
    public ulong RecordsOpened => _state.Counter;

    internal int KeyEpoch => _state.Epoch;

    /// <summary>
    /// Decrypts <paramref name="data"/> in place with the next expected counter. On failure returns false, does not
    /// advance the counter, and the content of <paramref name="data"/> is unspecified (the caller must discard it).
    /// </summary>
    public bool TryOpen(ReadOnlySpan<byte> aad, Span<byte> data, ReadOnlySpan<byte> tag)
    {
        var aes = _state.Aes;
        if (tag.Length != RecordSealer.TagSize)
        {
            return false;
        }

        Span<byte> nonce = stackalloc byte[RecordCipherState.NonceSize];
        _state.WriteNonce(nonce);
        try
        {
            aes.Decrypt(nonce, data, tag, data, aad);
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }

        _state.Advance();
        return true;
    }

    /// <summary>Zeroes the key.</summary>
    public void Dispose() => _state.Dispose();

    public override string ToString() => $"{nameof(RecordOpener)}(records={RecordsOpened})";
}
