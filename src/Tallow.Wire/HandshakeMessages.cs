// Peer handshake messages (DESIGN.md §6), exchanged inside a paired room before any key exists:
//   I→R Init{version, cpace_Ya, mlkem_ek, x25519_pk_I, nonce_I}
//   R→I Resp{cpace_Yb, mlkem_ct, x25519_pk_R, nonce_R, confirm_R}
//   I→R Confirm{confirm_I}
// All fields are fixed-size, so each payload has exactly one valid length.
namespace Tallow.Wire;

public static class HandshakeLayout
{
    public const ushort Version = 1;
    public const int ShareSize = 32;
    public const int KemKeySize = 1568;
    public const int KemCiphertextSize = 1568;
    public const int X25519Size = 32;
    public const int NonceSize = 16;
    public const int ConfirmSize = 32;

    public const int InitSize = 2 + ShareSize + KemKeySize + X25519Size + NonceSize;
    public const int ResponseSize = ShareSize + KemCiphertextSize + X25519Size + NonceSize + ConfirmSize;

    /// <summary>Offsets inside an Init payload.</summary>
    public const int InitShareOffset = 2;
    public const int InitKemKeyOffset = InitShareOffset + ShareSize;
    public const int InitX25519Offset = InitKemKeyOffset + KemKeySize;
    public const int InitNonceOffset = InitX25519Offset + X25519Size;

    /// <summary>Offsets inside a Response payload.</summary>
    public const int ResponseShareOffset = 0;
    public const int ResponseCiphertextOffset = ShareSize;
    public const int ResponseX25519Offset = ResponseCiphertextOffset + KemCiphertextSize;
    public const int ResponseNonceOffset = ResponseX25519Offset + X25519Size;
    public const int ResponseConfirmOffset = ResponseNonceOffset + NonceSize;
}

/// <summary>Why a peer abandoned the handshake (sent as HandshakeAbort{u8}).</summary>
public enum HandshakeAbortReason : byte
{
    Protocol = 1,
    VersionMismatch = 2,
    AuthenticationFailed = 3,
}

public readonly ref struct HandshakeInit
{
    public HandshakeInit(ReadOnlySpan<byte> payload) => Payload = payload;

    public ReadOnlySpan<byte> Payload { get; }

    public ushort Version => (ushort)((Payload[0] << 8) | Payload[1]);

    public ReadOnlySpan<byte> Share => Payload.Slice(HandshakeLayout.InitShareOffset, HandshakeLayout.ShareSize);

    public ReadOnlySpan<byte> KemKey => Payload.Slice(HandshakeLayout.InitKemKeyOffset, HandshakeLayout.KemKeySize);

    public ReadOnlySpan<byte> X25519 => Payload.Slice(HandshakeLayout.InitX25519Offset, HandshakeLayout.X25519Size);

    public ReadOnlySpan<byte> Nonce => Payload.Slice(HandshakeLayout.InitNonceOffset, HandshakeLayout.NonceSize);

    public static bool TryParse(ReadOnlySpan<byte> payload, out HandshakeInit message)
    {
        message = default;
        if (payload.Length != HandshakeLayout.InitSize)
        {
            return false;
        }

        message = new HandshakeInit(payload);
        return true;
    }

    public static void Write(Span<byte> destination, ReadOnlySpan<byte> share, ReadOnlySpan<byte> kemKey, ReadOnlySpan<byte> x25519, ReadOnlySpan<byte> nonce)
    {
        var w = new SpanWriter(destination);
        w.WriteUInt16(HandshakeLayout.Version);
        w.WriteBytes(share);
        w.WriteBytes(kemKey);
        w.WriteBytes(x25519);
        w.WriteBytes(nonce);
    }
}

public readonly ref struct HandshakeResponse
{
    public HandshakeResponse(ReadOnlySpan<byte> payload) => Payload = payload;

    public ReadOnlySpan<byte> Payload { get; }

    public ReadOnlySpan<byte> Share => Payload.Slice(HandshakeLayout.ResponseShareOffset, HandshakeLayout.ShareSize);

    public ReadOnlySpan<byte> KemCiphertext => Payload.Slice(HandshakeLayout.ResponseCiphertextOffset, HandshakeLayout.KemCiphertextSize);

    public ReadOnlySpan<byte> X25519 => Payload.Slice(HandshakeLayout.ResponseX25519Offset, HandshakeLayout.X25519Size);

    public ReadOnlySpan<byte> Nonce => Payload.Slice(HandshakeLayout.ResponseNonceOffset, HandshakeLayout.NonceSize);

    public ReadOnlySpan<byte> Confirm => Payload.Slice(HandshakeLayout.ResponseConfirmOffset, HandshakeLayout.ConfirmSize);

    /// <summary>Everything but the confirmation: the part the transcript covers.</summary>
    public ReadOnlySpan<byte> Unconfirmed => Payload[..HandshakeLayout.ResponseConfirmOffset];

    public static bool TryParse(ReadOnlySpan<byte> payload, out HandshakeResponse message)
    {
        message = default;
        if (payload.Length != HandshakeLayout.ResponseSize)
        {
            return false;
        }

        message = new HandshakeResponse(payload);
        return true;
    }
}
