// The relay-password PAKE (RelayPasswordPake / RelayPasswordVerifier, protocol.md "Relay"): the
// right password verifies, any other does not; a hostile relay's share gives it one guess per
// connection (it can check only the password it built its share from); invalid shares are refused
// by both sides; and the client's answer is fresh every time, even to the same nonce and share.
using System.Text;
using Tallow.Crypto;

namespace Tallow.Tests.Crypto;

public class RelayPasswordPakeTests
{
    private static readonly byte[] Password = Encoding.UTF8.GetBytes("correct horse battery staple");
    private static readonly byte[] Nonce = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void The_right_password_verifies()
    {
        using RelayPasswordVerifier relay = RelayPasswordVerifier.Start(Password, Nonce);
        (byte[] share, byte[] confirm) = Respond(Password, relay.Share.ToArray());
        Assert.True(relay.Verify(share, confirm));
    }

    [Theory]
    [InlineData("correct horse battery stapl")]
    [InlineData("Correct horse battery staple")]
    [InlineData("")]
    public void Another_password_does_not_verify(string other)
    {
        using RelayPasswordVerifier relay = RelayPasswordVerifier.Start(Password, Nonce);
        (byte[] share, byte[] confirm) = Respond(Encoding.UTF8.GetBytes(other), relay.Share.ToArray());
        Assert.False(relay.Verify(share, confirm));
    }

    [Fact]
    public void The_answer_is_bound_to_the_connection_nonce()
    {
        using RelayPasswordVerifier relay = RelayPasswordVerifier.Start(Password, Nonce);
        byte[] otherNonce = (byte[])Nonce.Clone();
        otherNonce[0] ^= 1;
        (byte[] share, byte[] confirm) = RespondTo(Password, otherNonce, relay.Share.ToArray());
        Assert.False(relay.Verify(share, confirm));
    }

    [Fact]
    public void A_fake_relay_can_check_only_the_one_password_it_built_its_share_from()
    {
        // The fake relay guesses "hunter2" and answers with a share for it: the client's answer
        // then confirms or refutes that guess alone, not the real password nor any other.
        using RelayPasswordVerifier fake = RelayPasswordVerifier.Start("hunter2"u8, Nonce);
        (byte[] share, byte[] confirm) = Respond(Password, fake.Share.ToArray());
        Assert.False(fake.Verify(share, confirm));

        using RelayPasswordVerifier luckyFake = RelayPasswordVerifier.Start(Password, Nonce);
        (share, confirm) = Respond(Password, luckyFake.Share.ToArray());
        Assert.True(luckyFake.Verify(share, confirm)); // the guess was right: that is the online guess
    }

    [Fact]
    public void The_answer_is_fresh_for_the_same_nonce_and_share()
    {
        using RelayPasswordVerifier relay = RelayPasswordVerifier.Start(Password, Nonce);
        byte[] relayShare = relay.Share.ToArray();
        (byte[] share1, byte[] confirm1) = Respond(Password, relayShare);
        (byte[] share2, byte[] confirm2) = Respond(Password, relayShare);
        Assert.NotEqual(share1, share2);
        Assert.NotEqual(confirm1, confirm2);
        Assert.True(relay.Verify(share1, confirm1));
    }

    [Fact]
    public void Invalid_shares_are_refused_on_both_sides()
    {
        byte[] identity = new byte[RelayPasswordPake.ShareSize];
        byte[] notCanonical = Enumerable.Repeat((byte)0xFF, RelayPasswordPake.ShareSize).ToArray();
        foreach (byte[] bad in new[] { identity, notCanonical, new byte[31] })
        {
            byte[] share = new byte[RelayPasswordPake.ShareSize];
            byte[] confirm = new byte[RelayPasswordPake.ConfirmSize];
            Assert.False(RelayPasswordPake.TryRespond(Password, Nonce, bad, share, confirm));
            Assert.Equal(new byte[RelayPasswordPake.ShareSize], share); // nothing written

            using RelayPasswordVerifier relay = RelayPasswordVerifier.Start(Password, Nonce);
            Assert.False(relay.Verify(bad, new byte[RelayPasswordPake.ConfirmSize]));
        }

        using RelayPasswordVerifier verifier = RelayPasswordVerifier.Start(Password, Nonce);
        (byte[] good, byte[] goodConfirm) = Respond(Password, verifier.Share.ToArray());
        Assert.False(verifier.Verify(good, goodConfirm.AsSpan(0, 31)));
    }

    private static (byte[] Share, byte[] Confirm) Respond(byte[] password, byte[] relayShare) => RespondTo(password, Nonce, relayShare);

    private static (byte[] Share, byte[] Confirm) RespondTo(byte[] password, byte[] nonce, byte[] relayShare)
    {
        byte[] share = new byte[RelayPasswordPake.ShareSize];
        byte[] confirm = new byte[RelayPasswordPake.ConfirmSize];
        Assert.True(RelayPasswordPake.TryRespond(password, nonce, relayShare, share, confirm));
        return (share, confirm);
    }
}
