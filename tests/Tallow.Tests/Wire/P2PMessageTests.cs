// Direct-path wire messages (DESIGN.md §9, docs/protocol.md "Direct path"): P2PIntent,
// P2PCandidates, P2PSelect (sealed record bodies) and DirectHello, PathAck, PathResync (plaintext
// frame payloads). Valid values round-trip; arbitrary bytes, truncations and bit flips never throw,
// and malformed encodings are refused.
using System.Buffers.Binary;
using System.Net;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tallow.Wire;

namespace Tallow.Tests.Wire;

public class P2PMessageTests
{
    private static readonly Config Quick = Config.QuickThrowOnFailure.WithMaxTest(300);

    // ---- generators -------------------------------------------------------------------------

    private static readonly Gen<P2PIntentMessage> Intent =
        Gen.Zip(WireGen.Byte, Gen.Elements((true, false), (false, false), (false, true))).Select(t => new P2PIntentMessage(t.Item1, t.Item2.Item1, t.Item2.Item2));

    private static readonly Gen<WireCandidate> Candidate =
        Gen.Zip(Gen.Elements<byte>(1, 2), WireGen.Endpoint).Select(t => new WireCandidate(t.Item1, t.Item2));

    private static readonly Gen<P2PCandidatesMessage> Candidates =
        from symmetric in Gen.Elements(true, false)
        from list in Gen.Choose(0, P2PCandidatesMessage.MaxCandidates).SelectMany(n => Gen.ArrayOf(Candidate, n))
        select new P2PCandidatesMessage(symmetric, list);

    private static readonly Gen<P2PSelectMessage> Select = Gen.OneOf(
        WireGen.Bytes(P2PSelectMessage.IdSize).Select(id => new P2PSelectMessage(id, default)),
        Gen.Choose((int)P2PFallbackReason.Timeout, (int)P2PFallbackReason.DirectConnectionLost).Select(r => new P2PSelectMessage(null, (P2PFallbackReason)r)));

    private static readonly Gen<DirectHelloMessage> Hello =
        Gen.Zip(Gen.Elements<byte>(0, 1), WireGen.Bytes(DirectHelloMessage.NonceSize)).Select(t => new DirectHelloMessage(t.Item1, t.Item2));

    // ---- encoders / parse-and-re-encode (null = refused) --------------------------------------

    private static byte[] Encode(P2PIntentMessage m)
    {
        byte[] b = new byte[P2PIntentMessage.Size];
        return b[..m.Write(b)];
    }

    private static byte[] Encode(P2PCandidatesMessage m)
    {
        byte[] b = new byte[P2PCandidatesMessage.MaxSize];
        return b[..m.Write(b)];
    }

    private static byte[] Encode(P2PSelectMessage m)
    {
        byte[] b = new byte[P2PSelectMessage.MaxSize];
        return b[..m.Write(b)];
    }

    private static byte[] Encode(DirectHelloMessage m)
    {
        byte[] b = new byte[DirectHelloMessage.Size];
        return b[..m.Write(b)];
    }

    private static byte[] EncodeAck(ulong received)
    {
        byte[] b = new byte[PathMessages.AckSize];
        BinaryPrimitives.WriteUInt64BigEndian(b, received);
        return b;
    }

    private static byte[] EncodeResync(ulong received, byte[] mac) => [.. EncodeAck(received), .. mac];

