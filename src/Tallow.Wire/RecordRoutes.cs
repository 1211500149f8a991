// Which part of a session owns each record kind (DESIGN.md §13, protocol.md "Record kinds").
// The session's one read loop dispatches by this table; nothing else decides where a record
// goes. Groups are named from the receiving side: records the peer sends as a transfer's
// sender (offer, data, hashes, end, cancel) are IncomingTransfer; its answers as a receiver
// (accept, reject, done, resend, its cancel) are OutgoingTransfer, so a chat can carry one
// transfer in each direction at once on the same kinds.
namespace Tallow.Wire;

public enum RecordGroup : byte
{
    /// <summary>Consumed by the read loop itself: keep-alive, window updates, leave.</summary>
    Session = 0,

    /// <summary>The direct-path negotiation (P2PNegotiator).</summary>
    Path = 1,

    /// <summary>A transfer the peer sends to this side.</summary>
    IncomingTransfer = 2,

    /// <summary>The peer's answers to a transfer this side sends.</summary>
    OutgoingTransfer = 3,

    Chat = 4,

    /// <summary>Sync and watch rounds, in both directions (only one sync runs in a session).</summary>
    Sync = 5,

    /// <summary>The safety-number comparison right after the handshake (SafetyCheck).</summary>
    Safety = 6,

    /// <summary>A chat room pair's names and member lists (RoomHello, RoomView).</summary>
    Room = 7,

    /// <summary>Clipboard contents and their answers, in both directions (tallow clip).</summary>
    Clip = 8,

    /// <summary>The SSH public-key exchange (tallow ssh invite / accept).</summary>
    Ssh = 9,
}

public static class RecordRoutes
{
    public const int GroupCount = 10;

    /// <summary>The owner of <paramref name="kind"/>; false for a kind this version does not know.</summary>
    public static bool TryGetGroup(RecordKind kind, out RecordGroup group)
    {
        group = kind switch
        {
            RecordKind.KeepAlive or RecordKind.WindowUpdate or RecordKind.Leave => RecordGroup.Session,
            RecordKind.P2PIntent or RecordKind.P2PCandidates or RecordKind.P2PSelect or RecordKind.P2PSwitched => RecordGroup.Path,
            RecordKind.Offer or RecordKind.Data or RecordKind.DataZstd or RecordKind.FileDone or RecordKind.End or RecordKind.Cancel or RecordKind.FileBatch => RecordGroup.IncomingTransfer,
            RecordKind.Accept or RecordKind.Reject or RecordKind.Done or RecordKind.Resend or RecordKind.ReceiverCancel => RecordGroup.OutgoingTransfer,
            RecordKind.ChatMessage => RecordGroup.Chat,
            >= RecordKind.SyncRound and <= RecordKind.SyncStop => RecordGroup.Sync,
            RecordKind.SafetyCheck => RecordGroup.Safety,
            RecordKind.RoomHello or RecordKind.RoomView => RecordGroup.Room,
            RecordKind.ClipContent or RecordKind.ClipAnswer => RecordGroup.Clip,
            RecordKind.SshKey or RecordKind.SshKeyResult => RecordGroup.Ssh,
            _ => (RecordGroup)255,
        };
        return (byte)group < GroupCount;
    }

    /// <summary>
    /// Bulk records: file content. Only these wait for --throttle and count against a stream's
    /// flow-control window; every other kind is control and is never held back by them.
    /// </summary>
    public static bool IsBulk(RecordKind kind) => kind is RecordKind.Data or RecordKind.DataZstd or RecordKind.FileBatch or RecordKind.SyncData or RecordKind.ClipContent;

    /// <summary>
    /// The flow-controlled stream a record travels on, or null for control records. The receiver
    /// grants each stream a window (WindowUpdate); the sender never has more unacknowledged
    /// bytes on it than granted, so the receiving read loop never blocks on a slow consumer.
    /// </summary>
    public static FlowStream? StreamOf(RecordKind kind) => kind switch
    {
        RecordKind.Data or RecordKind.DataZstd or RecordKind.FileBatch or RecordKind.FileDone or RecordKind.End => FlowStream.Transfer,
        RecordKind.ChatMessage => FlowStream.Chat,
        RecordKind.SyncIndex or RecordKind.SyncPlan or RecordKind.SyncNeed or RecordKind.SyncData or RecordKind.SyncEnd => FlowStream.Sync,
        RecordKind.ClipContent => FlowStream.Clip,
        _ => null,
    };
}

public enum FlowStream : byte
{
    Transfer = 1,
    Chat = 2,
    Sync = 3,
    Clip = 4,
}
