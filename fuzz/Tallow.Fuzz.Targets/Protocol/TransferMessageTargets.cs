// Targets of the transfer negotiation (DESIGN.md §8), record bodies a peer chooses:
//   "offer"             TransferOffer.TryParse, then the receiver's path check of every entry
//   "accept"            AcceptMessage / ResendMessage.TryParse, then IsValidFor against an offer
//   "transfer-messages" FileDoneMessage / ReasonMessage / FileBatchMessage.TryParse
// Parsers return false on bad input and never throw; whatever parses must encode back to the
// same bytes.
using Tallow.Fuzz.Targets.Support;
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Fuzz.Targets.Protocol;

public static class TransferMessageTargets
{
    public static readonly FuzzTarget Offer = new("offer", "TransferOffer.TryParse, PathSanitizer.TrySplit", FuzzOffer, OfferSeeds);

    public static readonly FuzzTarget Accept = new("accept", "AcceptMessage/ResendMessage.TryParse, AcceptMessage.IsValidFor", FuzzAccept, AcceptSeeds);

    public static readonly FuzzTarget TransferMessages = new("transfer-messages", "FileDoneMessage/ReasonMessage/FileBatchMessage.TryParse", FuzzTransferMessages, TransferMessageSeeds);

    /// <summary>The offer answers are checked against: files, a folder, a stream-sized file.</summary>
    private static readonly TransferOffer KnownOffer = new(TransferKind.Files, 1024 * 1024,
    [
        new OfferEntry(EntryType.Directory, "photos", 0, 0x1ED, 1_700_000_000),
        new OfferEntry(EntryType.File, "photos/a.jpg", 5000, 0x1A4, 1_700_000_000),
        new OfferEntry(EntryType.File, "photos/empty", 0, 0x1A4, 1_700_000_000),
        new OfferEntry(EntryType.File, "notes.txt", 123_456_789, 0x1A4, 1_700_000_000),
    ]);

    public static void FuzzOffer(ReadOnlySpan<byte> data)
    {
        if (!TransferOffer.TryParse(data, out TransferOffer? offer))
        {
            return;
        }

        FuzzInvariantException.Check(offer!.GetSize() == data.Length, "offer: GetSize differs from the parsed length");
        FuzzInvariantException.Check(Encoded.Message(data.Length, offer.Write).AsSpan().SequenceEqual(data), "offer: does not encode back to its bytes");
        _ = offer.TotalSize;
        foreach (OfferEntry entry in offer.Entries)
        {
            if (PathSanitizer.TrySplit(entry.Path, out string[] components, out _))
            {
                FuzzInvariantException.Check(components.Length > 0 && string.Join('/', components) == entry.Path, "offer: a safe path does not split into its components");
            }

            string printable = PathSanitizer.Printable(entry.Path);
            FuzzInvariantException.Check(!printable.Any(c => c < 0x20 || c is (char)0x7F or >= (char)0x80 and <= (char)0x9F), "offer: a printable path keeps a control character");
        }
    }

    public static void FuzzAccept(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        ReadOnlySpan<byte> body = data[1..];
        if ((data[0] & 1) == 0)
        {
            if (AcceptMessage.TryParse(body, out AcceptMessage? accept))
            {
                FuzzInvariantException.Check(Encoded.Message(accept!.GetSize(), accept.Write).AsSpan().SequenceEqual(body), "accept: does not encode back to its bytes");
                if (accept.IsValidFor(KnownOffer, out _))
                {
                    long previous = -1;
                    foreach (AcceptedFile file in accept.Files)
                    {
                        OfferEntry entry = KnownOffer.Entries[(int)file.Index];
                        FuzzInvariantException.Check(file.Index > previous && entry.Type == EntryType.File && file.Offset <= entry.Size, "accept: IsValidFor let an invalid answer through");
                        previous = file.Index;
                    }
                }
            }
        }
        else if (ResendMessage.TryParse(body, out ResendMessage? resend))
        {
            FuzzInvariantException.Check(Encoded.Message(resend!.GetSize(), resend.Write).AsSpan().SequenceEqual(body), "resend: does not encode back to its bytes");
        }
    }