    private static readonly Dictionary<string, (Gen<byte[]> Valid, Func<byte[], byte[]?> Parse)> Codecs = new()
    {
        ["P2PIntent"] = (Intent.Select(Encode), b => P2PIntentMessage.TryParse(b, out var m) ? Encode(m) : null),
        ["P2PCandidates"] = (Candidates.Select(Encode), b => P2PCandidatesMessage.TryParse(b, out var m) ? Encode(m!) : null),
        ["P2PSelect"] = (Select.Select(Encode), b => P2PSelectMessage.TryParse(b, out var m) ? Encode(m) : null),
        ["DirectHello"] = (Hello.Select(Encode), b => DirectHelloMessage.TryParse(b, out var m) ? Encode(m) : null),
        ["PathAck"] = (WireGen.UInt64.Select(EncodeAck), b => PathMessages.TryParseAck(b, out ulong n) ? EncodeAck(n) : null),
        ["PathResync"] = (
            Gen.Zip(WireGen.UInt64, WireGen.Bytes(PathMessages.MacSize)).Select(t => EncodeResync(t.Item1, t.Item2)),
            b => PathMessages.TryParseResync(b, out ulong n, out ReadOnlySpan<byte> mac) ? EncodeResync(n, mac.ToArray()) : null),
    };

    public static TheoryData<string> Names() => [.. Codecs.Keys];

    private static bool ParseIsConsistent(Func<byte[], byte[]?> parse, byte[] input)
    {
        byte[]? reencoded = parse(input);
        if (reencoded is null)
        {
            return true;
        }

        byte[]? again = parse(reencoded);
        return again is not null && again.AsSpan().SequenceEqual(reencoded);
    }

    // ---- round trips --------------------------------------------------------------------------

    [Property]
    public Property P2PIntent_round_trips() => Prop.ForAll(Intent.ToArbitrary(), m =>
        Encode(m).Length == P2PIntentMessage.Size && P2PIntentMessage.TryParse(Encode(m), out var parsed) && parsed == m);

    [Property]
    public Property P2PCandidates_round_trips() => Prop.ForAll(Candidates.ToArbitrary(), m =>
    {
        byte[] bytes = Encode(m);
        return bytes.Length <= P2PCandidatesMessage.MaxSize
            && P2PCandidatesMessage.TryParse(bytes, out var parsed)
            && parsed!.SymmetricNat == m.SymmetricNat
            && parsed.Candidates.SequenceEqual(m.Candidates); // WireGen.Endpoint never makes IPv4-mapped addresses
    });

    [Property]
    public Property P2PCandidates_travel_IPv4_mapped_addresses_as_IPv4() => Prop.ForAll(
        Gen.Zip(WireGen.IPv4Mapped, Gen.Choose(1, 65535)).ToArbitrary(),
        t =>
        {
            var m = new P2PCandidatesMessage(false, [new WireCandidate(1, new IPEndPoint(t.Item1, t.Item2))]);
            byte[] bytes = Encode(m);
            return bytes.Length == 2 + 1 + 7
                && P2PCandidatesMessage.TryParse(bytes, out var parsed)
                && parsed!.Candidates[0].EndPoint.Equals(new IPEndPoint(t.Item1.MapToIPv4(), t.Item2));
        });

    [Property]
    public Property P2PSelect_round_trips() => Prop.ForAll(Select.ToArbitrary(), m =>
    {
        byte[] bytes = Encode(m);
        return P2PSelectMessage.TryParse(bytes, out var parsed)
            && parsed.Selected == m.Selected
            && parsed.Reason == m.Reason
            && (m.ConnectionId is null ? parsed.ConnectionId is null : parsed.ConnectionId!.AsSpan().SequenceEqual(m.ConnectionId));
    });

    [Property]
    public Property DirectHello_round_trips() => Prop.ForAll(Hello.ToArbitrary(), m =>
    {
        byte[] bytes = Encode(m);
        return bytes.Length == DirectHelloMessage.Size
            && DirectHelloMessage.TryParse(bytes, out var parsed)
            && parsed.Role == m.Role
            && parsed.Nonce.AsSpan().SequenceEqual(m.Nonce);
    });

    [Property]
    public Property PathAck_round_trips() => Prop.ForAll(WireGen.UInt64.ToArbitrary(), n =>
        PathMessages.TryParseAck(EncodeAck(n), out ulong parsed) && parsed == n);

