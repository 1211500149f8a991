// Properties (b) and (c) of DESIGN.md §4: parsers of peer or relay bytes return a status, never
// throw on bad input, never read past the frame and never allocate more than the bytes justify.
using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tallow.Wire;

namespace Tallow.Tests.Wire;

public class HostileInputTests
{
    private static readonly Config Quick = Config.QuickThrowOnFailure.WithMaxTest(300);

    public static TheoryData<string> Codecs => MessageCodecs.Names();

    /// <summary>Parses, and when accepted re-encodes and re-parses: the value must be stable.</summary>
    private static bool ParseIsConsistent(MessageCodec codec, byte[] input)
    {
        byte[]? reencoded = codec.Parse(input);
        if (reencoded is null)
        {
            return true;
        }

        byte[]? again = codec.Parse(reencoded);
        return again is not null && again.AsSpan().SequenceEqual(reencoded);
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Valid_encodings_are_accepted(string name)
    {
        MessageCodec codec = MessageCodecs.Get(name);
        Check.One(Quick, Prop.ForAll(codec.Valid.ToArbitrary(), bytes =>
        {
            byte[]? reencoded = codec.Parse(bytes);
            return reencoded is not null && reencoded.AsSpan().SequenceEqual(bytes);
        }));
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Arbitrary_bytes_never_throw(string name)
    {
        MessageCodec codec = MessageCodecs.Get(name);
        Check.One(Quick, Prop.ForAll(WireGen.BytesBetween(0, 128).ToArbitrary(), bytes => ParseIsConsistent(codec, bytes)));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(50), Prop.ForAll(WireGen.BytesBetween(1500, 1800).ToArbitrary(), bytes => ParseIsConsistent(codec, bytes)));
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Truncated_valid_encodings_are_refused(string name)
    {
        MessageCodec codec = MessageCodecs.Get(name);
        Check.One(Quick, Prop.ForAll(WireGen.Truncated(codec.Valid).ToArbitrary(), bytes => codec.Parse(bytes) is null));
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Bit_flipped_valid_encodings_never_throw(string name)
    {
        MessageCodec codec = MessageCodecs.Get(name);
        Check.One(Quick, Prop.ForAll(WireGen.WithBitFlip(codec.Valid).ToArbitrary(), f => ParseIsConsistent(codec, WireGen.Flip(f))));
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Valid_encodings_with_trailing_bytes_are_refused(string name)
    {
        MessageCodec codec = MessageCodecs.Get(name);
        Check.One(Quick, Prop.ForAll(
            Gen.Zip(codec.Valid, WireGen.BytesBetween(1, 8)).ToArbitrary(),
            t => name == "Frame" || codec.Parse([.. t.Item1, .. t.Item2]) is null));
    }

    [Property]
    public Property Frame_parse_of_arbitrary_bytes_stays_inside_the_buffer_and_limit() => Prop.ForAll(
        Gen.Zip(WireGen.BytesBetween(0, 64), Gen.Choose(1, 100)).ToArbitrary(),
        t =>
        {
            FrameStatus status = Frame.TryParse(t.Item1, t.Item2, out _, out ReadOnlySpan<byte> payload, out int consumed);
            return status switch
            {
                FrameStatus.Ok => consumed <= t.Item1.Length && consumed == Frame.HeaderSize + payload.Length && payload.Length + 1 <= t.Item2,
                FrameStatus.NeedMore => consumed == 0 && payload.IsEmpty,
                FrameStatus.TooLarge or FrameStatus.Invalid => consumed == 0 && payload.IsEmpty,
                _ => false,
            };
        });

    [Property]
    public Property Truncated_frame_needs_more() => Prop.ForAll(WireGen.Truncated(MessageCodecs.ValidFrame).ToArbitrary(), bytes =>
        Frame.TryParse(bytes, Frame.MaxLength, out _, out _, out _) == FrameStatus.NeedMore);

    [Theory]
    [InlineData(0x8000_0000u)] // 2 GiB
    [InlineData(0xFFFF_FFFFu)]
    [InlineData((uint)Frame.MaxLength + 1)]
    [InlineData(0x7FFF_FFFFu)]
    public void Frame_header_over_the_limit_is_TooLarge(uint length)
    {
        byte[] header = new byte[Frame.HeaderSize];
        BinaryPrimitives.WriteUInt32BigEndian(header, length);
        header[4] = (byte)FrameType.Record;
        Assert.Equal(FrameStatus.TooLarge, Frame.TryReadHeader(header, Frame.MaxLength, out _, out _));
        Assert.Equal(FrameStatus.TooLarge, Frame.TryParse(header, Frame.MaxLength, out _, out _, out _));
        Assert.Equal(FrameStatus.TooLarge, Frame.TryReadHeader(header, Frame.MaxUnpairedLength, out _, out _));
    }

    [Fact]
    public void Frame_header_with_zero_length_is_Invalid_and_short_header_needs_more()
    {
        Assert.Equal(FrameStatus.Invalid, Frame.TryReadHeader(new byte[5], Frame.MaxLength, out _, out _));
        Assert.Equal(FrameStatus.NeedMore, Frame.TryReadHeader(new byte[] { 0, 0, 0, 1 }, Frame.MaxLength, out _, out _));
        Assert.Equal(FrameStatus.Ok, Frame.TryReadHeader(new byte[] { 0, 0, 0, 1, 9 }, Frame.MaxLength, out FrameType t, out int len));
        Assert.Equal(FrameType.Ping, t);
        Assert.Equal(0, len);
    }

    [Fact]
    public void Frame_header_at_the_exact_max_length_is_accepted()
    {
        byte[] header = new byte[Frame.HeaderSize];
        BinaryPrimitives.WriteUInt32BigEndian(header, Frame.MaxLength);
        Assert.Equal(FrameStatus.Ok, Frame.TryReadHeader(header, Frame.MaxLength, out _, out int payloadLength));
        Assert.Equal(Frame.MaxLength - 1, payloadLength);
        Assert.Equal(FrameStatus.NeedMore, Frame.TryParse(header, Frame.MaxLength, out _, out _, out _));
    }

    [Fact]
    public void Offer_claiming_a_million_entries_in_20_bytes_fails_fast_without_allocating()
    {
        byte[] body = new byte[20];
        body[0] = (byte)TransferKind.Files; // layout: kind | u32 chunk | compression | u32 count | entries
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(1), 1024 * 1024);
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(6), TransferOffer.MaxEntries); // a count within the limit: only the bytes check can refuse it
        TransferOffer.TryParse(body, out _); // warm up (JIT, statics)

        long before = GC.GetAllocatedBytesForCurrentThread();
        bool ok = TransferOffer.TryParse(body, out TransferOffer? offer);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.False(ok);
        Assert.Null(offer);
        Assert.True(allocated < 1024, $"allocated {allocated} bytes for a 20-byte hostile offer");
    }

    [Theory]
    [InlineData(uint.MaxValue)]
    [InlineData(TransferOffer.MaxEntries + 1u)]
    [InlineData(2u)]
    public void Offer_entry_count_beyond_the_bytes_present_is_refused(uint count)
    {
        // One valid entry's worth of bytes, but a larger count.
        var one = new TransferOffer(TransferKind.Files, 1024, [new OfferEntry(EntryType.File, "a", 1, 0, 0)]);
        byte[] body = MessageCodecs.EncodeOffer(one);
        Assert.True(TransferOffer.TryParse(body, out _)); // valid as encoded: the count alone makes it fail below
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(6), count);

        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.False(TransferOffer.TryParse(body, out _));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4096);
    }

