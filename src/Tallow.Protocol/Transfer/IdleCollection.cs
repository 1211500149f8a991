// A full collection at a moment one side waits for the other anyway. Scanning or planning a
// large tree leaves megabytes of garbage beside the offer, and the next large array (the
// answer's read buffer, the first batches) then started a blocking full collection on the
// critical path: 30 ms on the sender of 20,000 files right before its first batch, 40 ms on the
// receiver of 100,000 in the middle of the transfer (perf, by time). The sender collects once its
// offer is sent (the receiver is reading it), the receiver once it has answered (the sender is
// setting up the direct path and reading its first files).
namespace Tallow.Protocol.Transfer;

internal static class IdleCollection
{
    /// <summary>Offers with fewer entries leave too little garbage to be worth a collection.</summary>
    public const int MinEntries = 2000;

    /// <summary>Collects (non-compacting, every generation) when the offer is large.</summary>
    public static void AfterOffer(int entries)
    {
        if (entries >= MinEntries)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
        }
    }
}
