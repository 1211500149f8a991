// The peer handshake (DESIGN.md §6): CPace (password = whole code phrase) for authentication,
// ML-KEM-1024 + X25519 for post-quantum confidentiality, key confirmation both ways.
//
//   Initiator                         Responder
//   SendInit ── Init{Ya,ek,xI,nI,H(s)} ──▶ AwaitInit
//   AwaitResponse ◀─ Resp{Yb,ct,xR,nR,cR} ── SendResponse
//   verify cR; SendConfirm ─ Confirm{cI,s} ─▶ AwaitConfirm; verify cI and H(s)
// s is the initiator's SAS nonce: committed before the responder answers, revealed after, and
// mixed into the safety number, so no one in the middle can grind the number (SasCommitment).
//
// Any failure to verify ends in Abort: the initiator tells the responder with HandshakeAbort
// so both report "wrong code phrase" instead of a bare network error.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Tallow.Crypto;
using Tallow.Wire;

namespace Tallow.Protocol.Handshake;

/// <summary>The member ids of a chat room pair's handshake: the joiner initiates with each member already there.</summary>
public readonly record struct RoomPair(byte Initiator, byte Responder);

public static class PeerHandshake
{
    private static readonly byte[] ChannelLabel = "tallow v1"u8.ToArray();
    private static readonly byte[] TranscriptLabel = "tallow v1 transcript"u8.ToArray();
    private static readonly byte[] RoomLabel = "room"u8.ToArray();

    /// <summary>Runs the handshake on a freshly paired room. Returns the session keys; throws <see cref="TallowException"/>.</summary>
    public static Task<SessionKeys> RunAsync(Stream stream, FrameReader reader, bool isInitiator, string code, uint nameplate, TimeSpan timeout, CancellationToken cancellationToken) =>
        RunAsync(stream, reader, isInitiator, Encoding.UTF8.GetBytes(code), nameplate, timeout, cancellationToken);

    /// <summary>
    /// The handshake with a password given as bytes (a resumption code, ResumptionTicket). The bytes
    /// are copied; the copy is zeroed when the handshake ends, the caller zeroes its own.
    /// </summary>
    public static Task<SessionKeys> RunAsync(Stream stream, FrameReader reader, bool isInitiator, ReadOnlySpan<byte> password, uint nameplate, TimeSpan timeout, CancellationToken cancellationToken) =>
        RunAsync(stream, reader, isInitiator, password.ToArray(), ChannelId(nameplate), timeout, cancellationToken);

    /// <summary>
    /// The handshake of two members of a chat room (protocol.md "Chat rooms"): the channel id also
    /// binds both member ids, so a frame the relay routes between other members fails confirmation.
    /// </summary>
    public static Task<SessionKeys> RunAsync(Stream stream, FrameReader reader, bool isInitiator, ReadOnlySpan<byte> password, uint nameplate, RoomPair pair, TimeSpan timeout, CancellationToken cancellationToken) =>
        RunAsync(stream, reader, isInitiator, password.ToArray(), ChannelId(nameplate, pair), timeout, cancellationToken);

    private static Task<SessionKeys> RunAsync(Stream stream, FrameReader reader, bool isInitiator, byte[] password, uint nameplate, TimeSpan timeout, CancellationToken cancellationToken) =>
        RunAsync(stream, reader, isInitiator, password, ChannelId(nameplate), timeout, cancellationToken);

