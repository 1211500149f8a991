// --verify against a man in the middle who knows the code (issue 13, item 6). Such an attacker runs
// one handshake with each side and wins if both show the same safety number. As responder it sees
// the whole Init before answering; in handshake v1 it could then try answers (cheap new X25519 keys)
// until the number it predicts is the one it wants — 2^20 tries cover all six digits. With the
// initiator's commit-before-reveal, the number it predicts when it answers is not the number shown.
using System.Security.Cryptography;
using Tallow.Crypto;
using Tallow.Protocol.Handshake;
using Tallow.Wire;

namespace Tallow.Tests.Protocol;

public class SafetyNumberGrindingTests
{
    private const string Code = ChannelPair.Code;
    private const uint Nameplate = ChannelPair.Nameplate;

    [Fact]
    public async Task A_responder_that_grinds_its_answer_cannot_choose_the_initiators_safety_number()
    {
        await using SocketPair pair = await SocketPair.ConnectAsync();
        Task<SessionKeys> initiator = PeerHandshake.RunAsync(pair.A, pair.ReaderA, true, Code, Nameplate, TimeSpan.FromSeconds(30), CancellationToken.None);

        FrameReadResult read = await pair.ReaderB.ReadAsync(Frame.MaxLength, CancellationToken.None).AsTask().WithTimeout();
        Assert.Equal(FrameType.HandshakeInit, read.Type);
        byte[] init = pair.ReaderB.CurrentPayload.ToArray();
        Assert.True(HandshakeInit.TryParse(init, out HandshakeInit message));

        // The attacker's answer: the honest responder's computation, with the X25519 key ground until
        // the safety number it predicts ends in the digit it wants (1 in 10 per try).
        byte[] password = System.Text.Encoding.UTF8.GetBytes(Code);
        using var cpace = CPaceSession.Create(password, PeerHandshake.ChannelId(Nameplate), message.Nonce);
        byte[] isk = new byte[CPaceSession.IskSize];
        Assert.True(cpace.TryDeriveIsk(message.Share, isInitiator: false, default, default, isk));
        byte[] response = new byte[HandshakeLayout.ResponseSize];
        byte[] kemSecret = new byte[MlKem1024.SharedSecretSize];
        Assert.True(MlKem1024.TryEncapsulate(message.KemKey, response.AsSpan(HandshakeLayout.ResponseCiphertextOffset, HandshakeLayout.KemCiphertextSize), kemSecret));
        cpace.Share.CopyTo(response.AsSpan(HandshakeLayout.ResponseShareOffset));
        RandomNumberGenerator.Fill(response.AsSpan(HandshakeLayout.ResponseNonceOffset, HandshakeLayout.NonceSize));

        string? predicted = null;
        for (int tries = 0; tries < 500 && predicted is null; tries++)
        {
            using var x25519 = X25519KeyPair.Generate();
            byte[] dh = new byte[X25519KeyPair.KeySize];
            Assert.True(x25519.TryAgree(message.X25519, dh));
            x25519.PublicKey.CopyTo(response.AsSpan(HandshakeLayout.ResponseX25519Offset));
            byte[] transcript = PeerHandshake.TranscriptHash(Nameplate, init, response.AsSpan(0, HandshakeLayout.ResponseConfirmOffset));
            using SessionKeys keys = SessionKeys.Derive(transcript, isk, kemSecret, dh);
            string digits = SafetyNumber.Digits(keys.Sas);
            if (digits.EndsWith('7'))
            {
                predicted = digits;
                SessionKeys.ComputeConfirmation(keys.ConfirmResponder, transcript, response.AsSpan(HandshakeLayout.ResponseConfirmOffset));
            }
        }

        Assert.NotNull(predicted); // the grinding itself works: (9/10)^500 is never
        await pair.B.WriteAsync(Frame.Encode(FrameType.HandshakeResponse, response));

        using SessionKeys shown = await initiator.WithTimeout();
        Assert.NotEqual(predicted, SafetyNumber.Digits(shown.Sas));
    }

    [Fact]
    public void Only_the_committed_nonce_opens_the_commitment()
    {
        byte[] nonce = RandomNumberGenerator.GetBytes(SasCommitment.NonceSize);
        byte[] commitment = new byte[SasCommitment.Size];
        SasCommitment.Compute(nonce, commitment);

        Assert.True(SasCommitment.Opens(nonce, commitment));
        byte[] other = (byte[])nonce.Clone();
        other[31] ^= 1;
        Assert.False(SasCommitment.Opens(other, commitment));
        Assert.False(SasCommitment.Opens(nonce.AsSpan(1), commitment));
        Assert.False(SasCommitment.Opens([], commitment));
    }

    [Fact]
    public async Task Both_sides_still_show_the_same_number_and_emoji()
    {
        await using SocketPair pair = await SocketPair.ConnectAsync();
        (SessionKeys i, SessionKeys r) = await ChannelPair.HandshakeAsync(pair).WithTimeout();
        using (i)
        using (r)
        {
            Assert.Equal(SafetyNumber.Digits(i.Sas), SafetyNumber.Digits(r.Sas));
            Assert.Equal(SafetyNumber.Emoji(i.Sas), SafetyNumber.Emoji(r.Sas));
        }
    }
}
