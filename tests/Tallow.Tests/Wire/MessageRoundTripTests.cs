// Property (a): every wire message round-trips arbitrary valid values (DESIGN.md §4–§8).
using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tallow.Wire;

namespace Tallow.Tests.Wire;

public class MessageRoundTripTests
{
    [Property]
    public Property Hello_round_trips() => Prop.ForAll(WireGen.Hello.ToArbitrary(), m =>
    {
        byte[] bytes = MessageCodecs.EncodeHello(m);
        return bytes.Length == HelloMessage.Size && HelloMessage.TryParse(bytes, out var parsed) && parsed == m;
    });

    [Property]
    public Property Welcome_round_trips() => Prop.ForAll(WireGen.Welcome.ToArbitrary(), m =>
    {
        byte[] bytes = MessageCodecs.EncodeWelcome(m);
        return WelcomeMessage.TryParse(bytes, out var parsed)
            && parsed.Version == m.Version
            && parsed.ObservedAddress.Equals(m.ObservedAddress)
            && parsed.Nonce.AsSpan().SequenceEqual(m.Nonce)
            && parsed.AuthRequired == m.AuthRequired
            && parsed.ProbePort == m.ProbePort
            && (parsed.AuthShare ?? []).AsSpan().SequenceEqual(m.AuthShare ?? [])
            && bytes.Length <= WelcomeMessage.MaxSize;
    });

    [Theory]
    [InlineData((ushort)0)]
    [InlineData((ushort)4434)]
    [InlineData(ushort.MaxValue)]
    public void Welcome_carries_the_probe_port_as_its_last_field(ushort probePort)
    {
        var welcome = new WelcomeMessage(RelayProtocol.Version, new IPEndPoint(IPAddress.Parse("203.0.113.7"), 50000), new byte[RelayProtocol.NonceSize], false, probePort);
        byte[] bytes = MessageCodecs.EncodeWelcome(welcome);
        Assert.Equal(2 + 7 + RelayProtocol.NonceSize + 1 + 2, bytes.Length);
        Assert.Equal(probePort, (ushort)((bytes[^2] << 8) | bytes[^1])); // big-endian
        Assert.True(WelcomeMessage.TryParse(bytes, out WelcomeMessage parsed));
        Assert.Equal(probePort, parsed.ProbePort);
        Assert.Equal(welcome.ObservedAddress, parsed.ObservedAddress);
    }

    [Property]
    public Property Auth_round_trips() => Prop.ForAll(WireGen.Auth.ToArbitrary(), m =>
        AuthMessage.TryParse(MessageCodecs.EncodeAuth(m), out var parsed)
        && parsed.Share.AsSpan().SequenceEqual(m.Share) && parsed.Confirm.AsSpan().SequenceEqual(m.Confirm));

    [Property]
    public Property Allocate_round_trips() => Prop.ForAll(WireGen.Allocate.ToArbitrary(), m =>
        AllocateMessage.TryParse(MessageCodecs.EncodeAllocate(m), out var parsed) && parsed == m);

    [Property]
    public Property Nameplate_round_trips() => Prop.ForAll(WireGen.Nameplate.ToArbitrary(), m =>
        NameplateMessage.TryParse(MessageCodecs.EncodeNameplate(m), out var parsed) && parsed == m);

    [Property]
    public Property Paired_round_trips() => Prop.ForAll(WireGen.Paired.ToArbitrary(), m =>
        PairedMessage.TryParse(MessageCodecs.EncodePaired(m), out var parsed) && parsed == m);

    [Property]
    public Property Error_round_trips() => Prop.ForAll(WireGen.Error.ToArbitrary(), m =>
        ErrorMessage.TryParse(MessageCodecs.EncodeError(m), out var parsed) && parsed == m);

    [Property]
    public Property Reason_round_trips() => Prop.ForAll(WireGen.Reason.ToArbitrary(), m =>
    {
        byte[] bytes = MessageCodecs.EncodeReason(m);
        return bytes.Length == m.GetSize() && ReasonMessage.TryParse(bytes, out var parsed) && parsed == m;
    });