    [Property]
    public Property PathResync_round_trips() => Prop.ForAll(Gen.Zip(WireGen.UInt64, WireGen.Bytes(PathMessages.MacSize)).ToArbitrary(), t =>
        PathMessages.TryParseResync(EncodeResync(t.Item1, t.Item2), out ulong n, out ReadOnlySpan<byte> mac)
        && n == t.Item1 && mac.SequenceEqual(t.Item2));

    [Fact]
    public void P2PCandidates_with_sixteen_IPv4_and_IPv6_candidates_fit_MaxSize()
    {
        var list = Enumerable.Range(0, 16).Select(i => new WireCandidate(
            (byte)(1 + (i % 2)),
            new IPEndPoint(i % 2 == 0 ? IPAddress.Parse($"192.0.2.{i + 1}") : IPAddress.Parse($"2001:db8::{i + 1:x}"), 40000 + i))).ToList();
        var m = new P2PCandidatesMessage(true, list);
        byte[] bytes = Encode(m);
        Assert.Equal(2 + (8 * (1 + 7)) + (8 * (1 + 19)), bytes.Length);
        Assert.True(P2PCandidatesMessage.TryParse(bytes, out var parsed));
        Assert.True(parsed!.SymmetricNat);
        Assert.Equal(list, parsed.Candidates);
    }

