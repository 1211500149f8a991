// Tests for the hybrid KEM parts: ML-KEM-1024 (FIPS 203) and X25519 (RFC 7748).
using Tallow.Crypto;

namespace Tallow.Tests.Crypto;

public class KeyExchangeTests
{
    [Fact]
    public void MlKem_round_trip()
    {
        using var pair = MlKem1024.Generate();
        Assert.Equal(MlKem1024.EncapsulationKeySize, pair.EncapsulationKey.Length);
        var ct = new byte[MlKem1024.CiphertextSize];
        var ssSender = new byte[MlKem1024.SharedSecretSize];
        var ssReceiver = new byte[MlKem1024.SharedSecretSize];
        Assert.True(MlKem1024.TryEncapsulate(pair.EncapsulationKey, ct, ssSender));
        Assert.True(pair.TryDecapsulate(ct, ssReceiver));
        Assert.Equal(ssSender, ssReceiver);
        Assert.NotEqual(new byte[32], ssSender);
    }

    [Fact]
    public void MlKem_tampered_ciphertext_gives_different_secret()
    {
        using var pair = MlKem1024.Generate();
        var ct = new byte[MlKem1024.CiphertextSize];
        var ss = new byte[32];
        Assert.True(MlKem1024.TryEncapsulate(pair.EncapsulationKey, ct, ss));
        ct[100] ^= 0x01;
        var other = new byte[32];
        Assert.True(pair.TryDecapsulate(ct, other));
        Assert.NotEqual(ss, other);
    }

    [Fact]
    public void MlKem_wrong_lengths_and_malformed_key_return_false()
    {
        using var pair = MlKem1024.Generate();
        var ct = new byte[MlKem1024.CiphertextSize];
        var ss = new byte[32];
        Assert.False(MlKem1024.TryEncapsulate(pair.EncapsulationKey[..^1], ct, ss));
        Assert.False(MlKem1024.TryEncapsulate(new byte[1569], ct, ss));
        Assert.False(MlKem1024.TryEncapsulate(default, ct, ss));

        // All 0xFF: every 12-bit coefficient is 4095 >= q = 3329, so the FIPS 203 modulus check fails.
        var malformed = Enumerable.Repeat((byte)0xFF, MlKem1024.EncapsulationKeySize).ToArray();
        Assert.False(MlKem1024.TryEncapsulate(malformed, ct, ss));

        Assert.False(pair.TryDecapsulate(new byte[MlKem1024.CiphertextSize - 1], ss));
        Assert.False(pair.TryDecapsulate(new byte[MlKem1024.CiphertextSize + 1], ss));
        Assert.Throws<ArgumentException>(() => MlKem1024.TryEncapsulate(pair.EncapsulationKey, new byte[10], ss));
    }

    [Fact]
    public void MlKem_disposed_pair_throws()
    {
        var pair = MlKem1024.Generate();
        pair.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pair.TryDecapsulate(new byte[MlKem1024.CiphertextSize], new byte[32]));
    }

    [Fact]
    public void X25519_agreement()
    {
        using var a = X25519KeyPair.Generate();
        using var b = X25519KeyPair.Generate();
        var sa = new byte[32];
        var sb = new byte[32];
        Assert.True(a.TryAgree(b.PublicKey, sa));
        Assert.True(b.TryAgree(a.PublicKey, sb));
        Assert.Equal(sa, sb);
        Assert.NotEqual(a.PublicKey.ToArray(), b.PublicKey.ToArray());
    }

    public static TheoryData<string> LowOrderPoints => new()
    {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    };

    [Theory]
    [MemberData(nameof(LowOrderPoints))]
    public void X25519_low_order_peer_key_is_rejected(string hex)
    {
        using var a = X25519KeyPair.Generate();
        var s = new byte[32];
        Assert.False(a.TryAgree(Convert.FromHexString(hex), s));
        Assert.Equal(new byte[32], s);
    }

    [Fact]
    public void X25519_wrong_length_is_rejected()
    {
        using var a = X25519KeyPair.Generate();
        var s = new byte[32];
        Assert.False(a.TryAgree(new byte[31], s));
        Assert.False(a.TryAgree(new byte[33], s));
        Assert.Throws<ArgumentException>(() => a.TryAgree(a.PublicKey, new byte[16]));
    }
}
