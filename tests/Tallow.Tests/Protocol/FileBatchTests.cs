// FileBatch (protocol.md "Small files") on a real SecureChannel pair: a tree of small files goes
// through the real sender and receiver in batches (every file equal, reported once on each side,
// empty and larger files per file in the same transfer, --only-like selections with gaps); and a
// hand-driven hostile sender's batches — a wrong hash, files out of the plan's order, a size
// that is not the offered one, a batch the offer did not announce, zstd without compression —
// stop the receive with nothing of the bad file on disk and the sender told why.
using Tallow.Protocol;
using Tallow.Protocol.Records;
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Tests.Protocol;

public class FileBatchTests
{
    private static readonly byte[] A = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    private static readonly byte[] B = [42, 42, 42];

    /// <summary>Two small files in a folder, offered with (or without) the batches flag.</summary>
    private static TransferOffer TwoFiles(bool batches, OfferCompression compression = OfferCompression.None) =>
        new(TransferKind.Files, 4096,
        [
            new OfferEntry(EntryType.Directory, "d", 0, 0x1ED, 0),
            new OfferEntry(EntryType.File, "d/a.bin", (ulong)A.Length, 0x1A4, 0),
            new OfferEntry(EntryType.File, "d/b.bin", (ulong)B.Length, 0x1A4, 0),
        ])
        { Batches = batches, Compression = compression };

    private static byte[] Hash(byte[] content) => Blake3Hasher.Hash(content);

    /// <summary>A raw FileBatch body: encoding byte, header, contents.</summary>
    private static byte[] Batch(params (uint Index, byte[] Content, byte[] Hash)[] files)
    {
        BatchedFile[] items = [.. files.Select(f => new BatchedFile(f.Index, (uint)f.Content.Length, f.Hash))];
        byte[] payload = Wire.MessageCodecs.EncodeFileBatch(items, [.. files.SelectMany(f => f.Content)]);
        return [(byte)BatchEncoding.Raw, .. payload];
    }

    [Fact]
    public async Task A_tree_of_small_files_arrives_whole_through_batches()
    {
        using var dir = new TempDir();
        string top = dir.Combine("src", "tree");
        for (int i = 0; i < 300; i++)
        {
            TransferKit.WriteRandom(Path.Combine(top, $"d{i % 7}", $"f{i:000}.bin"), 1 + (i * 37 % 3000), i);
        }

        TransferKit.WriteRandom(Path.Combine(top, "d1", "empty.bin"), 0, 0);
        TransferKit.WriteRandom(Path.Combine(top, "d2", "larger.bin"), 40_000, 999); // over a quarter of the 64 KiB chunk
        SourcePlan plan = SourceScanner.Scan([top], 64 * 1024, followSymlinks: false, _ => { });
        string outRoot = dir.Combine("out");

        (RecordingObserver sender, RecordingObserver receiver, TransferSummary sent, TransferSummary received) =
            await TransferKit.TransferWithResumeAsync(plan, outRoot, include: (i, e) => !e.Path.EndsWith("5.bin", StringComparison.Ordinal));

        string[] expected = [.. plan.Offer.Entries.Where(e => e.Type == EntryType.File && !e.Path.EndsWith("5.bin", StringComparison.Ordinal)).Select(e => e.Path)];
        Assert.Equal(expected.Length, sent.Files);
        Assert.Equal(expected.Length, received.Files);
        Assert.Equal(expected.Order(StringComparer.Ordinal), sender.Completed.Select(c => c.Path).Order(StringComparer.Ordinal));
        Assert.Equal(sender.Completed.ToDictionary(c => c.Path, c => c.Hash), receiver.Completed.ToDictionary(c => c.Path.Replace('\\', '/'), c => c.Hash));
        foreach (string path in expected)
        {
            string relative = path["tree/".Length..];
            Assert.Equal(File.ReadAllBytes(Path.Combine(top, relative)), File.ReadAllBytes(Path.Combine(outRoot, "tree", relative)));
        }

        Assert.Equal(expected.Length, Directory.GetFiles(Path.Combine(outRoot, "tree"), "*", SearchOption.AllDirectories).Length); // nothing else: no part, no sidecar
        Assert.Empty(receiver.Notices);
    }

