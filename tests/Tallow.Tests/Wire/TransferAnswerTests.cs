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

        body[1 + 4] = 2; // kind, chunk size, then the compression byte
        Assert.False(TransferOffer.TryParse(body, out _));
    }
}
