// Content bytes moved in this session, out of a total that grows when files are sent again
// (Resend), and the bytes of content records that crossed the wire for them (after
// compression, including a resumed file that had to be discarded). Shared by both sides so
// their progress and summaries read the same.
namespace Tallow.Protocol.Transfer;

/// <summary>
/// What one session moved: distinct files completed, content bytes (a file sent again counts
/// again) and content-record bytes on the wire.
/// </summary>
public readonly record struct TransferSummary(int Files, long Bytes, long WireBytes);

internal sealed class TransferProgress(ITransferObserver observer, long? total)
{
    public long Done { get; private set; }

    public long? Total { get; private set; } = total;

    public long WireBytes { get; private set; }

    public void Add(long contentBytes, long wireBytes)
    {
        Done += contentBytes;
        WireBytes += wireBytes;
        observer.OnProgress(Done, Total);
    }

    public void Grow(long bytes) => Total += bytes;

    public TransferSummary Summary(int files) => new(files, Done, WireBytes);
}
