// One exception type for every failure a user can meet, carrying the exit code class
// (DESIGN.md §12). Messages say what happened and what to do; they never hold secrets.
namespace Tallow.Protocol;

public enum FailureKind
{
    Error = 1,
    Usage = 2,
    Declined = 3,
    Network = 4,
    FileSystem = 5,
    Authentication = 6,
    Interrupted = 130,
}

public sealed class TallowException : Exception
{
    public TallowException(FailureKind kind, string message, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
    }

    public TallowException()
        : this(FailureKind.Error, "unknown error")
    {
    }

    public TallowException(string message)
        : this(FailureKind.Error, message)
    {
    }

    public TallowException(string message, Exception innerException)
        : this(FailureKind.Error, message, innerException)
    {
    }

    public FailureKind Kind { get; }

    public static TallowException WrongCode() => new(
        FailureKind.Authentication,
        "wrong code phrase (or tampering): the key confirmation failed. Check the code with the sender and try again with a fresh code.");

    public static TallowException PeerGone() => new(
        FailureKind.Network,
        "the connection to the peer was lost: check the network and try again.");
}
