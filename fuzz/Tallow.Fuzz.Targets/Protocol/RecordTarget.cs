// Target "records": the receiving side of the record layer after the AEAD (DESIGN.md §7, §13), on
// one thread so AFL's coverage is exact. The fuzzer writes plaintext records; the harness seals
// them with fixed test keys, a real SecureChannel (FrameReader, opener, keep-alive skipping) opens
// them, and each record goes where RecordSession would route it (RecordRoutes) and through the
// parser its owner uses: session bodies, the offer and its paths, compressed chunks against the
// offer's chunk size (ChunkDecompressor), FileDone, chat, the P2P and answer bodies. The end of
// the input ends the session (TallowException, the documented refusal). The same inputs also run
// through the whole threaded session: target "record-session".
using Tallow.Crypto;
using Tallow.Fuzz.Targets.Support;
using Tallow.Protocol;
using Tallow.Protocol.Records;
using Tallow.Protocol.Transfer;
using Tallow.Protocol.Transfer.Compression;
using Tallow.Wire;

namespace Tallow.Fuzz.Targets.Protocol;

public static class RecordTarget
{
    public static readonly FuzzTarget Records = new(
        "records", "SecureChannel.ReceiveAsync, RecordRoutes, every record body parser", Fuzz, RecordSeeds.Seeds);

    public static void Fuzz(ReadOnlySpan<byte> data)
    {
        using SessionKeys keys = SealedRecords.TestKeys();
        var peer = new PeerStream(SealedRecords.SealAsInitiator(keys, SealedRecords.Split(data)));
        using var reader = new FrameReader(peer, initialBufferSize: 256);
        var channel = new SecureChannel(peer, reader, keys, isInitiator: false);
        var receiver = new Receiver();
        try
        {
            while (true)
            {
                Record record = channel.ReceiveAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
                if (!RecordRoutes.TryGetGroup(record.Kind, out _))
                {
                    return; // RecordSession ends the session: unknown kind
                }

                FuzzInvariantException.Check(RecordRoutes.StreamOf(record.Kind) is null || Enum.IsDefined(RecordRoutes.StreamOf(record.Kind)!.Value), "records: unknown flow stream");
                receiver.Take(record.Kind, record.Body.Span);
            }
        }
        catch (TallowException)
        {
            // end of the input (peer gone) or a record the channel refuses: the documented end
        }
        finally
        {
            receiver.Dispose();
            channel.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>The parsers each record's owner applies, with the state a receiver keeps (the offer, its decompressor).</summary>
    private sealed class Receiver : IDisposable
    {
        private TransferOffer? _offer;
        private ChunkDecompressor? _decompressor;
        private long _received;

        public void Take(RecordKind kind, ReadOnlySpan<byte> body)
        {
            switch (kind)
            {
                case RecordKind.WindowUpdate:
                    _ = WindowUpdateMessage.TryParse(body, out _);
                    break;
                case RecordKind.Leave or RecordKind.Reject or RecordKind.Cancel or RecordKind.ReceiverCancel:
                    if (ReasonMessage.TryParse(body, out ReasonMessage reason))
                    {
                        _ = PathSanitizer.Printable(reason.Text);
                    }

                    break;
                case RecordKind.Offer when _offer is null && TransferOffer.TryParse(body, out TransferOffer? offer):
                    _offer = offer!;
                    foreach (OfferEntry entry in offer!.Entries)
                    {
                        _ = PathSanitizer.TrySplit(entry.Path, out _, out _);
                    }

                    _decompressor = offer.Compression == OfferCompression.Zstd ? new ChunkDecompressor(offer.ChunkSize) : null;
                    break;
                case RecordKind.Data:
                    _received += body.Length;
                    break;
                case RecordKind.DataZstd when _decompressor is not null:
                    long size = _offer!.Entries.Count > 0 && _offer.Entries[0].Size <= long.MaxValue ? (long)_offer.Entries[0].Size : long.MaxValue;
                    if (_decompressor.TryDecompress(body, Math.Max(0, size - _received), out ReadOnlyMemory<byte> content))
                    {
                        FuzzInvariantException.Check(content.Length <= _offer.ChunkSize && content.Length <= size - _received, "records: a chunk expanded past its bounds");
                        _received += content.Length;
                    }

                    break;
                case RecordKind.FileDone:
                    _ = FileDoneMessage.TryParse(body, out _);
                    break;
                case RecordKind.ChatMessage:
                    _ = ChatTextMessage.TryParse(body, out _);
                    break;
                case RecordKind.P2PIntent:
                    _ = P2PIntentMessage.TryParse(body, out _);
                    break;
                case RecordKind.P2PCandidates:
                    _ = P2PCandidatesMessage.TryParse(body, out _);
                    break;
                case RecordKind.P2PSelect:
                    _ = P2PSelectMessage.TryParse(body, out _);
                    break;
                case RecordKind.Accept:
                    _ = AcceptMessage.TryParse(body, out _);
                    break;
                case RecordKind.Resend:
                    _ = ResendMessage.TryParse(body, out _);
                    break;
            }
        }

        public void Dispose() => _decompressor?.Dispose();
    }
}
