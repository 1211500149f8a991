// The receiver's answers (Accept with offsets, Resend) and the offer's compression byte:
// what the sender accepts from a possibly hostile receiver.
using Tallow.Wire;

namespace Tallow.Tests.Wire;

public class TransferAnswerTests
{
    private static readonly TransferOffer Offer = new(TransferKind.Files, 1024 * 1024,
    [
        new OfferEntry(EntryType.Directory, "d", 0, 0x1ED, 0),
        new OfferEntry(EntryType.File, "d/a", 100, 0x1A4, 0),
        new OfferEntry(EntryType.File, "d/b", 0, 0x1A4, 0),
        new OfferEntry(EntryType.File, "d/c", 5000, 0x1A4, 0),
    ]);

    public static TheoryData<AcceptedFile[], bool> Answers => new()
    {
        { [], true },
        { [new(1, 0), new(3, 0)], true },
        { [new(1, 100), new(2, 0), new(3, 4999)], true },
        { [new(3, 5000)], true },             // the receiver has it all but did not verify it yet
        { [new(0, 0)], false },               // a folder
        { [new(4, 0)], false },               // out of range
        { [new(uint.MaxValue, 0)], false },
        { [new(3, 0), new(1, 0)], false },    // not in offer order
        { [new(1, 0), new(1, 0)], false },    // twice
        { [new(1, 101)], false },             // beyond the end
        { [new(3, ulong.MaxValue)], false },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public void Accept_is_checked_against_the_offer(AcceptedFile[] files, bool valid)
    {
        var accept = new AcceptMessage(files);
        byte[] body = new byte[accept.GetSize()];
        accept.Write(body);
        Assert.True(AcceptMessage.TryParse(body, out AcceptMessage? parsed));
        Assert.Equal(files, parsed!.Files);
        Assert.Equal(valid, parsed.IsValidFor(Offer, out string reason));
        Assert.Equal(valid, reason.Length == 0);
    }

    [Fact]
    public void A_resume_offset_into_a_stream_of_unknown_size_is_refused()
    {
        var stream = new TransferOffer(TransferKind.Stream, 1024 * 1024, [new OfferEntry(EntryType.File, "stdin", TransferOffer.UnknownSize, 0x1A4, 0)]);
        Assert.True(new AcceptMessage([new AcceptedFile(0, 0)]).IsValidFor(stream, out _));
        Assert.False(new AcceptMessage([new AcceptedFile(0, 1)]).IsValidFor(stream, out _));
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 1, 0, 0 })]
    [InlineData(new byte[] { 1, 0, 0, 0 })]                             // one entry announced, none present
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4 })]     // a count far beyond the bytes
    [InlineData(new byte[] { 0, 0, 0, 0, 9 })]                          // trailing byte
    public void Malformed_accepts_are_refused(byte[] body)
    {
        Assert.False(AcceptMessage.TryParse(body, out _));
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 2, 0, 0, 0, 1, 0, 0, 0 })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0x7F })]
    public void Malformed_resends_are_refused(byte[] body)
    {
        Assert.False(ResendMessage.TryParse(body, out _));
    }

    [Fact]
    public void The_offer_carries_its_compression_and_refuses_unknown_ones()
    {
        TransferOffer offer = Offer with { Compression = OfferCompression.Zstd };
        byte[] body = new byte[offer.GetSize()];
        Assert.Equal(body.Length, offer.Write(body));
        Assert.True(TransferOffer.TryParse(body, out TransferOffer? parsed));
        Assert.Equal(OfferCompression.Zstd, parsed!.Compression);

        body[1 + 4] = 4; // kind, chunk size, then the flags byte: bit 2 means nothing yet
        Assert.False(TransferOffer.TryParse(body, out _));
    }

    [Theory]
    [InlineData(OfferCompression.None, false, 0)]
    [InlineData(OfferCompression.Zstd, false, 1)]
    [InlineData(OfferCompression.None, true, 2)]
    [InlineData(OfferCompression.Zstd, true, 3)]
    public void The_offer_flags_carry_compression_and_batching(OfferCompression compression, bool batches, byte flags)
    {
        TransferOffer offer = Offer with { Compression = compression, Batches = batches };
        byte[] body = new byte[offer.GetSize()];
        offer.Write(body);
        Assert.Equal(flags, body[1 + 4]);
        Assert.True(TransferOffer.TryParse(body, out TransferOffer? parsed));
        Assert.Equal(compression, parsed!.Compression);
        Assert.Equal(batches, parsed.Batches);
    }

    [Fact]
    public void A_file_batch_round_trips_and_its_contents_must_add_up()
    {
        byte[] a = [1, 2, 3], b = [9];
        BatchedFile[] files = [new(4, 3, new byte[32]), new(7, 1, Enumerable.Repeat((byte)0xAB, 32).ToArray())];
        byte[] payload = MessageCodecs.EncodeFileBatch(files, [.. a, .. b]);
        Assert.True(FileBatchMessage.TryParse(payload, out BatchedFile[] parsed, out int start));
        Assert.Equal([4u, 7u], parsed.Select(f => f.Index));
        Assert.Equal([3u, 1u], parsed.Select(f => f.Size));
        Assert.Equal(files[1].Hash.ToArray(), parsed[1].Hash.ToArray());
        Assert.Equal([.. a, .. b], payload[start..]);

        Assert.False(FileBatchMessage.TryParse(payload[..^1], out _, out _));        // a content byte missing
        Assert.False(FileBatchMessage.TryParse((byte[])[.. payload, 0], out _, out _)); // one byte more
        Assert.False(FileBatchMessage.TryParse(new byte[] { 0, 0 }, out _, out _)); // no files
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 1 })]
    [InlineData(new byte[] { 0x10, 0x01 })]             // 4097 files: over the limit
    [InlineData(new byte[] { 0xFF, 0xFF, 0, 0, 0, 0 })] // a count far beyond the bytes
    public void Malformed_file_batches_are_refused(byte[] payload)
    {
        Assert.False(FileBatchMessage.TryParse(payload, out BatchedFile[] files, out _));
        Assert.Empty(files);
    }

    [Fact]
    public void A_file_size_that_overflows_the_payload_is_refused()
    {
        BatchedFile[] files = [new(0, uint.MaxValue, new byte[32]), new(1, 2, new byte[32])];
        Assert.False(FileBatchMessage.TryParse(MessageCodecs.EncodeFileBatch(files, [1, 2, 3]), out _, out _));
    }
}
