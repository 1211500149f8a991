// DESIGN.md §9.4, §9.6: the direct-path proof binds the key, the sender's role and both nonces;
// the resync MAC binds the key, the sender's role and the count. A reflected MAC never verifies.
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tallow.Net.Direct;
using Tallow.Tests.Wire;
using Tallow.Wire;

namespace Tallow.Tests.Net;

public class DirectPathKeyTests
{
    private static readonly byte[] Key = DirectTestKit.RandomKey();

    [Fact]
    public void Proof_verifies_for_the_senders_role_and_the_same_nonces()
    {
        using var i = new DirectPathKey(Key, isInitiator: true);
        using var r = new DirectPathKey(Key, isInitiator: false);
        byte[] nI = DirectPathKey.NewNonce();
        byte[] nR = DirectPathKey.NewNonce();
        Assert.Equal(DirectHelloMessage.NonceSize, nI.Length);
        Assert.NotEqual(nI, nR);

        byte[] proofI = i.Prove(i.Role, nI, nR);
        byte[] proofR = r.Prove(r.Role, nI, nR);
        Assert.Equal(PathMessages.MacSize, proofI.Length);
        Assert.True(r.Verify(r.PeerRole, nI, nR, proofI));
        Assert.True(i.Verify(i.PeerRole, nI, nR, proofR));
    }

    [Fact]
    public void Proof_fails_for_the_wrong_role_swapped_nonces_another_key_or_a_bad_length()
    {
        using var i = new DirectPathKey(Key, isInitiator: true);
        using var r = new DirectPathKey(Key, isInitiator: false);
        using var other = new DirectPathKey(DirectTestKit.RandomKey(), isInitiator: false);
        byte[] nI = DirectPathKey.NewNonce();
        byte[] nR = DirectPathKey.NewNonce();
        byte[] proofI = i.Prove(i.Role, nI, nR);

        Assert.False(i.Verify(i.PeerRole, nI, nR, proofI));  // reflection: our own proof sent back
        Assert.False(r.Verify(r.Role, nI, nR, proofI));      // claimed under the wrong role
        Assert.False(r.Verify(r.PeerRole, nR, nI, proofI));  // swapped nonces
        Assert.False(other.Verify(other.PeerRole, nI, nR, proofI));
        Assert.False(r.Verify(r.PeerRole, nI, nR, proofI[..^1]));
        Assert.False(r.Verify(r.PeerRole, nI, nR, [.. proofI, 0]));
        Assert.False(r.Verify(r.PeerRole, nI, nR, []));
    }

    [Property(MaxTest = 200)]
    public Property A_flipped_bit_in_proof_or_nonce_never_verifies() => Prop.ForAll(
        Gen.Zip(Gen.Choose(0, 32 + (2 * DirectHelloMessage.NonceSize) - 1), Gen.Choose(0, 7)).ToArbitrary(),
        t =>
        {
            using var i = new DirectPathKey(Key, isInitiator: true);
            using var r = new DirectPathKey(Key, isInitiator: false);
            byte[] nI = DirectPathKey.NewNonce();
            byte[] nR = DirectPathKey.NewNonce();
            byte[] proof = i.Prove(i.Role, nI, nR);
            byte[] all = [.. proof, .. nI, .. nR];
            all[t.Item1] ^= (byte)(1 << t.Item2);
            return !r.Verify(r.PeerRole, all[32..48], all[48..64], all[..32]);
        });

    [Property(MaxTest = 100)]
    public Property Resync_verifies_for_the_peer_role_only() => Prop.ForAll(WireGen.UInt64.ToArbitrary(), count =>
    {
        using var i = new DirectPathKey(Key, isInitiator: true);
        using var r = new DirectPathKey(Key, isInitiator: false);
        using var other = new DirectPathKey(DirectTestKit.RandomKey(), isInitiator: false);
        byte[] payload = i.Resync(count);
        bool parsed = PathMessages.TryParseResync(payload, out ulong n, out ReadOnlySpan<byte> mac);
        return parsed
            && n == count
            && r.VerifyResync(n, mac)             // the responder accepts the initiator's
            && !i.VerifyResync(n, mac)            // reflected back to the initiator: refused
            && !other.VerifyResync(n, mac)        // another session's key
            && !r.VerifyResync(unchecked(n + 1), mac)  // another count
            && !r.VerifyResync(n, mac[..^1]);     // a short MAC
    });

    [Fact]
    public void Resync_payload_layout_is_count_then_mac()
    {
        using var r = new DirectPathKey(Key, isInitiator: false);
        using var i = new DirectPathKey(Key, isInitiator: true);
        byte[] payload = r.Resync(0x0102030405060708);
        Assert.Equal(PathMessages.ResyncSize, payload.Length);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, payload[..8]);
        Assert.True(i.VerifyResync(0x0102030405060708, payload.AsSpan(8)));
    }

    [Fact]
    public void Roles_are_the_documented_bytes()
    {
        using var i = new DirectPathKey(Key, isInitiator: true);
        using var r = new DirectPathKey(Key, isInitiator: false);
        Assert.Equal(((byte)0, (byte)1), (i.Role, i.PeerRole));
        Assert.Equal(((byte)1, (byte)0), (r.Role, r.PeerRole));
    }
}