    // ---- hostile input ----------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(Names))]
    public void Valid_encodings_are_accepted_unchanged(string name)
    {
        var (valid, parse) = Codecs[name];
        Check.One(Quick, Prop.ForAll(valid.ToArbitrary(), b => parse(b) is byte[] r && r.AsSpan().SequenceEqual(b)));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Arbitrary_bytes_never_throw(string name)
    {
        var (_, parse) = Codecs[name];
        Check.One(Quick, Prop.ForAll(WireGen.BytesBetween(0, 400).ToArbitrary(), b => ParseIsConsistent(parse, b)));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Truncated_valid_encodings_are_refused(string name)
    {
        var (valid, parse) = Codecs[name];
        Check.One(Quick, Prop.ForAll(WireGen.Truncated(valid).ToArbitrary(), b => parse(b) is null));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Valid_encodings_with_trailing_bytes_are_refused(string name)
    {
        var (valid, parse) = Codecs[name];
        Check.One(Quick, Prop.ForAll(Gen.Zip(valid, WireGen.BytesBetween(1, 8)).ToArbitrary(), t => parse([.. t.Item1, .. t.Item2]) is null));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Bit_flipped_valid_encodings_never_throw(string name)
    {
        var (valid, parse) = Codecs[name];
        Check.One(Quick, Prop.ForAll(WireGen.WithBitFlip(valid).ToArbitrary(), f => ParseIsConsistent(parse, WireGen.Flip(f))));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(255)]
    public void P2PIntent_with_an_intent_byte_other_than_0_1_or_2_is_refused(byte intent) =>
        Assert.False(P2PIntentMessage.TryParse([P2PIntentMessage.CurrentVersion, intent], out _));

    [Fact]
    public void P2PIntent_2_means_not_needed_and_not_enabled()
    {
        Assert.True(P2PIntentMessage.TryParse([P2PIntentMessage.CurrentVersion, 2], out P2PIntentMessage intent));
        Assert.False(intent.Enabled);
        Assert.True(intent.NotNeeded);
    }

    [Fact]
    public void P2PCandidates_with_seventeen_candidates_are_refused()
    {
        var ep = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 5000);
        var w = new List<byte> { 0, 17 };
        for (int i = 0; i < 17; i++)
        {
            w.AddRange([1, 4, 192, 0, 2, 1, 0x13, 0x88]);
        }

        Assert.False(P2PCandidatesMessage.TryParse(w.ToArray(), out var m));
        Assert.Null(m);

        // The writer refuses to produce one, too.
        var tooMany = new P2PCandidatesMessage(false, Enumerable.Repeat(new WireCandidate(1, ep), 17).ToList());
        Assert.Throws<ArgumentOutOfRangeException>(() => tooMany.Write(new byte[P2PCandidatesMessage.MaxSize + 64]));
    }

    [Theory]
    [InlineData(new byte[] { 2, 0 })]                                // flags out of range
    [InlineData(new byte[] { 0, 1, 0, 4, 192, 0, 2, 1, 0, 80 })]     // candidate type 0
    [InlineData(new byte[] { 0, 1, 3, 4, 192, 0, 2, 1, 0, 80 })]     // candidate type 3
    [InlineData(new byte[] { 0, 1, 1, 5, 192, 0, 2, 1, 0, 80 })]     // address family 5
    [InlineData(new byte[] { 0, 1, 1, 6, 192, 0, 2, 1, 0, 80 })]     // family 6 with 4 address bytes
    [InlineData(new byte[] { 0, 2, 1, 4, 192, 0, 2, 1, 0, 80 })]     // count says 2, one present
    [InlineData(new byte[] { 0, 0, 0 })]                             // trailing byte after an empty list
    [InlineData(new byte[] { 0 })]                                   // no count
    [InlineData(new byte[] { })]
    public void Malformed_P2PCandidates_are_refused(byte[] body)
    {
        Assert.False(P2PCandidatesMessage.TryParse(body, out var m));
        Assert.Null(m);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0 })]   // reason 0
    [InlineData(new byte[] { 0, 6 })]   // one past DirectConnectionLost
    [InlineData(new byte[] { 0, 255 })]
    [InlineData(new byte[] { 2, 1 })]   // outcome 2
    [InlineData(new byte[] { 1, 1 })]   // selected but no 16-byte id
    [InlineData(new byte[] { 0, 1, 0 })] // trailing byte
    [InlineData(new byte[] { 0 })]
    [InlineData(new byte[] { })]
    public void Malformed_P2PSelect_is_refused(byte[] body) => Assert.False(P2PSelectMessage.TryParse(body, out _));

    [Fact]
    public void P2PSelect_with_outcome_0_and_a_16_byte_tail_is_refused()
    {
        byte[] body = new byte[1 + P2PSelectMessage.IdSize];
        body[1] = 1;
        Assert.False(P2PSelectMessage.TryParse(body, out _));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(255)]
    public void DirectHello_with_a_role_other_than_0_or_1_is_refused(byte role)
    {
        byte[] body = new byte[DirectHelloMessage.Size];
        body[0] = role;
        Assert.False(DirectHelloMessage.TryParse(body, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(PathMessages.ResyncSize)]
    public void PathAck_of_a_wrong_length_is_refused(int length) => Assert.False(PathMessages.TryParseAck(new byte[length], out _));

    [Theory]
    [InlineData(0)]
    [InlineData(PathMessages.AckSize)]
    [InlineData(PathMessages.ResyncSize - 1)]
    [InlineData(PathMessages.ResyncSize + 1)]
    public void PathResync_of_a_wrong_length_is_refused(int length) => Assert.False(PathMessages.TryParseResync(new byte[length], out _, out _));

    [Fact]
    public void Fallback_reasons_have_the_documented_wording()
    {
        Assert.Equal("timeout", P2PFallbackReasons.Describe(P2PFallbackReason.Timeout));
        Assert.Equal("symmetric NAT detected", P2PFallbackReasons.Describe(P2PFallbackReason.SymmetricNat));
        Assert.Equal("no usable candidates", P2PFallbackReasons.Describe(P2PFallbackReason.NoUsableCandidates));
        Assert.Equal("disabled by peer", P2PFallbackReasons.Describe(P2PFallbackReason.DisabledByPeer));
        Assert.Equal("direct connection lost", P2PFallbackReasons.Describe(P2PFallbackReason.DirectConnectionLost));
    }
}