    [Property]
    public Property FileDone_round_trips() => Prop.ForAll(WireGen.FileDone.ToArbitrary(), m =>
    {
        byte[] bytes = MessageCodecs.EncodeFileDone(m);
        return bytes.Length == FileDoneMessage.EncodedSize
            && FileDoneMessage.TryParse(bytes, out var parsed)
            && parsed.Index == m.Index && parsed.Size == m.Size && parsed.Hash.AsSpan().SequenceEqual(m.Hash);
    });

    [Property(MaxTest = 200)]
    public Property Offer_round_trips() => Prop.ForAll(WireGen.Offer.ToArbitrary(), m =>
    {
        byte[] bytes = MessageCodecs.EncodeOffer(m);
        return bytes.Length == m.GetSize()
            && TransferOffer.TryParse(bytes, out var parsed)
            && parsed!.Kind == m.Kind
            && parsed.ChunkSize == m.ChunkSize
            && parsed.Entries.SequenceEqual(m.Entries)
            && parsed.TotalSize == m.TotalSize;
    });

    [Property]
    public Property Endpoint_round_trips_and_SizeOf_matches_bytes_written() => Prop.ForAll(WireGen.Endpoint.ToArbitrary(), ep =>
    {
        byte[] bytes = MessageCodecs.EncodeEndpoint(ep);
        return bytes.Length == EndpointCodec.SizeOf(ep)
            && MessageCodecs.TryReadEndpoint(bytes, out var parsed)
            && parsed!.Equals(ep);
    });

    [Property]
    public Property Endpoint_ipv4_mapped_addresses_travel_as_ipv4() => Prop.ForAll(
        Gen.Zip(WireGen.IPv4Mapped, Gen.Choose(0, 65535)).ToArbitrary(),
        t =>
        {
            var ep = new IPEndPoint(t.Item1, t.Item2);
            byte[] bytes = MessageCodecs.EncodeEndpoint(ep);
            return bytes.Length == 7
                && bytes.Length == EndpointCodec.SizeOf(ep)
                && MessageCodecs.TryReadEndpoint(bytes, out var parsed)
                && parsed!.Equals(new IPEndPoint(t.Item1.MapToIPv4(), t.Item2));
        });

    [Property]
    public Property HandshakeInit_round_trips_every_field() => Prop.ForAll(
        (from share in WireGen.Bytes(HandshakeLayout.ShareSize)
         from kem in WireGen.Bytes(HandshakeLayout.KemKeySize)
         from x in WireGen.Bytes(HandshakeLayout.X25519Size)
         from nonce in WireGen.Bytes(HandshakeLayout.NonceSize)
         from commit in WireGen.Bytes(HandshakeLayout.SasCommitSize)
         select (share, kem, x, nonce, commit)).ToArbitrary(),
        f =>
        {
            byte[] bytes = MessageCodecs.EncodeInit(f.share, f.kem, f.x, f.nonce, f.commit);
            return HandshakeInit.TryParse(bytes, out var m)
                && m.Version == HandshakeLayout.Version
                && m.Share.SequenceEqual(f.share)
                && m.KemKey.SequenceEqual(f.kem)
                && m.X25519.SequenceEqual(f.x)
                && m.Nonce.SequenceEqual(f.nonce)
                && m.SasCommit.SequenceEqual(f.commit);
        });

    [Property]
    public Property HandshakeResponse_fields_tile_the_payload() => Prop.ForAll(MessageCodecs.ValidResponse.ToArbitrary(), bytes =>
    {
        if (!HandshakeResponse.TryParse(bytes, out var m))
        {
            return false;
        }

        byte[] joined = [.. m.Share, .. m.KemCiphertext, .. m.X25519, .. m.Nonce, .. m.Confirm];
        return joined.AsSpan().SequenceEqual(bytes)
            && m.Unconfirmed.SequenceEqual(bytes.AsSpan(0, HandshakeLayout.ResponseSize - HandshakeLayout.ConfirmSize));
    });

