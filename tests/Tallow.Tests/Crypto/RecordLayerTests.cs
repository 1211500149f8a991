// Tests for the DESIGN.md §7 record layer: round trip, ordering, replay, truncation, tampering, rekey ratchet.
using System.Text;
using Tallow.Crypto;

namespace Tallow.Tests.Crypto;

public class RecordLayerTests
{
    private static readonly byte[] s_key = Enumerable.Repeat((byte)0x11, 32).ToArray();
    private static readonly byte[] s_aad = "hdr"u8.ToArray();

    private sealed record Sealed(byte[] Aad, byte[] Data, byte[] Tag)
    {
        public Sealed Copy() => new((byte[])Aad.Clone(), (byte[])Data.Clone(), (byte[])Tag.Clone());
    }

    private static Sealed Seal(RecordSealer sealer, string text, byte[]? aad = null)
    {
        var data = Encoding.UTF8.GetBytes(text);
        var tag = new byte[RecordSealer.TagSize];
        aad ??= s_aad;
        sealer.Seal(aad, data, tag);
        return new Sealed(aad, data, tag);
    }

    private static bool Open(RecordOpener opener, Sealed record, out string text)
    {
        var r = record.Copy();
        var ok = opener.TryOpen(r.Aad, r.Data, r.Tag);
        text = ok ? Encoding.UTF8.GetString(r.Data) : string.Empty;
        return ok;
    }

    [Fact]
    public void Round_trip_in_place()
    {
        using var sealer = new RecordSealer(s_key);
        using var opener = new RecordOpener(s_key);
        for (var i = 0; i < 10; i++)
        {
            var rec = Seal(sealer, $"record {i}");
            Assert.NotEqual($"record {i}", Encoding.UTF8.GetString(rec.Data));
            Assert.True(Open(opener, rec, out var text));
            Assert.Equal($"record {i}", text);
        }

        Assert.Equal(10UL, sealer.RecordsSealed);
        Assert.Equal(10UL, opener.RecordsOpened);
    }

    [Fact]
    public void Empty_record_round_trips()
    {
        using var sealer = new RecordSealer(s_key);
        using var opener = new RecordOpener(s_key);
        var tag = new byte[16];
        sealer.Seal(s_aad, Span<byte>.Empty, tag);
        Assert.True(opener.TryOpen(s_aad, Span<byte>.Empty, tag));
    }

    [Fact]
    public void Known_answer_with_rekey_matches_independent_computation()
    {
        // Computed with Python's cryptography AESGCM and hmac (HKDF-Expand), rekey interval 2.
        using var sealer = new RecordSealer(s_key, rekeyInterval: 2);
        string[] expected =
        [
            "b6af7d57d7c1bfbcc5abe0ad0aeaa524c03739ad",
            "bbee6bf9ca307084faf9b5e80e4b4ec39a53c53b",
            "18c6c907300e457fc673919d8ac95502cf618c7d",
        ];
        for (var i = 0; i < 3; i++)
        {
            var rec = Seal(sealer, $"rec{i}");
            Assert.Equal(expected[i], Convert.ToHexString([.. rec.Data, .. rec.Tag]).ToLowerInvariant());
        }
    }

    [Fact]
    public void Reordered_records_are_rejected()
    {
        using var sealer = new RecordSealer(s_key);
        using var opener = new RecordOpener(s_key);
        var r0 = Seal(sealer, "zero");
        var r1 = Seal(sealer, "one");
        Assert.False(Open(opener, r1, out _));
        Assert.Equal(0UL, opener.RecordsOpened);
        Assert.True(Open(opener, r0, out _));
        Assert.True(Open(opener, r1, out _));
    }

    [Fact]
    public void Replayed_record_is_rejected()
    {
        using var sealer = new RecordSealer(s_key);
        using var opener = new RecordOpener(s_key);
        var r0 = Seal(sealer, "zero");
        Assert.True(Open(opener, r0, out _));
        Assert.False(Open(opener, r0, out _));
        Assert.Equal(1UL, opener.RecordsOpened);
    }