    [Fact]
    public void String_length_prefix_larger_than_the_payload_is_refused_without_allocating()
    {
        byte[] payload = [(byte)RelayErrorCode.BadRequest, 0x01, 0xFF, (byte)'x'];
        ErrorMessage.TryParse(payload, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.False(ErrorMessage.TryParse(payload, out _));
        Assert.False(ReasonMessage.TryParse(payload, out _));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 256);
    }

    [Fact]
    public void Strings_over_their_limits_or_invalid_utf8_are_refused()
    {
        byte[] tooLong = new byte[1 + 2 + RelayProtocol.MaxErrorMessageBytes + 1];
        BinaryPrimitives.WriteUInt16BigEndian(tooLong.AsSpan(1), RelayProtocol.MaxErrorMessageBytes + 1);
        tooLong.AsSpan(3).Fill((byte)'a');
        Assert.False(ErrorMessage.TryParse(tooLong, out _));
        Assert.False(ReasonMessage.TryParse(tooLong, out _));

        byte[] invalidUtf8 = [1, 0, 2, 0xC3, 0x28];
        Assert.False(ErrorMessage.TryParse(invalidUtf8, out _));
        Assert.False(ReasonMessage.TryParse(invalidUtf8, out _));
        byte[] loneSurrogate = [1, 0, 3, 0xED, 0xA0, 0x80];
        Assert.False(ReasonMessage.TryParse(loneSurrogate, out _));
    }