    public static void FuzzTransferMessages(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        ReadOnlySpan<byte> body = data[1..];
        if ((data[0] & 2) != 0)
        {
            FuzzFileBatch(body.ToArray());
        }
        else if ((data[0] & 1) == 0)
        {
            if (FileDoneMessage.TryParse(body, out FileDoneMessage done))
            {
                FuzzInvariantException.Check(Encoded.Message(FileDoneMessage.EncodedSize, done.Write).AsSpan().SequenceEqual(body), "FileDone: does not encode back to its bytes");
            }
        }
        else if (ReasonMessage.TryParse(body, out ReasonMessage reason) && reason.Text.Length <= ReasonMessage.MaxTextBytes / 4)
        {
            // Longer texts are cut by Write on purpose; shorter ones must come back unchanged.
            FuzzInvariantException.Check(reason.GetSize() == body.Length, "Reason: GetSize differs from the parsed length");
            FuzzInvariantException.Check(Encoded.Message(body.Length, reason.Write).AsSpan().SequenceEqual(body), "Reason: does not encode back to its bytes");
        }
    }

    /// <summary>A FileBatch payload: what parses has contents that add up exactly and encodes back to its bytes.</summary>
    private static void FuzzFileBatch(byte[] payload)
    {
        if (!FileBatchMessage.TryParse(payload, out BatchedFile[] files, out int start))
        {
            return;
        }

        long total = files.Sum(f => (long)f.Size);
        FuzzInvariantException.Check(files.Length is > 0 and <= FileBatchMessage.MaxFiles && start == FileBatchMessage.HeaderSize(files.Length)
            && start + total == payload.Length, "FileBatch: contents do not add up to the payload");
        byte[] header = new byte[start];
        FileBatchMessage.WriteHeader(header, files);
        FuzzInvariantException.Check(header.AsSpan().SequenceEqual(payload.AsSpan(0, start)), "FileBatch: does not encode back to its bytes");
    }

    public static IEnumerable<byte[]> OfferSeeds()
    {
        yield return Encoded.Message(KnownOffer.GetSize(), KnownOffer.Write);
        var stream = new TransferOffer(TransferKind.Stream, 65536, [new OfferEntry(EntryType.File, "stdin", TransferOffer.UnknownSize, 0, 0)]) { Compression = OfferCompression.Zstd };
        yield return Encoded.Message(stream.GetSize(), stream.Write);
        var hostile = new TransferOffer(TransferKind.Files, 1024, [new OfferEntry(EntryType.File, "../etc/passwd", 1, 0, 0), new OfferEntry(EntryType.File, "a/\u202Egnp.exe", 2, 0, 0)]);
        yield return Encoded.Message(hostile.GetSize(), hostile.Write);
    }

    public static IEnumerable<byte[]> AcceptSeeds()
    {
        var accept = new AcceptMessage([new AcceptedFile(1, 0), new AcceptedFile(3, 4096)]);
        yield return Encoded.Tagged(0, Encoded.Message(accept.GetSize(), accept.Write));
        yield return Encoded.Tagged(0, []);
        var resend = new ResendMessage([1, 3]);
        yield return Encoded.Tagged(1, Encoded.Message(resend.GetSize(), resend.Write));
    }

    public static IEnumerable<byte[]> TransferMessageSeeds()
    {
        yield return Encoded.Tagged(0, Encoded.Message(FileDoneMessage.EncodedSize, new FileDoneMessage(3, 5000, new byte[FileDoneMessage.HashSize]).Write));
        var reason = new ReasonMessage(CancelReason.Declined, "not now, thanks");
        yield return Encoded.Tagged(1, Encoded.Message(reason.GetSize(), reason.Write));
        BatchedFile[] files = [new(1, 3, new byte[FileBatchMessage.HashSize]), new(4, 2, new byte[FileBatchMessage.HashSize])];
        byte[] batch = new byte[FileBatchMessage.HeaderSize(files.Length) + 5];
        FileBatchMessage.WriteHeader(batch, files);
        yield return Encoded.Tagged(2, batch);
    }
}
