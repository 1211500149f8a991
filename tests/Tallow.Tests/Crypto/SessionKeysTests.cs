// Tests for the DESIGN.md §6 key schedule: pinned known answers (computed independently with Python's hmac),
// a cross-check against System.Security.Cryptography.HKDF, label separation and confirmations.
using System.Security.Cryptography;
using Tallow.Crypto;

namespace Tallow.Tests.Crypto;

public class SessionKeysTests
{
    private static readonly byte[] s_transcriptHash = SHA256.HashData("tallow test transcript"u8);
    private static readonly byte[] s_isk = Enumerable.Repeat((byte)1, 64).ToArray();
    private static readonly byte[] s_mlkem = Enumerable.Repeat((byte)2, 32).ToArray();
    private static readonly byte[] s_x25519 = Enumerable.Repeat((byte)3, 32).ToArray();

    private static SessionKeys DeriveFixed() => SessionKeys.Derive(s_transcriptHash, s_isk, s_mlkem, s_x25519);

    [Fact]
    public void Known_answer_values()
    {
        using var keys = DeriveFixed();
        Assert.Equal("bb591667b9f86c062dc398093fcf332265c36dd289569417cd197e7e1de3880d", Hex(keys.InitiatorToResponder));
        Assert.Equal("1bb1ea9718efec4d2b0c9ee336fffde37451d4d14ddf5aebaabce05614e94ced", Hex(keys.ResponderToInitiator));
        Assert.Equal("f3c532d1a7f8f65d51bd72e276168f9dcda66dfe445c08366710c394023ae4af", Hex(keys.ConfirmInitiator));
        Assert.Equal("e2d1fe30d976e83bfaf1d8856542648be46da19de7e9c2128bda235c05e3b770", Hex(keys.ConfirmResponder));
        Assert.Equal("4469deb15621ca6f4370e2e8dc5b2fee8775bda22e092210d7969e22326a5a81", Hex(keys.DirectPath));
        Assert.Equal("0cf78efb5539d38081117e2ed96ce70c28eafff0e329b65e9fe2e48d0d2a5989", Hex(keys.Sas));

        var mac = new byte[32];
        SessionKeys.ComputeConfirmation(keys.ConfirmInitiator, s_transcriptHash, mac);
        Assert.Equal("6908739dd661ae87109dbfc86a32196ef99d8c751adfdd0cca5ddf1090e5632a", Hex(mac));
    }

    [Fact]
    public void Matches_direct_hkdf_computation()
    {
        var ikm = s_isk.Concat(s_mlkem).Concat(s_x25519).ToArray();
        var secret = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 32, s_transcriptHash, "tallow v1 session"u8.ToArray());
        var expected = HKDF.Expand(HashAlgorithmName.SHA256, secret, 32, "tallow v1 sas"u8.ToArray());
        using var keys = DeriveFixed();
        Assert.Equal(expected, keys.Sas.ToArray());
    }

    [Fact]
    public void Keys_are_distinct_and_deterministic()
    {
        using var a = DeriveFixed();
        using var b = DeriveFixed();
        var all = new[] { a.InitiatorToResponder.ToArray(), a.ResponderToInitiator.ToArray(), a.ConfirmInitiator.ToArray(),
            a.ConfirmResponder.ToArray(), a.DirectPath.ToArray(), a.Sas.ToArray() };
        Assert.Equal(6, all.Select(Convert.ToHexString).Distinct().Count());
        Assert.All(all, k => Assert.Equal(SessionKeys.KeySize, k.Length));
        Assert.Equal(a.Sas.ToArray(), b.Sas.ToArray());
        Assert.Equal(a.InitiatorToResponder.ToArray(), b.InitiatorToResponder.ToArray());
    }

    [Fact]
    public void Any_input_change_changes_keys()
    {
        using var baseKeys = DeriveFixed();
        var otherHash = (byte[])s_transcriptHash.Clone();
        otherHash[0] ^= 1;
        var otherX = (byte[])s_x25519.Clone();
        otherX[31] ^= 1;
        using var k1 = SessionKeys.Derive(otherHash, s_isk, s_mlkem, s_x25519);
        using var k2 = SessionKeys.Derive(s_transcriptHash, s_isk, s_mlkem, otherX);
        Assert.NotEqual(baseKeys.Sas.ToArray(), k1.Sas.ToArray());
        Assert.NotEqual(baseKeys.Sas.ToArray(), k2.Sas.ToArray());
    }

    [Fact]
    public void Confirmation_verifies_and_rejects()
    {
        using var keys = DeriveFixed();
        var mac = new byte[32];
        SessionKeys.ComputeConfirmation(keys.ConfirmResponder, s_transcriptHash, mac);
        Assert.True(SessionKeys.VerifyConfirmation(keys.ConfirmResponder, s_transcriptHash, mac));
        Assert.False(SessionKeys.VerifyConfirmation(keys.ConfirmInitiator, s_transcriptHash, mac));
        Assert.False(SessionKeys.VerifyConfirmation(keys.ConfirmResponder, s_transcriptHash, mac.AsSpan(0, 31)));
        Assert.False(SessionKeys.VerifyConfirmation(keys.ConfirmResponder, s_transcriptHash, default));
        mac[5] ^= 0x80;
        Assert.False(SessionKeys.VerifyConfirmation(keys.ConfirmResponder, s_transcriptHash, mac));
    }

    [Fact]
    public void Dispose_blocks_access()
    {
        var keys = DeriveFixed();
        keys.Dispose();
        Assert.Throws<ObjectDisposedException>(() => keys.Sas.ToArray());
        Assert.Equal("SessionKeys", keys.ToString());
    }

    private static string Hex(ReadOnlySpan<byte> data) => Convert.ToHexString(data).ToLowerInvariant();
}