    [Fact]
    public void Relay_messages_refuse_out_of_range_fields()
    {
        Assert.False(HelloMessage.TryParse([0x54, 0x4C, 0x57, 0x32, 0, 1], out _)); // "TLW2"
        Assert.False(AllocateMessage.TryParse([1, 0, 0, 0, 0], out _)); // capacity 1
        Assert.False(AllocateMessage.TryParse([RelayProtocol.MaxRoomCapacity + 1, 0, 0, 0, 0], out _));
        Assert.False(NameplateMessage.TryParse([0, 0, 0, 0], out _));
        Assert.False(PairedMessage.TryParse([2, 2], out _)); // index out of range
        Assert.False(PairedMessage.TryParse([1, 0], out _));
        Assert.False(PairedMessage.TryParse([21, 0], out _));
        Assert.False(AuthMessage.TryParse(new byte[AuthMessage.Size - 1], out _));
        Assert.False(AuthMessage.TryParse(new byte[AuthMessage.Size + 1], out _));
        Assert.False(AuthMessage.TryParse(new byte[32], out _)); // a v1 Auth (HMAC only)

        byte[] share = new byte[RelayProtocol.AuthShareSize];
        byte[] welcome = MessageCodecs.EncodeWelcome(new WelcomeMessage(2, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 9), new byte[32], true, 4434, share));
        Assert.True(WelcomeMessage.TryParse(welcome, out _));
        Assert.False(WelcomeMessage.TryParse(welcome[..^RelayProtocol.AuthShareSize], out _)); // auth required but no share
        Assert.False(WelcomeMessage.TryParse(welcome[..^1], out _));
        Assert.False(WelcomeMessage.TryParse([.. welcome, 0], out _));
        byte[] open = MessageCodecs.EncodeWelcome(new WelcomeMessage(2, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 9), new byte[32], false, 4434));
        Assert.False(WelcomeMessage.TryParse(open[..^2], out _)); // a Welcome without the probe port
        Assert.False(WelcomeMessage.TryParse([.. open, .. share], out _)); // a share without auth
        welcome[^(RelayProtocol.AuthShareSize + 3)] = 2; // auth flag must be 0 or 1
        Assert.False(WelcomeMessage.TryParse(welcome, out _));
        welcome[^(RelayProtocol.AuthShareSize + 3)] = 1;
        welcome[2] = 5; // address family 5
        Assert.False(WelcomeMessage.TryParse(welcome, out _));
    }

    [Fact]
    public void Offer_refuses_bad_kind_chunk_size_entry_type_and_sized_folders()
    {
        var offer = new TransferOffer(TransferKind.Files, 4096, [new OfferEntry(EntryType.Directory, "d", 0, 0, 0)]);
        byte[] good = MessageCodecs.EncodeOffer(offer);
        Assert.True(TransferOffer.TryParse(good, out _));

        byte[] badKind = (byte[])good.Clone();
        badKind[0] = 5; // 0–4: files, text, stream, sync, watch
        Assert.False(TransferOffer.TryParse(badKind, out _));

        byte[] smallChunk = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(smallChunk.AsSpan(1), TransferOffer.MinChunkSize - 1);
        Assert.False(TransferOffer.TryParse(smallChunk, out _));

        byte[] bigChunk = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(bigChunk.AsSpan(1), TransferOffer.MaxChunkSize + 1);
        Assert.False(TransferOffer.TryParse(bigChunk, out _));

        byte[] badType = (byte[])good.Clone();
        badType[10] = 2; // the first entry's type (after kind, chunk, compression and count)
        Assert.False(TransferOffer.TryParse(badType, out _));

        var sizedFolder = new TransferOffer(TransferKind.Files, 4096, [new OfferEntry(EntryType.Directory, "d", 1, 0, 0)]);
        Assert.False(TransferOffer.TryParse(MessageCodecs.EncodeOffer(sizedFolder), out _));
    }

    [Fact]
    public void Handshake_messages_have_exactly_one_valid_length()
    {
        Assert.True(HandshakeInit.TryParse(new byte[HandshakeLayout.InitSize], out _));
        Assert.False(HandshakeInit.TryParse(new byte[HandshakeLayout.InitSize - 1], out _));
        Assert.False(HandshakeInit.TryParse(new byte[HandshakeLayout.InitSize + 1], out _));
        Assert.False(HandshakeInit.TryParse([], out _));
        Assert.True(HandshakeResponse.TryParse(new byte[HandshakeLayout.ResponseSize], out _));
        Assert.False(HandshakeResponse.TryParse(new byte[HandshakeLayout.ResponseSize - 1], out _));
        Assert.False(HandshakeResponse.TryParse(new byte[HandshakeLayout.ResponseSize + 1], out _));
    }
}
