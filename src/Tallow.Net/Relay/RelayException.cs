// Relay client failures, classified so the CLI can pick an exit code (DESIGN.md §12):
// AuthRequired/AuthFailed → 6, everything else → 4. Messages say what happened and what to
// do; they never contain the relay password.
using Tallow.Wire;

namespace Tallow.Net;

public enum RelayFailureKind
{
    /// <summary>No TCP connection could be made (refused, unreachable, unknown host) or it broke.</summary>
    Unreachable,

    /// <summary>The connect/handshake timed out, or the relay closed a room after its timeout.</summary>
    Timeout,
    AuthRequired,
    AuthFailed,
    NoSuchRoom,
    RoomFull,
    NameplateInUse,

    /// <summary>The relay refused service: connection or room limit, rate limit, shutting down.</summary>
    Refused,

    /// <summary>The peer is not a Tallow relay, speaks another version, or broke the protocol.</summary>
    Protocol,

    /// <summary>The code belongs to a chat room (a routing room), and this command expected a pair.</summary>
    ChatRoom,

    /// <summary>TLS failed (DESIGN.md §5.8): untrusted certificate, fingerprint mismatch, or TLS on one side only.</summary>
    Tls,
}

public sealed class RelayException : Exception
{
    public RelayException()
        : this(RelayFailureKind.Protocol, "relay error")
    {
    }

    public RelayException(string message)
        : this(RelayFailureKind.Protocol, message)
    {
    }

    public RelayException(string message, Exception innerException)
        : this(RelayFailureKind.Protocol, message, null, innerException)
    {
    }

    public RelayException(RelayFailureKind kind, string message, RelayErrorCode? code = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        Code = code;
    }

    public RelayFailureKind Kind { get; }

    /// <summary>The relay's Error code when the failure came from an Error frame.</summary>
    public RelayErrorCode? Code { get; }

    /// <summary>Maps an Error frame from the relay to a failure with an actionable message.</summary>
    public static RelayException FromRelayError(string relay, ErrorMessage error)
    {
        string detail = error.Message.Length == 0 ? error.Code.ToString() : error.Message;
        (RelayFailureKind kind, string message) = error.Code switch
        {
            RelayErrorCode.AuthRequired => (RelayFailureKind.AuthRequired,
                $"the relay at {relay} requires a password: pass --relay-pass (or set TALLOW_RELAY_PASS)"),
            RelayErrorCode.AuthFailed => (RelayFailureKind.AuthFailed,
                $"the relay at {relay} rejected the relay password: check --relay-pass (or TALLOW_RELAY_PASS)"),
            RelayErrorCode.NoSuchRoom => (RelayFailureKind.NoSuchRoom,
                $"nobody is waiting with this code on the relay at {relay} ({detail}): check the code, the relay address, and that the sender is still waiting"),
            RelayErrorCode.RoomFull when detail.Contains("chat room", StringComparison.Ordinal) => (RelayFailureKind.RoomFull,
                $"the relay at {relay} says {detail}: ask someone in the room, or open a new one"),
            RelayErrorCode.RoomFull => (RelayFailureKind.RoomFull,
                $"this code is already in use by two peers on the relay at {relay}: ask the sender for a new code"),
            RelayErrorCode.NameplateInUse => (RelayFailureKind.NameplateInUse,
                $"the relay at {relay} says {detail}"),
            RelayErrorCode.Timeout => (RelayFailureKind.Timeout,
                $"the relay at {relay} timed out the session ({detail})"),
            RelayErrorCode.TooManyRooms or RelayErrorCode.TooManyConnections or RelayErrorCode.RateLimited or RelayErrorCode.ShuttingDown =>
                (RelayFailureKind.Refused, $"the relay at {relay} refused service ({detail})"),
            RelayErrorCode.TlsRequired => (RelayFailureKind.Tls,
                $"the relay at {relay} speaks TLS only: use --relay tls://{relay} (and --relay-fingerprint with the fingerprint it prints, if its certificate is self-signed)"),
            RelayErrorCode.VersionMismatch => (RelayFailureKind.Protocol,
                $"the relay at {relay} speaks another protocol version ({detail})"),
            _ => (RelayFailureKind.Protocol,
                $"the relay at {relay} reported a protocol error ({detail}): make sure client and relay run the same Tallow version"),
        };
        return new RelayException(kind, message, error.Code);
    }
}