    [Property]
    public Property Frame_round_trips_with_exact_limit() => Prop.ForAll(
        Gen.Zip(WireGen.Byte, WireGen.BytesBetween(0, 2000)).ToArbitrary(),
        t =>
        {
            byte[] frame = Frame.Encode((FrameType)t.Item1, t.Item2);
            int exactLimit = t.Item2.Length + 1;
            FrameStatus ok = Frame.TryParse(frame, exactLimit, out FrameType type, out ReadOnlySpan<byte> payload, out int consumed);
            bool roundTrip = ok == FrameStatus.Ok && type == (FrameType)t.Item1 && payload.SequenceEqual(t.Item2) && consumed == frame.Length;
            FrameStatus header = Frame.TryReadHeader(frame, exactLimit, out FrameType headerType, out int payloadLength);
            bool headerOk = header == FrameStatus.Ok && headerType == (FrameType)t.Item1 && payloadLength == t.Item2.Length;
            bool oneBelow = Frame.TryReadHeader(frame, exactLimit - 1, out _, out _) == FrameStatus.TooLarge;
            return roundTrip && headerOk && oneBelow;
        });

    [Property]
    public Property Frame_parses_the_first_of_several_concatenated_frames() => Prop.ForAll(
        Gen.Zip(MessageCodecs.ValidFrame, MessageCodecs.ValidFrame).ToArbitrary(),
        t =>
        {
            byte[] both = [.. t.Item1, .. t.Item2];
            return Frame.TryParse(both, Frame.MaxLength, out _, out ReadOnlySpan<byte> payload, out int consumed) == FrameStatus.Ok
                && consumed == t.Item1.Length
                && payload.SequenceEqual(t.Item1.AsSpan(Frame.HeaderSize));
        });

    [Fact]
    public void Offer_path_of_exactly_4096_bytes_is_accepted_and_4097_is_refused()
    {
        var ok = new TransferOffer(TransferKind.Files, 1024, [new OfferEntry(EntryType.File, new string('a', TransferOffer.MaxPathBytes), 1, 0x1A4, 0)]);
        Assert.True(TransferOffer.TryParse(MessageCodecs.EncodeOffer(ok), out var parsed));
        Assert.Equal(TransferOffer.MaxPathBytes, parsed!.Entries[0].Path.Length);

        var tooLong = new TransferOffer(TransferKind.Files, 1024, [new OfferEntry(EntryType.File, new string('a', TransferOffer.MaxPathBytes + 1), 1, 0x1A4, 0)]);
        Assert.False(TransferOffer.TryParse(MessageCodecs.EncodeOffer(tooLong), out _));
    }

    [Fact]
    public void Offer_total_size_ignores_folders_and_unknown_sizes()
    {
        var offer = new TransferOffer(TransferKind.Files, 1024,
        [
            new OfferEntry(EntryType.Directory, "d", 0, 0, 0),
            new OfferEntry(EntryType.File, "d/a", 10, 0, 0),
            new OfferEntry(EntryType.File, "d/b", 5, 0, 0),
            new OfferEntry(EntryType.File, "s", TransferOffer.UnknownSize, 0, 0),
        ]);
        Assert.Equal(15UL, offer.TotalSize);
    }

    [Fact]
    public void Long_error_and_reason_texts_are_truncated_to_parseable_size()
    {
        string longText = string.Concat(Enumerable.Repeat("€\U0001F600x", 400));
        byte[] error = MessageCodecs.EncodeError(new ErrorMessage(RelayErrorCode.RoomFull, longText));
        Assert.True(ErrorMessage.TryParse(error, out var e));
        Assert.Equal(RelayErrorCode.RoomFull, e.Code);
        Assert.True(Encoding.UTF8.GetByteCount(e.Message) <= RelayProtocol.MaxErrorMessageBytes);

        var reason = new ReasonMessage(CancelReason.Declined, longText);
        byte[] body = MessageCodecs.EncodeReason(reason);
        Assert.Equal(reason.GetSize(), body.Length);
        Assert.True(ReasonMessage.TryParse(body, out var r));
        Assert.Equal(CancelReason.Declined, r.Reason);
        Assert.True(Encoding.UTF8.GetByteCount(r.Text) <= ReasonMessage.MaxTextBytes);
    }
}
