// What one part of a session (a transfer, the path negotiation, chat) holds: its own inbox of
// received records and the session's send side. A new feature needs only a port and its own
// protocol; it never reads the channel itself.
using Tallow.Protocol.Records;
using Tallow.Wire;

namespace Tallow.Protocol.Session;

public sealed class RecordPort
{
    private readonly RecordSession _session;
    private readonly RecordInbox _inbox;

    internal RecordPort(RecordSession session, RecordInbox inbox)
    {
        _session = session;
        _inbox = inbox;
    }

    public RecordSession Session => _session;

    /// <summary>Limits the sealed bytes of bulk records this part takes (receive --throttle): the peer slows through the window.</summary>
    public RateLimiter? ReceiveThrottle
    {
        get => _inbox.Throttle;
        set => _inbox.Throttle = value;
    }

    /// <summary>The next record for this part; its body is valid until the next call.</summary>
    public ValueTask<Record> ReceiveAsync(CancellationToken ct) => _inbox.ReceiveAsync(ct);

    public ValueTask SendAsync(RecordKind kind, ReadOnlyMemory<byte> body, CancellationToken ct) => _session.SendAsync(kind, body, ct);

    public ValueTask SendAsync(RecordKind kind, ReadOnlyMemory<byte> body, Action afterSend, CancellationToken ct) => _session.SendAsync(kind, body, afterSend, ct);

    public ValueTask SendAsync(RecordBuffer buffer, RecordKind kind, int bodyLength, CancellationToken ct) => _session.SendAsync(buffer, kind, bodyLength, ct);

    /// <summary>After a record that pauses the read loop (a path switch point): reads continue, on whatever path is now current.</summary>
    public void ResumeReads() => _inbox.ResumeReads();
}
