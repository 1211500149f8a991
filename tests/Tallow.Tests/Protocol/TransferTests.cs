// TransferSender + TransferReceiver (DESIGN.md §8) over a real SecureChannel pair on loopback TCP:
// a folder tree built by SourceScanner arrives byte-identical; a rejection reaches the sender
// as Declined; a hostile offer is refused before anything is written.
using System.Security.Cryptography;
using Tallow.Protocol;
using Tallow.Protocol.Records;
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Tests.Protocol;

public class TransferTests
{
    /// <summary>Relative path → SHA-256 of every file under <paramref name="root"/>, plus the set of folders.</summary>
    private static (SortedDictionary<string, string> Files, SortedSet<string> Folders) Snapshot(string root)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            files[Path.GetRelativePath(root, file)] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
        }

        var folders = new SortedSet<string>(
            Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).Select(d => Path.GetRelativePath(root, d)),
            StringComparer.Ordinal);
        return (files, folders);
    }

    private static string BuildTree(TempDir dir)
    {
        string top = dir.Combine("src", "photos & notes");
        TransferKit.WriteRandom(Path.Combine(top, "readme.txt"), 100, 1);
        TransferKit.WriteRandom(Path.Combine(top, "empty.bin"), 0, 2);
        TransferKit.WriteRandom(Path.Combine(top, "big", "three-chunks-and-a-bit.bin"), (3 * 64 * 1024) + 17, 3);
        TransferKit.WriteRandom(Path.Combine(top, "big", "exactly-one-chunk.bin"), 64 * 1024, 4);
        TransferKit.WriteRandom(Path.Combine(top, "ünïcödé", "日本語 file.txt"), 5000, 5);
        TransferKit.WriteRandom(Path.Combine(top, "-leading dash"), 10, 6);
        Directory.CreateDirectory(Path.Combine(top, "empty folder", "nested empty"));
        return top;
    }

    [Fact]
    public async Task A_folder_tree_arrives_byte_identical()
    {
        using var dir = new TempDir();
        string top = BuildTree(dir);
        string outRoot = dir.Combine("out");
        var scanNotices = new List<string>();
        SourcePlan plan = SourceScanner.Scan([top], 64 * 1024, followSymlinks: false, scanNotices.Add);
        Assert.Empty(scanNotices);
        Assert.All(plan.Offer.Entries, e => Assert.True(PathSanitizer.TrySplit(e.Path, out _, out _), e.Path));

        await using ChannelPair pair = await ChannelPair.CreateAsync();
        var senderObserver = new RecordingObserver();
        var receiverObserver = new RecordingObserver();
        var sender = new TransferSender(pair.SenderPort, senderObserver);
        var receiver = new TransferReceiver(pair.ReceiverPort, receiverObserver);

        Task send = sender.SendFilesAsync(plan.Offer, plan.LocalPaths, CancellationToken.None);
        TransferOffer offer = await receiver.ReceiveOfferAsync(CancellationToken.None).WithTimeout();
        Assert.Equal(plan.Offer.Entries, offer.Entries);
        Assert.Equal(plan.Offer.TotalSize, offer.TotalSize);
        await receiver.AcceptAsync(CancellationToken.None);
        await receiver.ReceiveFilesAsync(offer, new OutputDirectory(outRoot, overwrite: false), CancellationToken.None).WithTimeout(60);
        await send.WithTimeout(60);

        var source = Snapshot(Path.GetDirectoryName(top)!);
        var received = Snapshot(outRoot);
        Assert.Equal(source.Files, received.Files);
        Assert.Equal(source.Folders, received.Folders);
        Assert.Equal(6, received.Files.Count);
        Assert.Contains(Path.Combine("photos & notes", "empty folder", "nested empty"), received.Folders);
        Assert.Empty(Directory.EnumerateFiles(outRoot, "*" + OutputDirectory.PartSuffix, SearchOption.AllDirectories));

        Assert.Equal((long)offer.TotalSize, senderObserver.LastProgress);
        Assert.Equal((long)offer.TotalSize, receiverObserver.LastProgress);
        Assert.Equal(
            senderObserver.Completed.Select(c => c.Hash).Order(StringComparer.Ordinal),
            receiverObserver.Completed.Select(c => c.Hash).Order(StringComparer.Ordinal));
        Assert.Empty(receiverObserver.Notices);

        // Modification times travel with the files.
        string src = Path.Combine(top, "readme.txt");
        string dst = Path.Combine(outRoot, "photos & notes", "readme.txt");
        Assert.Equal(SourceScanner.ToUnix(File.GetLastWriteTimeUtc(src)), SourceScanner.ToUnix(File.GetLastWriteTimeUtc(dst)));
    }

    [Fact]
    public async Task Receiving_the_same_tree_twice_keeps_both_copies()
    {
        using var dir = new TempDir();
        string top = dir.Combine("src", "t");
        TransferKit.WriteRandom(Path.Combine(top, "a.txt"), 10, 1);
        string outRoot = dir.Combine("out");

        for (int round = 0; round < 2; round++)
        {
            SourcePlan plan = SourceScanner.Scan([top], 1024, false, _ => { });
            await using ChannelPair pair = await ChannelPair.CreateAsync();
            var observer = new RecordingObserver();
            var receiver = new TransferReceiver(pair.ReceiverPort, observer);
            Task send = new TransferSender(pair.SenderPort, new RecordingObserver()).SendFilesAsync(plan.Offer, plan.LocalPaths, CancellationToken.None);
            TransferOffer offer = await receiver.ReceiveOfferAsync(CancellationToken.None).WithTimeout();
            await receiver.AcceptAsync(CancellationToken.None);
            await receiver.ReceiveFilesAsync(offer, new OutputDirectory(outRoot, false), CancellationToken.None).WithTimeout();
            await send.WithTimeout();
            Assert.Equal(round, observer.Notices.Count);
        }

        Assert.True(File.Exists(Path.Combine(outRoot, "t", "a.txt")));
        Assert.True(File.Exists(Path.Combine(outRoot, "t", "a (1).txt")));
    }

    [Fact]
    public async Task Receiver_rejects_and_the_sender_gets_Declined()
    {
        using var dir = new TempDir();
        string top = BuildTree(dir);
        SourcePlan plan = SourceScanner.Scan([top], 64 * 1024, false, _ => { });
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        var sender = new TransferSender(pair.SenderPort, new RecordingObserver());
        var receiver = new TransferReceiver(pair.ReceiverPort, new RecordingObserver());

        Task send = sender.SendFilesAsync(plan.Offer, plan.LocalPaths, CancellationToken.None);
        await receiver.ReceiveOfferAsync(CancellationToken.None).WithTimeout();
        await receiver.RejectAsync("not today", CancellationToken.None);

        var ex = await Assert.ThrowsAsync<TallowException>(() => send.WithTimeout());
        Assert.Equal(FailureKind.Declined, ex.Kind);
        Assert.Contains("not today", ex.Message, StringComparison.Ordinal);
        Assert.Equal(RecordBuffer.Overhead + plan.Offer.GetSize(), pair.Initiator.BytesSent); // the offer and no data
    }

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("/etc/passwd")]
    [InlineData("ok/../../escape")]
    [InlineData("evil\u001b]0;pwned\u0007")]
    [InlineData("CON")]
    public async Task A_hostile_offer_is_refused_before_anything_is_written(string hostilePath)
    {
        using var dir = new TempDir();
        string outRoot = dir.Combine("out");
        Directory.CreateDirectory(outRoot);
        var offer = new TransferOffer(TransferKind.Files, 1024,
        [
            new OfferEntry(EntryType.File, "fine.txt", 1, 0x1A4, 0),
            new OfferEntry(EntryType.File, hostilePath, 1, 0x1A4, 0),
        ]);
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        var sender = new TransferSender(pair.SenderPort, new RecordingObserver());
        var receiver = new TransferReceiver(pair.ReceiverPort, new RecordingObserver());

        Task send = sender.SendFilesAsync(offer, [null, null], CancellationToken.None);
        var ex = await Assert.ThrowsAsync<TallowException>(() => receiver.ReceiveOfferAsync(CancellationToken.None).WithTimeout());
        Assert.Equal(FailureKind.FileSystem, ex.Kind);
        Assert.DoesNotContain('\u001b', ex.Message);

        var senderEx = await Assert.ThrowsAsync<TallowException>(() => send.WithTimeout());
        Assert.Equal(FailureKind.Declined, senderEx.Kind);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outRoot));
        Assert.False(File.Exists(dir.Combine("escape.txt")));
    }

    [Fact]
    public async Task A_file_that_shrinks_while_sending_is_reported_and_never_committed()
    {
        using var dir = new TempDir();
        string file = dir.Combine("src", "f.bin");
        TransferKit.WriteRandom(file, 10_000, 1);
        string outRoot = dir.Combine("out");
        SourcePlan plan = SourceScanner.Scan([file], 1024, false, _ => { });
        File.WriteAllBytes(file, new byte[5000]); // shrinks after the offer was built

        await using ChannelPair pair = await ChannelPair.CreateAsync();
        var receiver = new TransferReceiver(pair.ReceiverPort, new RecordingObserver());
        Task send = new TransferSender(pair.SenderPort, new RecordingObserver()).SendFilesAsync(plan.Offer, plan.LocalPaths, CancellationToken.None);
        TransferOffer offer = await receiver.ReceiveOfferAsync(CancellationToken.None).WithTimeout();
        await receiver.AcceptAsync(CancellationToken.None);
        Task receive = receiver.ReceiveFilesAsync(offer, new OutputDirectory(outRoot, false), CancellationToken.None);

        var senderEx = await Assert.ThrowsAsync<TallowException>(() => send.WithTimeout());
        Assert.Equal(FailureKind.FileSystem, senderEx.Kind);
        await Assert.ThrowsAsync<TallowException>(() => receive.WithTimeout());
        Assert.False(File.Exists(Path.Combine(outRoot, "f.bin")));
    }

    [Fact]
    public async Task Text_stream_of_unknown_length_round_trips()
    {
        byte[] content = new byte[200_000];
        new Random(7).NextBytes(content);
        var offer = new TransferOffer(TransferKind.Stream, 4096, [new OfferEntry(EntryType.File, "stdin", TransferOffer.UnknownSize, 0, 0)]);

        await using ChannelPair pair = await ChannelPair.CreateAsync();
        var receiver = new TransferReceiver(pair.ReceiverPort, new RecordingObserver());
        Task send = new TransferSender(pair.SenderPort, new RecordingObserver()).SendStreamAsync(offer, new MemoryStream(content), CancellationToken.None);
        TransferOffer got = await receiver.ReceiveOfferAsync(CancellationToken.None).WithTimeout();
        await receiver.AcceptAsync(CancellationToken.None);
        var sink = new MemoryStream();
        await receiver.ReceiveStreamAsync(got, sink, CancellationToken.None).WithTimeout();
        await send.WithTimeout();
        Assert.Equal(content, sink.ToArray());
    }

    /// <summary>A hand-driven hostile sender: offers one 10-byte file, then misbehaves.</summary>
    private static Task<(TallowException Receiver, string OutRoot)> HostileSenderAsync(TempDir dir, Func<SecureChannel, Task> misbehave) =>
        TransferKit.HostileSenderAsync(dir, new TransferOffer(TransferKind.Files, 1024, [new OfferEntry(EntryType.File, "f.txt", 10, 0x1A4, 0)]), misbehave);

    [Fact]
    public async Task A_sender_that_sends_more_than_offered_is_stopped_and_nothing_is_committed()
    {
        using var dir = new TempDir();
        (TallowException ex, string outRoot) = await HostileSenderAsync(dir, async channel =>
            await channel.SendAsync(RecordKind.Data, new byte[20], CancellationToken.None));
        Assert.Equal(FailureKind.Error, ex.Kind);
        Assert.False(File.Exists(Path.Combine(outRoot, "f.txt")));
    }

    [Fact]
    public async Task A_wrong_file_hash_is_detected_and_the_part_file_discarded()
    {
        using var dir = new TempDir();
        (TallowException ex, string outRoot) = await HostileSenderAsync(dir, async channel =>
        {
            await channel.SendAsync(RecordKind.Data, new byte[10], CancellationToken.None);
            byte[] done = new byte[FileDoneMessage.EncodedSize];
            new FileDoneMessage(0, 10, new byte[FileDoneMessage.HashSize]).Write(done); // not BLAKE3 of ten zero bytes
            await channel.SendAsync(RecordKind.FileDone, done, CancellationToken.None);
        });
        Assert.Equal(FailureKind.Error, ex.Kind);
        Assert.Contains("verification", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(outRoot, "f.txt")));
        Assert.False(File.Exists(Path.Combine(outRoot, "f.txt" + OutputDirectory.PartSuffix)));
    }

    [Fact]
    public async Task An_interrupted_file_continues_from_its_checkpoint_and_complete_files_are_skipped()
    {
        using var dir = new TempDir();
        string top = dir.Combine("src", "tree");
        TransferKit.WriteRandom(Path.Combine(top, "a-done.bin"), 50_000, 1);
        TransferKit.WriteRandom(Path.Combine(top, "b-partial.bin"), 300_000, 2);
        TransferKit.WriteRandom(Path.Combine(top, "c-new.bin"), 70_000, 3);
        SourcePlan plan = SourceScanner.Scan([top], 64 * 1024, followSymlinks: false, _ => { });
        string outRoot = dir.Combine("out");
        var output = new OutputDirectory(outRoot, overwrite: false);

        // The earlier receive finished a-done.bin and had 200,000 bytes of b-partial.bin.
        OfferEntry done = plan.Offer.Entries.Single(e => e.Path == "tree/a-done.bin");
        Directory.CreateDirectory(Path.Combine(outRoot, "tree"));
        File.Copy(Path.Combine(top, "a-done.bin"), Path.Combine(outRoot, "tree", "a-done.bin"));
        File.SetLastWriteTimeUtc(Path.Combine(outRoot, "tree", "a-done.bin"), DateTimeOffset.FromUnixTimeSeconds(done.ModifiedUnixSeconds).UtcDateTime);
        OfferEntry partial = plan.Offer.Entries.Single(e => e.Path == "tree/b-partial.bin");
        TransferKit.LeaveInterruptedPart(output, partial, ["tree", "b-partial.bin"], File.ReadAllBytes(Path.Combine(top, "b-partial.bin")), 200_000);

        (RecordingObserver sender, RecordingObserver receiver, _, _) = await TransferKit.TransferWithResumeAsync(plan, outRoot);

        // The resume is reported when planned, the file already here once its content matched the sender's hash.
        Assert.Equal([("tree/b-partial.bin", 200_000L, 300_000L), ("tree/a-done.bin", 50_000L, 50_000L)], receiver.Resumed);
        Assert.Equal([("tree/b-partial.bin", 200_000L, 300_000L)], sender.Resumed);
        Assert.Equal(100_000 + 70_000, sender.LastProgress);
        FileReport resumed = receiver.Reports.Single(r => r.Path == Path.Combine("tree", "b-partial.bin"));
        Assert.Equal(200_000, resumed.ResumedFrom);
        Assert.Equal(100_000, resumed.WireBytes);
        foreach (string name in new[] { "a-done.bin", "b-partial.bin", "c-new.bin" })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(top, name)), File.ReadAllBytes(Path.Combine(outRoot, "tree", name)));
        }

        Assert.Equal(3, Directory.GetFiles(Path.Combine(outRoot, "tree")).Length); // no part, no sidecar, no "(1)" copy
        Assert.Empty(receiver.Notices);
    }

    [Fact]
    public async Task A_resumed_part_that_no_longer_matches_the_source_is_received_again_from_the_start()
    {
        using var dir = new TempDir();
        string top = dir.Combine("src", "tree");
        TransferKit.WriteRandom(Path.Combine(top, "changed.bin"), 300_000, 4);
        TransferKit.WriteRandom(Path.Combine(top, "z-after.bin"), 1_000, 5);
        SourcePlan plan = SourceScanner.Scan([top], 64 * 1024, followSymlinks: false, _ => { });
        string outRoot = dir.Combine("out");

        // Same path, size and time as offered, but the earlier bytes came from another version.
        OfferEntry entry = plan.Offer.Entries.Single(e => e.Path == "tree/changed.bin");
        byte[] older = File.ReadAllBytes(Path.Combine(top, "changed.bin"));
        older[10] ^= 0xFF;
        TransferKit.LeaveInterruptedPart(new OutputDirectory(outRoot, false), entry, ["tree", "changed.bin"], older, 150_000);

        (RecordingObserver sender, RecordingObserver receiver, _, _) = await TransferKit.TransferWithResumeAsync(plan, outRoot);

        Assert.Contains(receiver.Notices, n => n.Contains("received again from the start", StringComparison.Ordinal));
        Assert.Contains(sender.Notices, n => n.Contains("sending it again from the start", StringComparison.Ordinal));
        Assert.Equal(File.ReadAllBytes(Path.Combine(top, "changed.bin")), File.ReadAllBytes(Path.Combine(outRoot, "tree", "changed.bin")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(top, "z-after.bin")), File.ReadAllBytes(Path.Combine(outRoot, "tree", "z-after.bin")));
        Assert.Equal(2, Directory.GetFiles(Path.Combine(outRoot, "tree")).Length);
        Assert.Equal(150_000 + 1_000 + 300_000, sender.LastProgress); // the suffix, the other file, then the whole file again
        Assert.Equal(0, receiver.Reports.Single(r => r.Path.EndsWith("changed.bin", StringComparison.Ordinal)).ResumedFrom);
    }

    [Fact]
    public async Task Only_the_selected_files_are_sent_and_counted()
    {
        using var dir = new TempDir();
        string top = dir.Combine("src", "tree");
        TransferKit.WriteRandom(Path.Combine(top, "keep.txt"), 10_000, 6);
        TransferKit.WriteRandom(Path.Combine(top, "skip.bin"), 90_000, 7);
        TransferKit.WriteRandom(Path.Combine(top, "sub", "keep2.txt"), 5_000, 8);
        SourcePlan plan = SourceScanner.Scan([top], 64 * 1024, followSymlinks: false, _ => { });
        string outRoot = dir.Combine("out");

        (RecordingObserver sender, RecordingObserver receiver, _, _) = await TransferKit.TransferWithResumeAsync(plan, outRoot, (_, e) => e.Type == EntryType.File && e.Path.EndsWith(".txt", StringComparison.Ordinal));

        Assert.Equal(15_000, sender.LastProgress);
        Assert.Equal(2, sender.Completed.Count);
        Assert.True(File.Exists(Path.Combine(outRoot, "tree", "keep.txt")));
        Assert.True(File.Exists(Path.Combine(outRoot, "tree", "sub", "keep2.txt")));
        Assert.False(File.Exists(Path.Combine(outRoot, "tree", "skip.bin")));
    }

    public static TheoryData<byte[]> HostileAccepts()
    {
        static byte[] Encode(params AcceptedFile[] files)
        {
            var accept = new AcceptMessage(files);
            byte[] body = new byte[accept.GetSize()];
            accept.Write(body);
            return body;
        }

        return new TheoryData<byte[]>
        {
            Encode(new AcceptedFile(0, 0)),             // the folder entry
            Encode(new AcceptedFile(7, 0)),             // no such entry
            Encode(new AcceptedFile(1, 1_000_000)),     // past the end of the file
            Encode(new AcceptedFile(2, 0), new AcceptedFile(1, 0)),
            new byte[] { 1, 2, 3 },
        };
    }

    [Theory]
    [MemberData(nameof(HostileAccepts))]
    public async Task A_receiver_answering_with_an_impossible_accept_is_refused(byte[] body)
    {
        using var dir = new TempDir();
        string top = dir.Combine("src", "tree");
        TransferKit.WriteRandom(Path.Combine(top, "a.bin"), 1_000, 9);
        TransferKit.WriteRandom(Path.Combine(top, "b.bin"), 1_000, 10);
        SourcePlan plan = SourceScanner.Scan([top], 64 * 1024, followSymlinks: false, _ => { });

        await using ChannelPair pair = await ChannelPair.CreateAsync();
        Task<TransferSummary> send = new TransferSender(pair.SenderPort, new RecordingObserver()).SendFilesAsync(plan.Offer, plan.LocalPaths, CancellationToken.None);
        Assert.Equal(RecordKind.Offer, (await pair.Responder.ReceiveAsync(CancellationToken.None)).Kind);
        await pair.Responder.SendAsync(RecordKind.Accept, body, CancellationToken.None);

        var ex = await Assert.ThrowsAsync<TallowException>(() => send.WithTimeout());
        Assert.Contains("broke the protocol", ex.Message, StringComparison.Ordinal);
        Assert.Equal(RecordKind.Cancel, (await pair.Responder.ReceiveAsync(CancellationToken.None)).Kind);
    }
}
