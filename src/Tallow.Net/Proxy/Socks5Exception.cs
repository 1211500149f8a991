// SOCKS5 client failures (RFC 1928, RFC 1929), classified so the session can say what happened
// and what to do. Messages name the proxy as host:port only; they never contain credentials.
namespace Tallow.Net.Proxy;

public enum Socks5FailureKind
{
    /// <summary>No TCP connection to the proxy (nothing listening, unreachable) or it broke.</summary>
    Unreachable,

    /// <summary>The proxy did not answer (or the destination did not connect) in time.</summary>
    Timeout,

    /// <summary>The proxy wants a username and password and none were given (method 0xFF to "no auth").</summary>
    AuthRequired,

    /// <summary>The proxy rejected the username/password (RFC 1929 status ≠ 0) or accepted no offered method.</summary>
    AuthFailed,

    /// <summary>The proxy answered the CONNECT with a reply code other than succeeded (RFC 1928 §6).</summary>
    Refused,

    /// <summary>The other end does not speak SOCKS5, or sent a truncated or malformed reply.</summary>
    Protocol,
}

public sealed class Socks5Exception : Exception
{
    public Socks5Exception()
        : this(Socks5FailureKind.Protocol, "SOCKS5 error")
    {
    }

    public Socks5Exception(string message)
        : this(Socks5FailureKind.Protocol, message)
    {
    }

    public Socks5Exception(string message, Exception innerException)
        : this(Socks5FailureKind.Protocol, message, null, innerException)
    {
    }

    public Socks5Exception(Socks5FailureKind kind, string message, byte? replyCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        ReplyCode = replyCode;
    }

    public Socks5FailureKind Kind { get; }

    /// <summary>The REP field of the proxy's CONNECT reply when <see cref="Kind"/> is Refused.</summary>
    public byte? ReplyCode { get; }

    /// <summary>RFC 1928 §6 reply codes (and Tor's extended onion-service codes) in words.</summary>
    public static string DescribeReply(byte code) => code switch
    {
        0x00 => "succeeded",
        0x01 => "general SOCKS server failure",
        0x02 => "connection not allowed by the proxy's rules",
        0x03 => "network unreachable",
        0x04 => "host unreachable",
        0x05 => "connection refused by the destination",
        0x06 => "TTL expired",
        0x07 => "command not supported",
        0x08 => "address type not supported",
        0xF0 => "onion service descriptor not found",
        0xF1 => "onion service descriptor invalid",
        0xF2 => "onion service introduction failed",
        0xF3 => "onion service rendezvous failed",
        0xF4 => "onion service client authorization missing",
        0xF5 => "onion service client authorization wrong",
        0xF6 => "invalid onion address",
        0xF7 => "onion service introduction timed out",
        _ => $"unknown reply code 0x{code:x2}",
    };
}
