// Flow control per stream (protocol.md "Flow control"; the idea of SSH channel windows, RFC 4254
// §5.2, and HTTP/2 stream windows, RFC 9113 §5.2). Both sides know each stream's window; a
// record costs its body length plus a fixed overhead, so empty records (End) count too.
// The sender may have at most Window bytes unacknowledged, or one record of any size when
// nothing is outstanding (a chunk larger than the window still moves, one at a time). The
// receiver gives bytes back with WindowUpdate once the consumer has taken them. Transfer and
// Sync windows grow (WindowGrowth) on long fat paths: the receiver grants more than it freed.
using Tallow.Wire;

namespace Tallow.Protocol.Session;

public static class FlowWindows
{
    /// <summary>Counted per record on top of its body, so a flood of empty records is bounded too.</summary>
    public const int RecordCost = 64;

    /// <summary>
    /// File content, at the start: 4 MiB is four default chunks; it fills a 50 ms path at 80 MB/s
    /// (100 Mbit/s needs 1 MB at 80 ms). Longer, faster paths grow it up to TransferWindowMax.
    /// (Plus 4 KiB, so four whole chunks with their record cost fit.)
    /// </summary>
    public const int TransferWindow = (4 * 1024 * 1024) + 4096;

    /// <summary>
    /// The most a Transfer or Sync window grows to (three doublings): 1 Gbit/s at 80 ms round trip
    /// is a 10 MB bandwidth-delay product, and the window must also cover the socket buffers on the
    /// way (twice on the relay path). It is also the most a receiver buffers when its disk stalls
    /// after the window grew, so a receiver's memory stays within about 32 MiB more than at the start.
    /// </summary>
    public const int TransferWindowMax = 8 * TransferWindow;

    /// <summary>Chat: sixteen of the longest messages.</summary>
    public const int ChatWindow = 16 * (ChatTextMessage.MaxTextBytes + RecordCost);

    /// <summary>Sync: index, plan and needs blobs and chunk content share one window like a transfer's.</summary>
    public const int SyncWindow = TransferWindow;

    /// <summary>
    /// Clipboard: four pieces of 256 KiB (ClipChannel.PieceSize) with their headers, so a 16 MiB
    /// image streams without ever being more than 1 MiB ahead of the receiver's consumer.
    /// </summary>
    public const int ClipWindow = 4 * ((256 * 1024) + 128 + RecordCost);

    public static int WindowOf(FlowStream stream) => stream switch
    {
        FlowStream.Transfer => TransferWindow,
        FlowStream.Sync => SyncWindow,
        FlowStream.Clip => ClipWindow,
        _ => ChatWindow,
    };

    /// <summary>The largest the window of <paramref name="stream"/> may grow to (chat and clipboard do not grow).</summary>
    public static int MaxWindowOf(FlowStream stream) => stream is FlowStream.Transfer or FlowStream.Sync ? TransferWindowMax : WindowOf(stream);

    public static int CostOf(int bodyLength) => bodyLength + RecordCost;
}
