// "Lost" versus "left" (DESIGN.md §13, protocol.md "Resumption"): a session whose connection was
// lost (a network failure: reset, end of stream without Leave, silence past the receive timeout)
// may be resumed without a new code; one the peer left on purpose (Leave), that this side closed
// (Ctrl-C, LeaveAsync, dispose) or that a record failing authentication stopped, may not.
namespace Tallow.Protocol.Session;

public static class ConnectionLoss
{
    /// <summary>True when <paramref name="records"/>' read loop ended because the connection was lost.</summary>
    public static bool IsLost(RecordSession records)
    {
        ArgumentNullException.ThrowIfNull(records);
        return records.Ended.IsCompletedSuccessfully
            && !records.PeerLeft.IsCompleted
            && records.Ended.Result is TallowException { Kind: FailureKind.Network };
    }

    /// <summary>
    /// The "what happened" part of a failure's text, without the advice after it (messages read
    /// "what happened: what to do"), e.g. "the peer sent nothing for 60 s".
    /// </summary>
    public static string Describe(Exception reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        string text = reason.Message;
        int depth = 0;
        for (int i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth = Math.Max(0, depth - 1);
                    break;
                case ':' when depth == 0:
                    return text[..i];
            }
        }

        return text.TrimEnd('.');
    }
}