    [Fact]
    public async Task A_batch_with_good_files_is_saved_and_each_file_reported()
    {
        using var dir = new TempDir();
        string outRoot = dir.Combine("out");
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        var observer = new RecordingObserver();
        var receiver = new TransferReceiver(pair.ReceiverPort, observer);
        TransferOffer offer = TwoFiles(batches: true);
        byte[] body = new byte[offer.GetSize()];
        offer.Write(body);
        await pair.Initiator.SendAsync(RecordKind.Offer, body, CancellationToken.None);
        TransferOffer got = await receiver.ReceiveOfferAsync(CancellationToken.None).WithTimeout();
        Assert.True(got.Batches);
        await receiver.AcceptAsync(CancellationToken.None);
        Task<TransferSummary> receive = receiver.ReceiveFilesAsync(got, new OutputDirectory(outRoot, false), CancellationToken.None);
        await pair.Initiator.SendAsync(RecordKind.FileBatch, Batch((1, A, Hash(A)), (2, B, Hash(B))), CancellationToken.None);
        await pair.Initiator.SendAsync(RecordKind.End, ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        TransferSummary summary = await receive.WithTimeout();
        Assert.Equal(2, summary.Files);
        Assert.Equal(A, File.ReadAllBytes(Path.Combine(outRoot, "d", "a.bin")));
        Assert.Equal(B, File.ReadAllBytes(Path.Combine(outRoot, "d", "b.bin")));
        Assert.Equal(2, observer.Reports.Count);
    }

    [Fact]
    public async Task A_wrong_hash_in_a_batch_stops_the_receive_and_that_file_is_not_saved()
    {
        using var dir = new TempDir();
        (TallowException ex, string outRoot) = await TransferKit.HostileSenderAsync(dir, TwoFiles(batches: true), channel =>
            channel.SendAsync(RecordKind.FileBatch, Batch((1, A, Hash(A)), (2, B, Hash(A))), CancellationToken.None).AsTask());
        Assert.Equal(FailureKind.Error, ex.Kind);
        Assert.Contains("verification", ex.Message, StringComparison.Ordinal);
        Assert.Equal(A, File.ReadAllBytes(Path.Combine(outRoot, "d", "a.bin"))); // verified before it: saved, as after its FileDone
        Assert.Equal(["a.bin"], Directory.GetFiles(Path.Combine(outRoot, "d")).Select(Path.GetFileName));
    }

    public static TheoryData<string, bool, OfferCompression, byte[]> HostileBatches() => new()
    {
        { "out of order", true, OfferCompression.None, Batch((2, B, Hash(B)), (1, A, Hash(A))) },
        { "an index not offered", true, OfferCompression.None, Batch((1, A, Hash(A)), (7, B, Hash(B))) },
        { "a folder", true, OfferCompression.None, Batch((0, A, Hash(A))) },
        { "twice the same file", true, OfferCompression.None, Batch((1, A, Hash(A)), (1, A, Hash(A))) },
        { "a size that is not offered", true, OfferCompression.None, Batch((1, B, Hash(B))) },
        { "not announced in the offer", false, OfferCompression.None, Batch((1, A, Hash(A)), (2, B, Hash(B))) },
        { "zstd without compression in the offer", true, OfferCompression.None, [(byte)BatchEncoding.Zstd, .. Batch((1, A, Hash(A)))[1..]] },
        { "an unknown encoding", true, OfferCompression.None, [7, .. Batch((1, A, Hash(A)))[1..]] },
        { "a zstd frame that is not one", true, OfferCompression.Zstd, [(byte)BatchEncoding.Zstd, 1, 2, 3, 4, 5, 6, 7, 8] },
        { "a payload that does not add up", true, OfferCompression.None, Batch((1, A, Hash(A)))[..^1] },
        { "an empty body", true, OfferCompression.None, [] },
    };

    [Theory]
    [MemberData(nameof(HostileBatches))]
    public async Task A_batch_that_does_not_match_the_plan_breaks_the_protocol_and_nothing_is_saved(string what, bool batches, OfferCompression compression, byte[] body)
    {
        using var dir = new TempDir();
        (TallowException ex, string outRoot) = await TransferKit.HostileSenderAsync(dir, TwoFiles(batches, compression), channel =>
            channel.SendAsync(RecordKind.FileBatch, body, CancellationToken.None).AsTask());
        Assert.True(ex.Kind == FailureKind.Error && ex.Message.Contains("broke the protocol", StringComparison.Ordinal), $"{what}: {ex.Message}");
        Assert.False(File.Exists(Path.Combine(outRoot, "d", "a.bin")) || File.Exists(Path.Combine(outRoot, "d", "b.bin")), what); // (a per-file receive keeps its part for a resume)
    }
}
