// Content bytes moved in this session, out of a total that grows when files are sent again
// (Resend); shared by both sides so their progress reads the same.
namespace Tallow.Protocol.Transfer;

internal sealed class TransferProgress(ITransferObserver observer, long? total)
{
    public long Done { get; private set; }

    public long? Total { get; private set; } = total;

    public void Add(long bytes)
    {
        Done += bytes;
        observer.OnProgress(Done, Total);
    }

    public void Grow(long bytes) => Total += bytes;
}
