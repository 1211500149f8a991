// The resumption secret in the key schedule (SessionKeys, label "tallow v2 resume") and what a
// ResumptionTicket derives from it (protocol.md "Resumption"): the secret is shared by both sides of
// one real handshake, differs per session and from every other key; the nameplate and the one-time
// code follow the documented HKDF formulas (cross-checked with System.Security.Cryptography.HKDF)
// and stay in the custom-code nameplate range; a disposed ticket derives nothing and shows nothing.
using System.Buffers.Binary;
using System.Security.Cryptography;
using Tallow.Crypto;
using Tallow.Tests.Protocol;

namespace Tallow.Tests.Crypto;

public class ResumptionTicketTests
{
    [Fact]
    public async Task The_resumption_secret_is_shared_by_both_sides_differs_per_session_and_from_every_other_key()
    {
        (SessionKeys i1, SessionKeys r1) = await HandshakeAsync();
        (SessionKeys i2, SessionKeys r2) = await HandshakeAsync();
        using (i1)
        using (r1)
        using (i2)
        using (r2)
        {
            Assert.Equal(i1.Resumption.ToArray(), r1.Resumption.ToArray());
            Assert.Equal(i2.Resumption.ToArray(), r2.Resumption.ToArray());
            Assert.NotEqual(i1.Resumption.ToArray(), i2.Resumption.ToArray());

            foreach (SessionKeys keys in new[] { i1, i2 })
            {
                string[] all = [.. new[] { keys.InitiatorToResponder.ToArray(), keys.ResponderToInitiator.ToArray(), keys.ConfirmInitiator.ToArray(),
                    keys.ConfirmResponder.ToArray(), keys.DirectPath.ToArray(), keys.Sas.ToArray(), keys.Resumption.ToArray() }.Select(Convert.ToHexString)];
                Assert.Equal(7, all.Distinct().Count());
                Assert.Equal(SessionKeys.KeySize, keys.Resumption.Length);
            }
        }
    }

    [Fact]
    public void The_resumption_secret_is_hkdf_expand_of_the_session_secret_with_its_own_label()
    {
        byte[] transcript = SHA256.HashData("tallow test transcript"u8);
        byte[] isk = Enumerable.Repeat((byte)1, 64).ToArray();
        byte[] mlkem = Enumerable.Repeat((byte)2, 32).ToArray();
        byte[] x25519 = Enumerable.Repeat((byte)3, 32).ToArray();
        byte[] secret = HKDF.DeriveKey(HashAlgorithmName.SHA256, [.. isk, .. mlkem, .. x25519], 32, transcript, "tallow v1 session"u8.ToArray());
        using SessionKeys keys = SessionKeys.Derive(transcript, isk, mlkem, x25519);
        Assert.Equal(HKDF.Expand(HashAlgorithmName.SHA256, secret, 32, "tallow v2 resume"u8.ToArray()), keys.Resumption.ToArray());
    }

    [Fact]
    public async Task Both_roles_derive_the_same_nameplate_and_code_and_keep_their_role()
    {
        (SessionKeys i, SessionKeys r) = await HandshakeAsync();
        using (i)
        using (r)
        using (ResumptionTicket initiator = ResumptionTicket.Create(i, isInitiator: true))
        using (ResumptionTicket responder = ResumptionTicket.Create(r, isInitiator: false))
        {
            Assert.True(initiator.IsInitiator);
            Assert.False(responder.IsInitiator);
            Assert.Equal(initiator.Nameplate, responder.Nameplate);
            Assert.Equal(Code(initiator), Code(responder));
            Assert.NotEqual(i.Resumption.ToArray(), Code(initiator)); // the code is derived, never the secret itself
        }
    }

    [Fact]
    public void Nameplate_and_code_follow_the_documented_derivation()
    {
        byte[] secret = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        using ResumptionTicket ticket = ResumptionTicket.FromSecret(secret, isInitiator: true);

        ulong value = BinaryPrimitives.ReadUInt64BigEndian(HKDF.Expand(HashAlgorithmName.SHA256, secret, 8, "tallow v2 resume nameplate"u8.ToArray()));
        Assert.Equal(1_000_000u + (uint)(value % 9_000_000), ticket.Nameplate);
        Assert.Equal(HKDF.Expand(HashAlgorithmName.SHA256, secret, 32, "tallow v2 resume code"u8.ToArray()), Code(ticket));
    }

    [Fact]
    public void Nameplates_stay_in_the_custom_code_range()
    {
        for (int n = 0; n < 2000; n++)
        {
            using ResumptionTicket ticket = ResumptionTicket.FromSecret(RandomNumberGenerator.GetBytes(32), isInitiator: false);
            Assert.InRange(ticket.Nameplate, CodePhrase.MinMappedNameplate, CodePhrase.MaxMappedNameplate);
        }
    }

    [Fact]
    public void A_disposed_ticket_derives_nothing_and_no_ticket_shows_its_secret()
    {
        byte[] secret = RandomNumberGenerator.GetBytes(32);
        var ticket = ResumptionTicket.FromSecret(secret, isInitiator: true);
        uint nameplate = ticket.Nameplate;
        Assert.Equal(nameof(ResumptionTicket), ticket.ToString());
        Assert.DoesNotContain(Convert.ToHexString(secret), ticket.ToString(), StringComparison.OrdinalIgnoreCase);

        ticket.Dispose();
        ticket.Dispose();
        Assert.True(ticket.IsDisposed);
        Assert.Equal(nameplate, ticket.Nameplate); // public anyway: the relay sees it
        Assert.Throws<ObjectDisposedException>(() => Code(ticket));
    }

    [Fact]
    public void Wrong_sizes_are_refused()
    {
        Assert.Throws<ArgumentException>(() => ResumptionTicket.FromSecret(new byte[31], isInitiator: true));
        using ResumptionTicket ticket = ResumptionTicket.FromSecret(new byte[32], isInitiator: true);
        Assert.Throws<ArgumentException>(() => ticket.DeriveCode(new byte[31]));
    }

    private static byte[] Code(ResumptionTicket ticket)
    {
        byte[] code = new byte[ResumptionTicket.CodeSize];
        ticket.DeriveCode(code);
        return code;
    }

    private static async Task<(SessionKeys Initiator, SessionKeys Responder)> HandshakeAsync()
    {
        await using SocketPair sockets = await SocketPair.ConnectAsync();
        return await ChannelPair.HandshakeAsync(sockets);
    }
}
