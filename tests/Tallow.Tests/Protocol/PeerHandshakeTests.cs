// The peer handshake (DESIGN.md §6) run in process over loopback TCP: matching keys with the
// same code; Authentication failures on both sides for a wrong code, a tampered message or a
// malformed Init; Network failures for silence and disconnects — never a hang.
using System.Buffers.Binary;
using Tallow.Crypto;
using Tallow.Protocol;
using Tallow.Protocol.Handshake;
using Tallow.Wire;

namespace Tallow.Tests.Protocol;

public class PeerHandshakeTests
{
    private const string Code = ChannelPair.Code;
    private const uint Nameplate = ChannelPair.Nameplate;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static Task<SessionKeys> Run(Stream stream, FrameReader reader, bool initiator, string code = Code, uint nameplate = Nameplate, TimeSpan? timeout = null) =>
        PeerHandshake.RunAsync(stream, reader, initiator, code, nameplate, timeout ?? Timeout, CancellationToken.None);

    private static async Task<TallowException> Fails(Task<SessionKeys> task)
    {
        var ex = await Assert.ThrowsAsync<TallowException>(() => task.WithTimeout(20));
        return ex;
    }

    [Fact]
    public async Task Same_code_gives_both_sides_the_same_directional_keys()
    {
        await using SocketPair pair = await SocketPair.ConnectAsync();
        (SessionKeys i, SessionKeys r) = await ChannelPair.HandshakeAsync(pair).WithTimeout();
        using (i)
        using (r)
        {
            Assert.Equal(i.InitiatorToResponder.ToArray(), r.InitiatorToResponder.ToArray());
            Assert.Equal(i.ResponderToInitiator.ToArray(), r.ResponderToInitiator.ToArray());
            Assert.Equal(i.ConfirmInitiator.ToArray(), r.ConfirmInitiator.ToArray());
            Assert.Equal(i.ConfirmResponder.ToArray(), r.ConfirmResponder.ToArray());
            Assert.Equal(i.DirectPath.ToArray(), r.DirectPath.ToArray());
            Assert.Equal(i.Sas.ToArray(), r.Sas.ToArray());
            Assert.NotEqual(i.InitiatorToResponder.ToArray(), i.ResponderToInitiator.ToArray());
            Assert.Equal(SessionKeys.KeySize, i.InitiatorToResponder.Length);
        }
    }

    [Fact]
    public async Task Two_sessions_with_the_same_code_get_different_keys()
    {
        await using SocketPair first = await SocketPair.ConnectAsync();
        await using SocketPair second = await SocketPair.ConnectAsync();
        (SessionKeys a, SessionKeys b) = await ChannelPair.HandshakeAsync(first).WithTimeout();
        (SessionKeys c, SessionKeys d) = await ChannelPair.HandshakeAsync(second).WithTimeout();
        Assert.NotEqual(a.InitiatorToResponder.ToArray(), c.InitiatorToResponder.ToArray());
        foreach (SessionKeys k in new[] { a, b, c, d })
        {
            k.Dispose();
        }
    }

    [Theory]
    [InlineData("7-amber-lunar-forgf")]
    [InlineData("7-amber-lunar")]
    [InlineData("")]
    public async Task Different_code_fails_with_Authentication_on_both_sides(string responderCode)
    {
        await using SocketPair pair = await SocketPair.ConnectAsync();
        Task<SessionKeys> i = Run(pair.A, pair.ReaderA, true);
        Task<SessionKeys> r = Run(pair.B, pair.ReaderB, false, responderCode);
        Assert.Equal(FailureKind.Authentication, (await Fails(i)).Kind);
        Assert.Equal(FailureKind.Authentication, (await Fails(r)).Kind);
    }

