// In-process sync rounds over a real session (ChannelPair: loopback TCP, real handshake, record
// sessions): the sender's SyncSender and the receiver's SyncReceiver run one round against each
// other, with the decision the test gives.
using Tallow.Protocol.Sync;
using Tallow.Protocol.Transfer;
using Tallow.Protocol.Transfer.Compression;
using Tallow.Tests.Protocol;
using Tallow.Wire;

namespace Tallow.Tests.Sync;

internal sealed class SyncPair : IAsyncDisposable
{
    private readonly ChannelPair _pair;
    private uint _round;

    private SyncPair(ChannelPair pair, string mirror, string? backup)
    {
        _pair = pair;
        Mirror = mirror;
        SenderLink = new SyncLink(pair.InitiatorRecords.Port(RecordGroup.Sync));
        ReceiverLink = new SyncLink(pair.ResponderRecords.Port(RecordGroup.Sync));
        Receiver = new SyncReceiver(ReceiverLink, mirror, backup, _receiverObserver);
    }

    public string Mirror { get; }

    public SyncLink SenderLink { get; }

    public SyncLink ReceiverLink { get; }

    public SyncReceiver Receiver { get; }

    /// <summary>The sender's observer of the latest round (progress starts again each round).</summary>
    public RecordingObserver SenderObserver { get; private set; } = new();

    private readonly RoundObserver _receiverObserver = new();

    /// <summary>The receiver's observer of the latest round.</summary>
    public RecordingObserver ReceiverObserver => _receiverObserver.Current;

    public List<string> Warnings { get; } = [];

    public static async Task<SyncPair> CreateAsync(string mirror, string? backup = null) => new(await ChannelPair.CreateAsync(), mirror, backup);

    /// <summary>One round over <paramref name="scope"/>; the receiver applies whatever the plan says unless <paramref name="decide"/> says otherwise.</summary>
    public async Task<(SyncRoundResult Sent, SyncRoundReport? Received)> RoundAsync(
        string source, bool delete = false, IReadOnlyList<string>? scope = null, Func<SyncReview, SyncDecision>? decide = null, bool planOnly = false)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        SenderObserver = new RecordingObserver();
        _receiverObserver.Current = new RecordingObserver();
        var sender = new SyncSender(SenderLink, SenderObserver, CompressionMode.Auto);
        Task<SyncRoundResult> sent = sender.RunRoundAsync(++_round, source, scope ?? [], delete, planOnly, Warnings.Add, timeout.Token);
        Task<SyncRoundReport?> received = Receiver.RunRoundAsync((review, _) => Task.FromResult(decide?.Invoke(review) ?? SyncDecision.Go), timeout.Token);
        await Task.WhenAny(Task.WhenAll(sent, received), Task.Delay(Timeout.Infinite, timeout.Token));
        if (received.IsFaulted && !sent.IsCompletedSuccessfully)
        {
            await received; // the receiver's own error explains the sender's
        }

        return (await sent, await received);
    }

    public ValueTask DisposeAsync() => _pair.DisposeAsync();
}

/// <summary>Forwards to the observer of the current round: progress starts from zero each round.</summary>
internal sealed class RoundObserver : ITransferObserver
{
    public RecordingObserver Current { get; set; } = new();

    public void OnProgress(long bytesDone, long? totalBytes) => Current.OnProgress(bytesDone, totalBytes);

    public void OnFileCompleted(FileReport file) => Current.OnFileCompleted(file);

    public void OnResume(string path, long offset, long size) => Current.OnResume(path, offset, size);

    public void OnNotice(string message) => Current.OnNotice(message);
}

internal static class SyncAssert
{
    /// <summary>Relative path → (SHA-256 or "dir", mode, mtime ticks), leaving out the mirror's state folder.</summary>
    public static SortedDictionary<string, string> Tree(string root)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (FileSystemInfo info in new DirectoryInfo(root).EnumerateFileSystemInfos("*", SearchOption.AllDirectories)) // hidden entries included
        {
            string relative = Path.GetRelativePath(root, info.FullName).Replace('\\', '/');
            if (relative == SyncTree.StateFolder || relative.StartsWith(SyncTree.StateFolder + "/", StringComparison.Ordinal))
            {
                continue;
            }

            string content = info is DirectoryInfo ? "dir" : Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(info.FullName)));
            string time = info is DirectoryInfo ? string.Empty : $" t{info.LastWriteTimeUtc.Ticks}";
            result[relative] = $"{content} m{Convert.ToString((int)File.GetUnixFileMode(info.FullName), 8)}{time}";
        }

        return result;
    }

    public static void SameTree(string source, string mirror)
    {
        SortedDictionary<string, string> expected = Tree(source);
        SortedDictionary<string, string> actual = Tree(mirror);
        static string Show(SortedDictionary<string, string> t) => string.Join("\n", t.Select(kv => $"  {kv.Key} {kv.Value}"));
        Assert.True(expected.SequenceEqual(actual), $"mirror differs.\nsource:\n{Show(expected)}\nmirror:\n{Show(actual)}");
    }
}
