// Sending a record of {reason, text} (Reject, Cancel, ReceiverCancel, Leave); a cancel is best
// effort because the peer may already be gone when something went wrong.
using Tallow.Protocol.Session;
using Tallow.Wire;

namespace Tallow.Protocol.Records;

public static class ReasonRecords
{
    public static Task SendReasonAsync(this RecordPort port, RecordKind kind, CancelReason reason, string text, CancellationToken ct) =>
        port.Session.SendReasonAsync(kind, reason, text, ct);

    public static async Task SendReasonAsync(this RecordSession session, RecordKind kind, CancelReason reason, string text, CancellationToken ct)
    {
        try
        {
            var message = new ReasonMessage(reason, text);
            byte[] body = new byte[message.GetSize()];
            message.Write(body);
            await session.SendAsync(kind, body, ct).ConfigureAwait(false);
        }
        catch (TallowException) when (kind is RecordKind.Cancel or RecordKind.ReceiverCancel)
        {
            // Best effort: the local error is what matters.
        }
    }
}