    /// <summary>Runs the handshake and zeroes <paramref name="password"/>, which it owns, when it ends.</summary>
    private static async Task<SessionKeys> RunAsync(Stream stream, FrameReader reader, bool isInitiator, byte[] password, byte[] channelId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            return isInitiator
                ? await RunInitiatorAsync(stream, reader, password, channelId, timeoutSource.Token).ConfigureAwait(false)
                : await RunResponderAsync(stream, reader, password, channelId, timeoutSource.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TallowException(FailureKind.Network, "the peer did not complete the secure handshake in time: check the network and try again.");
        }
        catch (IOException ex)
        {
            throw new TallowException(FailureKind.Network, "the connection closed during the secure handshake: try again.", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
        }
    }

    private static async Task<SessionKeys> RunInitiatorAsync(Stream stream, FrameReader reader, byte[] password, byte[] channelId, CancellationToken ct)
    {
        byte[] nonce = RandomNumberGenerator.GetBytes(HandshakeLayout.NonceSize);
        using var cpace = CPaceSession.Create(password, channelId, nonce);
        using var kem = MlKem1024.Generate();
        using var x25519 = X25519KeyPair.Generate();
        byte[] confirm = new byte[HandshakeLayout.ConfirmPayloadSize];
        Span<byte> sasNonce = confirm.AsSpan(HandshakeLayout.ConfirmSize, HandshakeLayout.SasNonceSize);
        RandomNumberGenerator.Fill(sasNonce);
        byte[] sasCommit = new byte[SasCommitment.Size];
        SasCommitment.Compute(sasNonce, sasCommit);

        byte[] init = new byte[HandshakeLayout.InitSize];
        HandshakeInit.Write(init, cpace.Share, kem.EncapsulationKey, x25519.PublicKey, nonce, sasCommit);
        await stream.WriteFrameAsync(FrameType.HandshakeInit, init, ct).ConfigureAwait(false);

        Memory<byte> responsePayload = await ReadHandshakeFrameAsync(reader, FrameType.HandshakeResponse, ct).ConfigureAwait(false);
        if (!HandshakeResponse.TryParse(responsePayload.Span, out HandshakeResponse response))
        {
            await AbortAsync(stream, HandshakeAbortReason.Protocol, ct).ConfigureAwait(false);
            throw Malformed();
        }

        byte[] isk = new byte[CPaceSession.IskSize];
        byte[] kemSecret = new byte[MlKem1024.SharedSecretSize];
        byte[] dhSecret = new byte[X25519KeyPair.KeySize];
        try
        {
            bool ok = cpace.TryDeriveIsk(response.Share, isInitiator: true, default, default, isk);
            ok &= kem.TryDecapsulate(response.KemCiphertext, kemSecret);
            ok &= x25519.TryAgree(response.X25519, dhSecret);
            byte[] transcript = TranscriptHash(channelId, init, response.Unconfirmed);
            SessionKeys keys = SessionKeys.Derive(transcript, isk, kemSecret, dhSecret);
            if (!ok || !SessionKeys.VerifyConfirmation(keys.ConfirmResponder, transcript, response.Confirm))
            {
                keys.Dispose();
                await AbortAsync(stream, HandshakeAbortReason.AuthenticationFailed, ct).ConfigureAwait(false);
                throw TallowException.WrongCode();
            }

            SessionKeys.ComputeConfirmation(keys.ConfirmInitiator, transcript, confirm.AsSpan(0, HandshakeLayout.ConfirmSize));
            keys.BindSasNonce(confirm.AsSpan(HandshakeLayout.ConfirmSize));
            await stream.WriteFrameAsync(FrameType.HandshakeConfirm, confirm, ct).ConfigureAwait(false);
            return keys;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(isk);
            CryptographicOperations.ZeroMemory(kemSecret);
            CryptographicOperations.ZeroMemory(dhSecret);
        }
    }

    private static async Task<SessionKeys> RunResponderAsync(Stream stream, FrameReader reader, byte[] password, byte[] channelId, CancellationToken ct)
    {
        Memory<byte> initPayload = await ReadHandshakeFrameAsync(reader, FrameType.HandshakeInit, ct).ConfigureAwait(false);
        byte[] init = initPayload.ToArray();
        byte[] response = new byte[HandshakeLayout.ResponseSize];
        ResponderStep step = BuildResponse(init, password, channelId, response, out SessionKeys? keys, out byte[] transcript, out ushort peerVersion);
        switch (step)
        {
            case ResponderStep.Malformed:
                await AbortAsync(stream, HandshakeAbortReason.Protocol, ct).ConfigureAwait(false);
                throw Malformed();
            case ResponderStep.VersionMismatch:
                await AbortAsync(stream, HandshakeAbortReason.VersionMismatch, ct).ConfigureAwait(false);
                throw new TallowException(FailureKind.Error, $"the peer speaks protocol version {peerVersion}, this tallow speaks {HandshakeLayout.Version}: both sides need a compatible tallow version.");
            case ResponderStep.Invalid:
                // An invalid share or key is tampering; answer nothing that could help an attacker.
                await AbortAsync(stream, HandshakeAbortReason.AuthenticationFailed, ct).ConfigureAwait(false);
                throw TallowException.WrongCode();
        }

        try
        {
            await stream.WriteFrameAsync(FrameType.HandshakeResponse, response, ct).ConfigureAwait(false);
            Memory<byte> confirm = await ReadHandshakeFrameAsync(reader, FrameType.HandshakeConfirm, ct).ConfigureAwait(false);
            ReadOnlySpan<byte> mac = confirm.Span[..Math.Min(confirm.Length, HandshakeLayout.ConfirmSize)];
            ReadOnlySpan<byte> sasNonce = confirm.Span[mac.Length..];
            bool confirmed = confirm.Length == HandshakeLayout.ConfirmPayloadSize
                & SessionKeys.VerifyConfirmation(keys!.ConfirmInitiator, transcript, mac)
                & SasCommitment.Opens(sasNonce, init.AsSpan(HandshakeLayout.InitSasCommitOffset, HandshakeLayout.SasCommitSize));
            if (!confirmed)
            {
                await AbortAsync(stream, HandshakeAbortReason.AuthenticationFailed, ct).ConfigureAwait(false);
                throw TallowException.WrongCode();
            }

            keys.BindSasNonce(sasNonce);
            return keys;
        }
        catch
        {
            keys!.Dispose();
            throw;
        }
    }

    private enum ResponderStep
    {
        Ready,
        Malformed,
        VersionMismatch,
        Invalid,
    }

    /// <summary>Responder's computation: validates Init, derives the keys and fills the Response (confirmation included).</summary>
    private static ResponderStep BuildResponse(byte[] init, byte[] password, byte[] channelId, byte[] response, out SessionKeys? keys, out byte[] transcript, out ushort peerVersion)
    {
        keys = null;
        transcript = [];
        peerVersion = 0;
        if (!HandshakeInit.TryParse(init, out HandshakeInit message))
        {
            // Version 1's Init had no SAS commitment: tell that peer to update rather than call it tampering.
            bool v1 = init.Length == HandshakeLayout.V1InitSize && HandshakeInit.TryReadVersion(init, out peerVersion) && peerVersion == 1;
            return v1 ? ResponderStep.VersionMismatch : ResponderStep.Malformed;
        }

        peerVersion = message.Version;
        if (message.Version != HandshakeLayout.Version)
        {
            return ResponderStep.VersionMismatch;
        }

        byte[] isk = new byte[CPaceSession.IskSize];
        byte[] kemSecret = new byte[MlKem1024.SharedSecretSize];
        byte[] dhSecret = new byte[X25519KeyPair.KeySize];
        try
        {
            using var cpace = CPaceSession.Create(password, channelId, message.Nonce);
            using var x25519 = X25519KeyPair.Generate();
            bool ok = cpace.TryDeriveIsk(message.Share, isInitiator: false, default, default, isk);
            ok &= x25519.TryAgree(message.X25519, dhSecret);
            ok &= MlKem1024.TryEncapsulate(message.KemKey, response.AsSpan(HandshakeLayout.ResponseCiphertextOffset, HandshakeLayout.KemCiphertextSize), kemSecret);
            if (!ok)
            {
                return ResponderStep.Invalid;
            }

            cpace.Share.CopyTo(response.AsSpan(HandshakeLayout.ResponseShareOffset));
            x25519.PublicKey.CopyTo(response.AsSpan(HandshakeLayout.ResponseX25519Offset));
            RandomNumberGenerator.Fill(response.AsSpan(HandshakeLayout.ResponseNonceOffset, HandshakeLayout.NonceSize));
            transcript = TranscriptHash(channelId, init, response.AsSpan(0, HandshakeLayout.ResponseConfirmOffset));
            keys = SessionKeys.Derive(transcript, isk, kemSecret, dhSecret);
            SessionKeys.ComputeConfirmation(keys.ConfirmResponder, transcript, response.AsSpan(HandshakeLayout.ResponseConfirmOffset));
            return ResponderStep.Ready;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(isk);
            CryptographicOperations.ZeroMemory(kemSecret);
            CryptographicOperations.ZeroMemory(dhSecret);
        }
    }

    /// <summary>Reads the next handshake frame; an Abort from the peer, EOF or anything unexpected ends the handshake.</summary>
    private static async Task<Memory<byte>> ReadHandshakeFrameAsync(FrameReader reader, FrameType expected, CancellationToken ct)
    {
        FrameReadResult result = await reader.ReadAsync(HandshakeLayout.ResponseSize + 16, ct).ConfigureAwait(false);
        if (result.EndOfStream)
        {
            throw expected == FrameType.HandshakeConfirm
                ? TallowException.WrongCode()
                : new TallowException(FailureKind.Network, "the peer closed the connection during the secure handshake: try again.");
        }

        if (!result.IsFrame)
        {
            throw Malformed();
        }

        if (result.Type == FrameType.HandshakeAbort)
        {
            byte reason = reader.CurrentPayload.Length == 1 ? reader.CurrentPayload.Span[0] : (byte)0;
            throw reason == (byte)HandshakeAbortReason.VersionMismatch
                ? new TallowException(FailureKind.Error, "the peer uses an incompatible tallow protocol version: both sides need a compatible tallow version.")
                : TallowException.WrongCode();
        }

        if (result.Type != expected)
        {
            throw Malformed();
        }

        return reader.CurrentPayload;
    }

    private static async Task AbortAsync(Stream stream, HandshakeAbortReason reason, CancellationToken ct)
    {
        try
        {
            await stream.WriteFrameAsync(FrameType.HandshakeAbort, new[] { (byte)reason }, ct).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The peer is gone already; the local error is what matters.
        }
    }

    /// <summary>CPace channel identifier: binds the protocol label, version and nameplate.</summary>
    internal static byte[] ChannelId(uint nameplate)
    {
        byte[] ci = new byte[ChannelLabel.Length + 2 + 4];
        ChannelLabel.CopyTo(ci, 0);
        BinaryPrimitives.WriteUInt16BigEndian(ci.AsSpan(ChannelLabel.Length), HandshakeLayout.Version);
        BinaryPrimitives.WriteUInt32BigEndian(ci.AsSpan(ChannelLabel.Length + 2), nameplate);
        return ci;
    }

    /// <summary>A chat room pair's channel id: the nameplate's, then "room", the initiator's and the responder's member id.</summary>
    internal static byte[] ChannelId(uint nameplate, RoomPair pair) =>
        [.. ChannelId(nameplate), .. RoomLabel, pair.Initiator, pair.Responder];

    /// <summary>SHA-256 over every handshake byte that precedes the confirmations.</summary>
    internal static byte[] TranscriptHash(uint nameplate, ReadOnlySpan<byte> init, ReadOnlySpan<byte> responseUnconfirmed) =>
        TranscriptHash(ChannelId(nameplate), init, responseUnconfirmed);

    private static byte[] TranscriptHash(byte[] channelId, ReadOnlySpan<byte> init, ReadOnlySpan<byte> responseUnconfirmed)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(TranscriptLabel);
        hash.AppendData(channelId);
        hash.AppendData(init);
        hash.AppendData(responseUnconfirmed);
        return hash.GetHashAndReset();
    }

    private static TallowException Malformed() => new(
        FailureKind.Authentication,
        "the peer sent a malformed handshake (tampering or an incompatible version): try again with a fresh code.");
}
