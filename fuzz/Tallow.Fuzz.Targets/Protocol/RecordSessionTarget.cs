// Target "record-session": a whole receiving session after the AEAD (DESIGN.md §7, §13), on the
// "records" corpus. The harness seals the fuzzer's plaintext records with fixed test keys; a real
// SecureChannel + RecordSession (the one read loop, routing, flow-control windows, path-switch
// pauses) reads them while the real consumers parse what reaches their inbox: TransferReceiver
// (offer checks, then a text/stream transfer with Data/DataZstd/FileDone/End into memory),
// ChatChannel, and the P2P and answer parsers. Documented rejection: TallowException; a hang is a
// finding. Threaded (read loop and consumers run on the thread pool): see FuzzTarget.Threaded.
using Tallow.Crypto;
using Tallow.Fuzz.Targets.Support;
using Tallow.Protocol;
using Tallow.Protocol.Chat;
using Tallow.Protocol.Records;
using Tallow.Protocol.Session;
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Fuzz.Targets.Protocol;

public static class RecordSessionTarget
{
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(20);

    public static readonly FuzzTarget Session = new(
        "record-session", "RecordSession read loop and inboxes, TransferReceiver, ChatChannel", Fuzz, RecordSeeds.Seeds)
    {
        Corpus = "records",
        Threaded = true,
    };

    public static void Fuzz(ReadOnlySpan<byte> data)
    {
        using SessionKeys keys = SealedRecords.TestKeys();
        byte[] sealedFrames = SealedRecords.SealAsInitiator(keys, SealedRecords.Split(data));
        RunAsync(keys, sealedFrames).GetAwaiter().GetResult();
    }

    private static async Task RunAsync(SessionKeys keys, byte[] sealedFrames)
    {
        var peer = new PeerStream(sealedFrames);
        using var reader = new FrameReader(peer, initialBufferSize: 256);
        await using var channel = new SecureChannel(peer, reader, keys, isInitiator: false, receiveTimeout: HangLimit);
        await using var session = new RecordSession(channel);
        session.Start();
        Task all = Task.WhenAll(
            Expected(ReceiveTransferAsync(session.Port(RecordGroup.IncomingTransfer))),
            Expected(ReceiveChatAsync(new ChatChannel(session.Port(RecordGroup.Chat)))),
            Expected(DrainAsync(session.Port(RecordGroup.Path))),
            Expected(DrainAsync(session.Port(RecordGroup.OutgoingTransfer))));
        if (await Task.WhenAny(all, Task.Delay(HangLimit)).ConfigureAwait(false) != all)
        {
            throw new FuzzInvariantException("the record session did not finish: a hang");
        }

        await all.ConfigureAwait(false);
        Exception ended = await session.Ended.WaitAsync(HangLimit).ConfigureAwait(false);
        if (ended is not TallowException)
        {
            throw new FuzzInvariantException("the read loop ended with an unexpected exception", ended);
        }
    }

    /// <summary>Lets the documented refusal through; anything else escapes.</summary>
    private static async Task Expected(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (TallowException)
        {
        }
    }

    internal static async Task ReceiveTransferAsync(RecordPort port)
    {
        var receiver = new TransferReceiver(port, new SilentObserver());
        TransferOffer offer = await receiver.ReceiveOfferAsync(CancellationToken.None).ConfigureAwait(false);
        if (offer.Kind == TransferKind.Files)
        {
            await receiver.RejectAsync("fuzz: files are not written to disk", CancellationToken.None).ConfigureAwait(false);
            return;
        }

        await receiver.AcceptAsync(CancellationToken.None).ConfigureAwait(false);
        using var sink = new MemoryStream();
        await receiver.ReceiveStreamAsync(offer, sink, CancellationToken.None).ConfigureAwait(false);
    }

    private static async Task ReceiveChatAsync(ChatChannel chat)
    {
        while (true)
        {
            ChatTextMessage message = await chat.ReceiveAsync(CancellationToken.None).ConfigureAwait(false);
            FuzzInvariantException.Check(System.Text.Encoding.UTF8.GetByteCount(message.Text) <= ChatTextMessage.MaxTextBytes, "chat text over the limit");
        }
    }

    /// <summary>The path negotiation's and the sending side's records, through their parsers; switch points resume reads.</summary>
    private static async Task DrainAsync(RecordPort port)
    {
        while (true)
        {
            Record record = await port.ReceiveAsync(CancellationToken.None).ConfigureAwait(false);
            ReadOnlySpan<byte> body = record.Body.Span;
            _ = record.Kind switch
            {
                RecordKind.P2PIntent => P2PIntentMessage.TryParse(body, out _),
                RecordKind.P2PCandidates => P2PCandidatesMessage.TryParse(body, out _),
                RecordKind.P2PSelect => P2PSelectMessage.TryParse(body, out _),
                RecordKind.Accept => AcceptMessage.TryParse(body, out _),
                RecordKind.Resend => ResendMessage.TryParse(body, out _),
                RecordKind.Reject or RecordKind.ReceiverCancel => ReasonMessage.TryParse(body, out _),
                _ => true,
            };
            if (record.Kind is RecordKind.P2PSelect or RecordKind.P2PSwitched)
            {
                port.ResumeReads();
            }
        }
    }

    internal sealed class SilentObserver : ITransferObserver
    {
        public void OnProgress(long bytesDone, long? totalBytes)
        {
        }

        public void OnFileCompleted(FileReport file)
        {
        }

        public void OnResume(string path, long offset, long size)
        {
        }

        public void OnNotice(string message)
        {
        }
    }
}
