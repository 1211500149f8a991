// Session resumption (protocol.md "Resumption", DESIGN.md §13): what one side keeps of a session so
// that a lost connection can be resumed without a new code. From the session's resumption secret
// R (SessionKeys.Resumption, HKDF label "tallow v2 resume"):
//   nameplate = 1_000_000 + (HKDF-Expand(R, "tallow v2 resume nameplate", 8) as u64 big-endian) mod 9_000_000
//   code      = HKDF-Expand(R, "tallow v2 resume code", 32), the CPace password of the new handshake.
// The nameplate lies in the range of custom codes' nameplates, so a resumed room looks like any
// custom-code room to the relay. The new handshake gives fresh keys and a fresh R: a ticket serves
// one reconnect, and its holder disposes (zeroes) it once the peer is known to hold the new one.
// Invariant: R lives only in one pinned buffer that Dispose zeroes; ToString never shows it.
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Tallow.Crypto;

/// <summary>One side's copy of a session's resumption secret and its role in that session.</summary>
public sealed class ResumptionTicket : IDisposable
{
    public const int SecretSize = SessionKeys.KeySize;

    /// <summary>Length of the one-time code (the new handshake's CPace password).</summary>
    public const int CodeSize = 32;

    internal static ReadOnlySpan<byte> LabelNameplate => "tallow v2 resume nameplate"u8;
    internal static ReadOnlySpan<byte> LabelCode => "tallow v2 resume code"u8;

    private readonly byte[] _secret;
    private bool _disposed;

    private ResumptionTicket(byte[] secret, bool isInitiator)
    {
        _secret = secret;
        IsInitiator = isInitiator;
        Nameplate = DeriveNameplate(secret);
    }

    /// <summary>True when this side created the room (the handshake initiator); a resumed session keeps the role.</summary>
    public bool IsInitiator { get; }

    /// <summary>The nameplate of the resumed room (not secret: the relay sees it).</summary>
    public uint Nameplate { get; }

    /// <summary>True once the ticket was disposed: its secret is zeroed.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>Copies <paramref name="keys"/>' resumption secret; the ticket outlives the keys.</summary>
    public static ResumptionTicket Create(SessionKeys keys, bool isInitiator)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return FromSecret(keys.Resumption, isInitiator);
    }

    /// <summary>A ticket holding a copy of <paramref name="secret"/> (exactly <see cref="SecretSize"/> bytes).</summary>
    internal static ResumptionTicket FromSecret(ReadOnlySpan<byte> secret, bool isInitiator)
    {
        if (secret.Length != SecretSize)
        {
            throw new ArgumentException($"The resumption secret must be {SecretSize} bytes.", nameof(secret));
        }

        byte[] copy = GC.AllocateArray<byte>(SecretSize, pinned: true);
        secret.CopyTo(copy);
        return new ResumptionTicket(copy, isInitiator);
    }

    /// <summary>Writes the one-time code into <paramref name="code"/> (exactly <see cref="CodeSize"/> bytes); the caller zeroes it.</summary>
    public void DeriveCode(Span<byte> code)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (code.Length != CodeSize)
        {
            throw new ArgumentException($"The code buffer must be {CodeSize} bytes.", nameof(code));
        }

        HKDF.Expand(HashAlgorithmName.SHA256, _secret, code, LabelCode);
    }

    /// <summary>Zeroes the secret; the ticket can no longer derive a code.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        CryptographicOperations.ZeroMemory(_secret);
    }

    public override string ToString() => nameof(ResumptionTicket);

    private static uint DeriveNameplate(ReadOnlySpan<byte> secret)
    {
        Span<byte> output = stackalloc byte[sizeof(ulong)];
        HKDF.Expand(HashAlgorithmName.SHA256, secret, output, LabelNameplate);
        ulong value = BinaryPrimitives.ReadUInt64BigEndian(output);
        const uint span = CodePhrase.MaxMappedNameplate - CodePhrase.MinMappedNameplate + 1;
        return CodePhrase.MinMappedNameplate + (uint)(value % span);
    }
}
