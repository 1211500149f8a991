// Shared by the transfer tests: an observer that records what a side reports (with an optional
// hook on progress, the moment after each received chunk reached the part file), random files,
// a part file and sidecar as an interrupted receive leaves them, and one real transfer over a
// SecureChannel pair whose receiver plans with resume (with a hook between planning and receiving).
using Tallow.Protocol;
using Tallow.Protocol.Records;
using Tallow.Protocol.Transfer;
using Tallow.Protocol.Transfer.Resume;
using Tallow.Wire;

namespace Tallow.Tests.Protocol;

internal sealed class RecordingObserver : ITransferObserver
{
    public List<(string Path, long Size, string Hash)> Completed { get; } = [];

    public List<string> Notices { get; } = [];

    public long LastProgress { get; private set; }

    public List<FileReport> Reports { get; } = [];

    public List<(string Path, long Offset, long Size)> Resumed { get; } = [];

    /// <summary>Called on the receive loop after each chunk was written, before the next record is read.</summary>
    public Action<long>? OnProgressHook { get; init; }

    public void OnProgress(long bytesDone, long? totalBytes)
    {
        Assert.True(bytesDone >= LastProgress, "progress went backwards");
        Assert.True(totalBytes is null || bytesDone <= totalBytes);
        LastProgress = bytesDone;
        OnProgressHook?.Invoke(bytesDone);
    }

    public void OnFileCompleted(FileReport file)
    {
        lock (Completed)
        {
            Completed.Add((file.Path, file.Size, file.Blake3Hex));
            Reports.Add(file);
        }
    }

    public void OnResume(string path, long offset, long size) => Resumed.Add((path, offset, size));

    public void OnNotice(string message) => Notices.Add(message);
}

internal static class TransferKit
{
    public static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static void WriteRandom(string path, int length, int seed)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, Random(length, seed));
    }

    /// <summary>A part file and sidecar as an interrupted receive leaves them: the first <paramref name="length"/> bytes of <paramref name="content"/>.</summary>
    public static void LeaveInterruptedPart(OutputDirectory output, OfferEntry entry, string[] components, byte[] content, int length)
    {
        PartFile part = output.CreatePart(components, ResumeSidecar.IdentityOf(entry));
        using var hasher = Blake3Hasher.New();
        RandomAccess.Write(part.Handle, content.AsSpan(0, length), 0);
        hasher.Update(content.AsSpan(0, length));
        part.Checkpoint(length, hasher);
        part.Dispose();
    }

    /// <summary>
    /// Runs a transfer of <paramref name="plan"/> whose receiver plans with resume into
    /// <paramref name="outRoot"/>; <paramref name="afterPlanning"/> runs after the plan was made
    /// (prefixes hashed) and before anything is received.
    /// </summary>
    public static async Task<(RecordingObserver Sender, RecordingObserver Receiver, TransferSummary Sent, TransferSummary Received)> TransferWithResumeAsync(
        SourcePlan plan, string outRoot, Func<int, OfferEntry, bool>? include = null, bool overwrite = false, Action? afterPlanning = null, RecordingObserver? receiverObserver = null)
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        var senderObserver = new RecordingObserver();
        receiverObserver ??= new RecordingObserver();
        Task<TransferSummary> send = new TransferSender(pair.SenderPort, senderObserver).SendFilesAsync(plan.Offer, plan.LocalPaths, CancellationToken.None);
        var receiver = new TransferReceiver(pair.ReceiverPort, receiverObserver);
        TransferOffer offer = await receiver.ReceiveOfferAsync(CancellationToken.None).WithTimeout();
        var output = new OutputDirectory(outRoot, overwrite);
        using ReceivePlan receivePlan = ReceivePlan.Create(offer, include, output, receiverObserver.OnNotice, receiverObserver);
        afterPlanning?.Invoke();
        await receiver.AcceptAsync(receivePlan, CancellationToken.None);
        TransferSummary received = await receiver.ReceiveFilesAsync(offer, receivePlan, output, CancellationToken.None).WithTimeout(60);
        TransferSummary sent = await send.WithTimeout(60);
        return (senderObserver, receiverObserver, sent, received);
    }

    /// <summary>A hand-driven hostile sender: sends <paramref name="offer"/>, which the receiver accepts whole, then misbehaves; returns the receiver's error.</summary>
    public static async Task<(TallowException Receiver, string OutRoot)> HostileSenderAsync(TempDir dir, TransferOffer offer, Func<SecureChannel, Task> misbehave)
    {
        string outRoot = dir.Combine("out");
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        var receiver = new TransferReceiver(pair.ReceiverPort, new RecordingObserver());

        byte[] body = new byte[offer.GetSize()];
        offer.Write(body);
        await pair.Initiator.SendAsync(RecordKind.Offer, body, CancellationToken.None);
        TransferOffer got = await receiver.ReceiveOfferAsync(CancellationToken.None).WithTimeout();
        await receiver.AcceptAsync(CancellationToken.None);
        Assert.Equal(RecordKind.Accept, (await pair.Initiator.ReceiveAsync(CancellationToken.None)).Kind);

        Task receive = receiver.ReceiveFilesAsync(got, new OutputDirectory(outRoot, false), CancellationToken.None);
        await misbehave(pair.Initiator);
        var ex = await Assert.ThrowsAsync<TallowException>(() => receive.WithTimeout());

        // The receiver tells the sender why it stopped.
        Tallow.Protocol.Records.Record cancel;
        do
        {
            cancel = await pair.Initiator.ReceiveAsync(CancellationToken.None).AsTask().WithTimeout();
        }
        while (cancel.Kind == RecordKind.WindowUpdate); // the receiver gives back the window of the data it took

        Assert.Equal(RecordKind.ReceiverCancel, cancel.Kind);
        return (ex, outRoot);
    }
}
