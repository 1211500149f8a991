// Sending a Reject or Cancel record ({reason, text}); a Cancel is best effort because the
// peer may already be gone when something went wrong.
using Tallow.Wire;

namespace Tallow.Protocol.Records;

public static class ReasonRecords
{
    public static async Task SendReasonAsync(this SecureChannel channel, RecordKind kind, CancelReason reason, string text, CancellationToken ct)
    {
        try
        {
            var message = new ReasonMessage(reason, text);
            byte[] body = new byte[message.GetSize()];
            message.Write(body);
            await channel.SendAsync(kind, body, ct).ConfigureAwait(false);
        }
        catch (TallowException) when (kind == RecordKind.Cancel)
        {
            // Best effort: the local error is what matters.
        }
    }
}