    [Fact]
    public async Task Same_code_on_a_different_nameplate_fails_with_Authentication()
    {
        await using SocketPair pair = await SocketPair.ConnectAsync();
        Task<SessionKeys> i = Run(pair.A, pair.ReaderA, true, nameplate: 7);
        Task<SessionKeys> r = Run(pair.B, pair.ReaderB, false, nameplate: 8);
        Assert.Equal(FailureKind.Authentication, (await Fails(i)).Kind);
        Assert.Equal(FailureKind.Authentication, (await Fails(r)).Kind);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(HandshakeLayout.InitSize - 1)]
    [InlineData(HandshakeLayout.InitSize + 1)]
    [InlineData(5000)] // over the handshake frame limit
    public async Task Responder_given_a_malformed_Init_throws_and_answers_Abort(int length)
    {
        await using SocketPair pair = await SocketPair.ConnectAsync();
        Task<SessionKeys> r = Run(pair.B, pair.ReaderB, false);
        await pair.A.WriteAsync(Frame.Encode(FrameType.HandshakeInit, new byte[length]));

        Assert.Equal(FailureKind.Authentication, (await Fails(r)).Kind);
        if (length <= HandshakeLayout.ResponseSize + 16)
        {
            FrameReadResult abort = await pair.ReaderA.ReadAsync(Frame.MaxLength, CancellationToken.None).AsTask().WithTimeout();
            Assert.True(abort.IsFrame);
            Assert.Equal(FrameType.HandshakeAbort, abort.Type);
            Assert.Equal([(byte)HandshakeAbortReason.Protocol], pair.ReaderA.CurrentPayload.ToArray());
        }
    }

    [Theory]
    [InlineData(FrameType.HandshakeResponse)]
    [InlineData(FrameType.Record)]
    [InlineData(FrameType.Hello)]
    public async Task Responder_given_an_unexpected_frame_type_throws_Authentication(FrameType type)
    {
        await using SocketPair pair = await SocketPair.ConnectAsync();
        Task<SessionKeys> r = Run(pair.B, pair.ReaderB, false);
        await pair.A.WriteAsync(Frame.Encode(type, new byte[HandshakeLayout.InitSize]));
        Assert.Equal(FailureKind.Authentication, (await Fails(r)).Kind);
    }

    /// <summary>
    /// Ya = the identity point makes K = y·Ya the identity whatever the password, so ISK would depend on
    /// public values only: a responder that answered would hand a code-less attacker its confirmation
    /// key. It must abort before answering. (The end-to-end HostileRelayTests pass even without this
    /// check, because their relay cannot forge the confirmation; this one fails without it.)
    /// </summary>
    [Fact]
    public async Task Responder_given_the_identity_share_aborts_without_answering()
    {
        await using SocketPair pair = await SocketPair.ConnectAsync();
        Task<SessionKeys> r = Run(pair.B, pair.ReaderB, false);
        using var kem = MlKem1024.Generate();
        using var x25519 = X25519KeyPair.Generate();
        byte[] init = new byte[HandshakeLayout.InitSize];
        HandshakeInit.Write(init, new byte[HandshakeLayout.ShareSize], kem.EncapsulationKey, x25519.PublicKey,
            new byte[HandshakeLayout.NonceSize], new byte[HandshakeLayout.SasCommitSize]);
        await pair.A.WriteAsync(Frame.Encode(FrameType.HandshakeInit, init));

        Assert.Equal(FailureKind.Authentication, (await Fails(r)).Kind);
        FrameReadResult answer = await pair.ReaderA.ReadAsync(Frame.MaxLength, CancellationToken.None).AsTask().WithTimeout();
        Assert.Equal(FrameType.HandshakeAbort, answer.Type);
        Assert.Equal([(byte)HandshakeAbortReason.AuthenticationFailed], pair.ReaderA.CurrentPayload.ToArray());
    }

