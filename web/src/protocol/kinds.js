// Record kinds (src/Tallow.Wire/RecordMessages.cs) and the ones the web page speaks. Anything
// else from the peer (chat, sync, clipboard, SSH, DataZstd) ends the session as a protocol error:
// the page advertises only what it implements (docs/protocol.md "Web peers").
export const Kind = Object.freeze({
  KeepAlive: 1, Offer: 2, Accept: 3, Reject: 4, Data: 5, FileDone: 6, End: 7, Done: 8, Cancel: 9,
  P2PIntent: 10, P2PCandidates: 11, P2PSelect: 12, P2PSwitched: 13, DataZstd: 14, Resend: 15,
  ReceiverCancel: 16, WindowUpdate: 17, Leave: 18, SafetyCheck: 28, FileBatch: 35,
});

/** Kinds that travel on the Transfer flow-control stream (stream id 1). */
export const TRANSFER_STREAM_KINDS = new Set([Kind.Data, Kind.DataZstd, Kind.FileBatch, Kind.FileDone, Kind.End]);
export const TRANSFER_STREAM = 1;

export const CancelReason = Object.freeze({ Declined: 1, Cancelled: 2, FileSystem: 3, Protocol: 4, Integrity: 5 });

/** P2PIntent version byte a web peer sends with intent 0: "a browser: relay only" (see docs/protocol.md). */
export const P2P_WEB_VERSION = 0x80;
