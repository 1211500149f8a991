// Peer handshake messages (DESIGN.md §6), exchanged inside a paired room before any key exists:
//   I→R Init{version, cpace_Ya, mlkem_ek, x25519_pk_I, nonce_I, sas_commit}
//   R→I Resp{cpace_Yb, mlkem_ct, x25519_pk_R, nonce_R, confirm_R}
//   I→R Confirm{confirm_I, sas_nonce}
// sas_commit = SHA-256(label ‖ sas_nonce): the initiator commits to a value that goes into the
// safety number before the responder answers, and reveals it only after (version 2).
// All fields are fixed-size, so each payload has exactly one valid length.
namespace Tallow.Wire;

public static class HandshakeLayout
{
    /// <summary>2: the safety number's commit-before-reveal (v1 let a responder grind it).</summary>
    public const ushort Version = 2;
    public const int ShareSize = 32;
    public const int KemKeySize = 1568;
    public const int KemCiphertextSize = 1568;
    public const int X25519Size = 32;
    public const int NonceSize = 16;
    public const int ConfirmSize = 32;
    public const int SasCommitSize = 32;
    public const int SasNonceSize = 32;

    public const int InitSize = 2 + ShareSize + KemKeySize + X25519Size + NonceSize + SasCommitSize;
    public const int ConfirmPayloadSize = ConfirmSize + SasNonceSize;

    /// <summary>Init of version 1 (no SAS commitment): recognised only to report the version.</summary>
    public const int V1InitSize = InitSize - SasCommitSize;
    public const int ResponseSize = ShareSize + KemCiphertextSize + X25519Size + NonceSize + ConfirmSize;

    /// <summary>Offsets inside an Init payload.</summary>
    public const int InitShareOffset = 2;
    public const int InitKemKeyOffset = InitShareOffset + ShareSize;
    public const int InitX25519Offset = InitKemKeyOffset + KemKeySize;
    public const int InitNonceOffset = InitX25519Offset + X25519Size;
    public const int InitSasCommitOffset = InitNonceOffset + NonceSize;

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

    public ReadOnlySpan<byte> SasCommit => Payload.Slice(HandshakeLayout.InitSasCommitOffset, HandshakeLayout.SasCommitSize);

    /// <summary>The version field alone (any payload of at least two bytes).</summary>
    public static bool TryReadVersion(ReadOnlySpan<byte> payload, out ushort version)
    {
        version = payload.Length >= 2 ? (ushort)((payload[0] << 8) | payload[1]) : (ushort)0;
        return payload.Length >= 2;
    }

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

    public static void Write(Span<byte> destination, ReadOnlySpan<byte> share, ReadOnlySpan<byte> kemKey, ReadOnlySpan<byte> x25519, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sasCommit)
    {
        var w = new SpanWriter(destination);
        w.WriteUInt16(HandshakeLayout.Version);
        w.WriteBytes(share);
        w.WriteBytes(kemKey);
        w.WriteBytes(x25519);
        w.WriteBytes(nonce);
        w.WriteBytes(sasCommit);
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