    [Fact]
    public async Task Responder_given_another_protocol_version_reports_it_and_aborts()
    {
        await using SocketPair pair = await SocketPair.ConnectAsync();
        Task<SessionKeys> r = Run(pair.B, pair.ReaderB, false);
        byte[] init = new byte[HandshakeLayout.InitSize];
        BinaryPrimitives.WriteUInt16BigEndian(init, HandshakeLayout.Version + 1);
        await pair.A.WriteAsync(Frame.Encode(FrameType.HandshakeInit, init));

        TallowException ex = await Fails(r);
        Assert.Equal(FailureKind.Error, ex.Kind);
        Assert.Contains("version", ex.Message, StringComparison.Ordinal);
        FrameReadResult abort = await pair.ReaderA.ReadAsync(Frame.MaxLength, CancellationToken.None).AsTask().WithTimeout();
        Assert.Equal(FrameType.HandshakeAbort, abort.Type);
        Assert.Equal([(byte)HandshakeAbortReason.VersionMismatch], pair.ReaderA.CurrentPayload.ToArray());
    }

    [Fact]
    public async Task Responder_given_a_version_1_Init_reports_the_version_not_a_malformed_message()
    {
        await using SocketPair pair = await SocketPair.ConnectAsync();
        Task<SessionKeys> r = Run(pair.B, pair.ReaderB, false);
        byte[] init = new byte[HandshakeLayout.InitSize - HandshakeLayout.SasCommitSize]; // v1 had no commitment
        BinaryPrimitives.WriteUInt16BigEndian(init, 1);
        await pair.A.WriteAsync(Frame.Encode(FrameType.HandshakeInit, init));

        TallowException ex = await Fails(r);
        Assert.Equal(FailureKind.Error, ex.Kind);
        Assert.Contains("version 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Initiator_and_responder_fail_when_a_man_in_the_middle_truncates_the_Init()
    {
        await using Interceptor mitm = await Interceptor.StartAsync((towardsResponder, index, frame) =>
        {
            if (towardsResponder && index == 0)
            {
                byte[] shorter = frame[..^1];
                BinaryPrimitives.WriteUInt32BigEndian(shorter, (uint)(shorter.Length - 4));
                return shorter;
            }

            return frame;
        });

        Task<SessionKeys> i = Run(mitm.InitiatorStream, mitm.InitiatorReader, true);
        Task<SessionKeys> r = Run(mitm.ResponderStream, mitm.ResponderReader, false);
        Assert.Equal(FailureKind.Authentication, (await Fails(r)).Kind);
        Assert.Contains((await Fails(i)).Kind, new[] { FailureKind.Authentication, FailureKind.Network });
    }

    /// <summary>Flips one bit of one handshake message in flight (offset counts from the frame start).</summary>
    [Theory]
    [InlineData(true, 0, Frame.HeaderSize + HandshakeLayout.InitShareOffset)]             // Ya
    [InlineData(true, 0, Frame.HeaderSize + HandshakeLayout.InitKemKeyOffset + 100)]      // ML-KEM ek
    [InlineData(true, 0, Frame.HeaderSize + HandshakeLayout.InitX25519Offset + 3)]        // X25519 pk_I
    [InlineData(true, 0, Frame.HeaderSize + HandshakeLayout.InitNonceOffset)]             // nonce_I / sid
    [InlineData(true, 0, Frame.HeaderSize + HandshakeLayout.InitSasCommitOffset + 7)]     // sas_commit
    [InlineData(false, 0, Frame.HeaderSize + HandshakeLayout.ResponseShareOffset + 5)]    // Yb
    [InlineData(false, 0, Frame.HeaderSize + HandshakeLayout.ResponseCiphertextOffset + 9)] // ML-KEM ct
    [InlineData(false, 0, Frame.HeaderSize + HandshakeLayout.ResponseX25519Offset)]       // X25519 pk_R
    [InlineData(false, 0, Frame.HeaderSize + HandshakeLayout.ResponseNonceOffset + 15)]   // nonce_R
    [InlineData(false, 0, Frame.HeaderSize + HandshakeLayout.ResponseConfirmOffset + 31)] // confirm_R
    public async Task Tampering_with_any_handshake_field_fails_with_Authentication_on_both_sides(bool towardsResponder, int frameIndex, int offset)
    {
        await using Interceptor mitm = await Interceptor.StartAsync((direction, index, frame) =>
        {
            if (direction == towardsResponder && index == frameIndex)
            {
                frame[offset] ^= 0x01;
            }

            return frame;
        });

        Task<SessionKeys> i = Run(mitm.InitiatorStream, mitm.InitiatorReader, true);
        Task<SessionKeys> r = Run(mitm.ResponderStream, mitm.ResponderReader, false);
        Assert.Equal(FailureKind.Authentication, (await Fails(i)).Kind);
        Assert.Equal(FailureKind.Authentication, (await Fails(r)).Kind);
    }

    [Theory]
    [InlineData(0)]                            // confirm_I
    [InlineData(HandshakeLayout.ConfirmSize)]  // the revealed SAS nonce: must open the commitment in Init
    [InlineData(HandshakeLayout.ConfirmPayloadSize - 1)]
    public async Task Tampered_initiator_confirmation_fails_the_responder_with_Authentication(int offset)
    {
        await using Interceptor mitm = await Interceptor.StartAsync((towardsResponder, index, frame) =>
        {
            if (towardsResponder && index == 1)
            {
                frame[Frame.HeaderSize + offset] ^= 0x80;
            }

            return frame;
        });

        Task<SessionKeys> i = Run(mitm.InitiatorStream, mitm.InitiatorReader, true);
        Task<SessionKeys> r = Run(mitm.ResponderStream, mitm.ResponderReader, false);
        (await i.WithTimeout()).Dispose(); // the initiator cannot know; its first record would fail
        Assert.Equal(FailureKind.Authentication, (await Fails(r)).Kind);
    }

    [Fact]
    public async Task Dropped_initiator_confirmation_then_disconnect_fails_the_responder_with_Authentication()
    {
        await using Interceptor mitm = await Interceptor.StartAsync((towardsResponder, index, frame) =>
            towardsResponder && index == 1 ? null : frame);

        Task<SessionKeys> i = Run(mitm.InitiatorStream, mitm.InitiatorReader, true);
        Task<SessionKeys> r = Run(mitm.ResponderStream, mitm.ResponderReader, false);
        (await i.WithTimeout()).Dispose();
        mitm.InitiatorStream.Dispose(); // EOF reaches the responder through the interceptor
        Assert.Equal(FailureKind.Authentication, (await Fails(r)).Kind);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_silent_peer_fails_with_Network_after_the_timeout(bool initiator)
    {
        await using SocketPair pair = await SocketPair.ConnectAsync();
        var started = System.Diagnostics.Stopwatch.StartNew();
        TallowException ex = await Fails(Run(pair.A, pair.ReaderA, initiator, timeout: TimeSpan.FromMilliseconds(400)));
        Assert.Equal(FailureKind.Network, ex.Kind);
        Assert.InRange(started.Elapsed, TimeSpan.FromMilliseconds(350), TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_peer_that_hangs_up_fails_with_Network(bool initiator)
    {
        await using SocketPair pair = await SocketPair.ConnectAsync();
        Task<SessionKeys> run = Run(pair.A, pair.ReaderA, initiator);
        pair.SocketB.Shutdown(System.Net.Sockets.SocketShutdown.Both);
        pair.B.Dispose();
        Assert.Equal(FailureKind.Network, (await Fails(run)).Kind);
    }

    [Fact]
    public async Task Caller_cancellation_surfaces_as_cancellation_not_a_timeout()
    {
        await using SocketPair pair = await SocketPair.ConnectAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        Task<SessionKeys> run = PeerHandshake.RunAsync(pair.A, pair.ReaderA, true, Code, Nameplate, Timeout, cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WithTimeout());
    }
}
