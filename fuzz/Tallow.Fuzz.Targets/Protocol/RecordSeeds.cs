// Seed inputs of the "records" target: real record bodies from the code's own encoders, in the
// orders a real peer sends them (a text transfer, a compressed stream, chat, the P2P exchange).
using System.Net;
using Tallow.Fuzz.Targets.Support;
using Tallow.Protocol.Transfer.Compression;
using Tallow.Wire;

namespace Tallow.Fuzz.Targets.Protocol;

public static class RecordSeeds
{
    public static IEnumerable<byte[]> Seeds()
    {
        byte[] text = "hello from the fuzz seed\n"u8.ToArray();
        yield return SealedRecords.Join(
            (RecordKind.Offer, Offer(TransferKind.Text, OfferCompression.None, (ulong)text.Length)),
            (RecordKind.Data, text),
            (RecordKind.FileDone, FileDone(0, text)),
            (RecordKind.End, []));

        byte[] content = [.. Enumerable.Repeat("compressible line of a log file\n"u8.ToArray(), 64).SelectMany(b => b)];
        yield return SealedRecords.Join(
            (RecordKind.Offer, Offer(TransferKind.Stream, OfferCompression.Zstd, TransferOffer.UnknownSize)),
            (RecordKind.DataZstd, Compress(content)),
            (RecordKind.Data, text),
            (RecordKind.FileDone, FileDone(0, [.. content, .. text])),
            (RecordKind.End, []));

        yield return SealedRecords.Join(
            (RecordKind.KeepAlive, []),
            (RecordKind.ChatMessage, Encoded.Message(64, new ChatTextMessage(1_700_000_000_000, "hi there").Write)),
            (RecordKind.WindowUpdate, Encoded.Message(WindowUpdateMessage.Size, d => { new WindowUpdateMessage(FlowStream.Chat, 4096).Write(d); return WindowUpdateMessage.Size; })),
            (RecordKind.Leave, Encoded.Message(64, new ReasonMessage(CancelReason.Cancelled, "bye").Write)));

        yield return SealedRecords.Join(
            (RecordKind.P2PIntent, Encoded.Message(P2PIntentMessage.Size, new P2PIntentMessage(P2PIntentMessage.CurrentVersion, true).Write)),
            (RecordKind.P2PCandidates, Encoded.Message(P2PCandidatesMessage.MaxSize, new P2PCandidatesMessage(false, [new WireCandidate(1, new IPEndPoint(IPAddress.Parse("192.168.1.20"), 40001))]).Write)),
            (RecordKind.P2PSelect, Encoded.Message(P2PSelectMessage.MaxSize, new P2PSelectMessage(null, P2PFallbackReason.Timeout).Write)),
            (RecordKind.Accept, []),
            (RecordKind.Resend, Encoded.Message(8, new ResendMessage([0]).Write)),
            (RecordKind.Cancel, Encoded.Message(64, new ReasonMessage(CancelReason.Cancelled, "stop").Write)));
    }

    private static byte[] Offer(TransferKind kind, OfferCompression compression, ulong size)
    {
        var offer = new TransferOffer(kind, TransferOffer.MinChunkSize * 4, [new OfferEntry(EntryType.File, kind == TransferKind.Text ? "text" : "stream", size, 0x1A4, 1_700_000_000)])
        {
            Compression = compression,
        };
        return Encoded.Message(offer.GetSize(), offer.Write);
    }

    private static byte[] FileDone(uint index, byte[] content)
    {
        byte[] hash = new byte[FileDoneMessage.HashSize];
        Blake3.Hasher.Hash(content, hash);
        return Encoded.Message(FileDoneMessage.EncodedSize, new FileDoneMessage(index, (ulong)content.Length, hash).Write);
    }

    private static byte[] Compress(byte[] raw)
    {
        using var compressor = new ChunkCompressor(CompressionMode.Always);
        byte[] output = new byte[raw.Length];
        FuzzInvariantException.Check(compressor.TryCompress(raw, output, out int written), "seed: the compressor refused compressible data");
        return output[..written];
    }
}
