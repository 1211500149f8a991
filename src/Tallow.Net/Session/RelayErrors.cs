// Maps relay failures to the CLI's exit-code classes (DESIGN.md §12).
using Tallow.Protocol;

namespace Tallow.Net.Session;

public static class RelayErrors
{
    public static TallowException ToTallow(RelayException ex)
    {
        FailureKind kind = ex.Kind switch
        {
            RelayFailureKind.AuthRequired or RelayFailureKind.AuthFailed => FailureKind.Authentication,
            RelayFailureKind.NoSuchRoom => FailureKind.Authentication,
            RelayFailureKind.ChatRoom => FailureKind.Usage,
            _ => FailureKind.Network,
        };
        string message = ex.Kind switch
        {
            RelayFailureKind.NoSuchRoom => "no sender is waiting under this code's number: check the code phrase, or ask the sender to run 'tallow send' again.",
            RelayFailureKind.RoomFull when ex.Message.Contains("chat room", StringComparison.Ordinal) => ex.Message + ".",
            RelayFailureKind.RoomFull => "someone else already joined this transfer: ask the sender for a new code.",
            RelayFailureKind.NameplateInUse => "this code's number is in use on the relay: choose another --code.",
            _ => ex.Message,
        };
        return new TallowException(kind, message, ex);
    }
}