    [Fact]
    public void Dropped_record_is_detected()
    {
        using var sealer = new RecordSealer(s_key);
        using var opener = new RecordOpener(s_key);
        var r0 = Seal(sealer, "zero");
        _ = Seal(sealer, "one (dropped by the relay)");
        var r2 = Seal(sealer, "two");
        Assert.True(Open(opener, r0, out _));
        Assert.False(Open(opener, r2, out _));
    }

    [Theory]
    [InlineData("data")]
    [InlineData("tag")]
    [InlineData("aad")]
    public void Bit_flip_is_rejected_and_counter_not_advanced(string where)
    {
        using var sealer = new RecordSealer(s_key);
        using var opener = new RecordOpener(s_key);
        var rec = Seal(sealer, "payload");
        var bad = rec.Copy();
        var target = where switch { "data" => bad.Data, "tag" => bad.Tag, _ => bad.Aad };
        target[0] ^= 0x04;
        Assert.False(Open(opener, bad, out _));
        Assert.Equal(0UL, opener.RecordsOpened);
        Assert.True(Open(opener, rec, out var text));
        Assert.Equal("payload", text);
    }

    [Fact]
    public void Wrong_tag_length_or_key_returns_false()
    {
        using var sealer = new RecordSealer(s_key);
        var otherKey = (byte[])s_key.Clone();
        otherKey[0] ^= 1;
        using var wrong = new RecordOpener(otherKey);
        using var opener = new RecordOpener(s_key);
        var rec = Seal(sealer, "payload");
        Assert.False(Open(wrong, rec, out _));
        Assert.False(opener.TryOpen(rec.Aad, rec.Copy().Data, rec.Tag.AsSpan(0, 12)));
        Assert.False(opener.TryOpen(rec.Aad, rec.Copy().Data, default));
        Assert.True(Open(opener, rec, out _));
    }

    [Fact]
    public void Rekey_with_small_interval_stays_in_lock_step()
    {
        using var sealer = new RecordSealer(s_key, rekeyInterval: 3);
        using var opener = new RecordOpener(s_key, rekeyInterval: 3);
        using var plain = new RecordSealer(s_key);
        for (var i = 0; i < 20; i++)
        {
            var rec = Seal(sealer, $"r{i}");
            var same = Seal(plain, $"r{i}");
            // Before the first ratchet the ciphertexts equal those of a non-rekeying sealer, after it they differ.
            Assert.Equal(i < 3, rec.Tag.AsSpan().SequenceEqual(same.Tag));

            if (i == 7)
            {
                var bad = rec.Copy();
                bad.Tag[0] ^= 1;
                Assert.False(Open(opener, bad, out _));
            }

            Assert.True(Open(opener, rec, out var text));
            Assert.Equal($"r{i}", text);
        }

        Assert.Equal(6, sealer.KeyEpoch);
        Assert.Equal(6, opener.KeyEpoch);
        Assert.Equal(20UL, opener.RecordsOpened);
    }

    [Fact]
    public void Opener_with_other_interval_fails_after_ratchet()
    {
        using var sealer = new RecordSealer(s_key, rekeyInterval: 2);
        using var opener = new RecordOpener(s_key);
        Assert.True(Open(opener, Seal(sealer, "a"), out _));
        Assert.True(Open(opener, Seal(sealer, "b"), out _));
        Assert.False(Open(opener, Seal(sealer, "c"), out _));
    }

    [Fact]
    public void Misuse_throws()
    {
        Assert.Throws<ArgumentException>(() => new RecordSealer(new byte[16]));
        Assert.Throws<ArgumentException>(() => new RecordOpener(new byte[31]));
        var sealer = new RecordSealer(s_key);
        Assert.Throws<ArgumentException>(() => sealer.Seal(s_aad, new byte[4], new byte[12]));
        sealer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => sealer.Seal(s_aad, new byte[4], new byte[16]));
    }
}
