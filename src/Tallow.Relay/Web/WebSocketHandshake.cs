// The server side of the WebSocket opening handshake (RFC 6455 §4.2) for GET /ws. A request is
// accepted only with Upgrade: websocket, Connection listing "upgrade", Sec-WebSocket-Version 13
// and a Sec-WebSocket-Key of 16 base64 bytes. Origin (sent by every browser) must name this
// page's own host and port (the Host header; http or https, for TLS-terminating proxies), so a page from another site cannot use a visitor's browser as a
// relay client; a request without Origin is not from a browser page and is allowed. No
// subprotocol or extension is negotiated (no permessage-deflate).
using System.Security.Cryptography;
using System.Text;

namespace Tallow.Relay.Web;

internal enum HandshakeStatus
{
    Ok,

    /// <summary>400: not a valid WebSocket upgrade.</summary>
    BadRequest,

    /// <summary>426: a WebSocket version other than 13.</summary>
    UpgradeRequired,

    /// <summary>403: a page from another origin.</summary>
    CrossOrigin,
}

internal static class WebSocketHandshake
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>Checks an upgrade request; on Ok, <paramref name="accept"/> is the Sec-WebSocket-Accept value.</summary>
    public static HandshakeStatus Validate(HttpRequestHead request, bool tls, out string accept)
    {
        accept = string.Empty;
        if (request.Method != "GET" || !request.HasToken("Upgrade", "websocket") || !request.HasToken("Connection", "upgrade")
            || request.Header("Host") is not { Length: > 0 } host || request.Count("Sec-WebSocket-Key") != 1)
        {
            return HandshakeStatus.BadRequest;
        }

        if (request.Header("Sec-WebSocket-Version") != "13")
        {
            return HandshakeStatus.UpgradeRequired;
        }

        string key = request.Header("Sec-WebSocket-Key")!;
        Span<byte> decoded = stackalloc byte[18];
        if (!Convert.TryFromBase64String(key, decoded, out int length) || length != 16)
        {
            return HandshakeStatus.BadRequest;
        }

        if (request.Count("Origin") > 1 || (request.Header("Origin") is string origin && !SameOrigin(origin, host, tls)))
        {
            return HandshakeStatus.CrossOrigin;
        }

        accept = Accept(key);
        return HandshakeStatus.Ok;
    }

    /// <summary>Sec-WebSocket-Accept for <paramref name="key"/>: base64(SHA-1(key + the RFC's GUID)).</summary>
    public static string Accept(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));

    /// <summary>
    /// Whether <paramref name="origin"/> is http(s)://host[:port] of the page the browser loaded from this server.
    /// The scheme is not compared with ours: behind a TLS-terminating proxy the page is https while this port is
    /// plain, and a page of the same host and port is this server's page under either scheme.
    /// </summary>
    internal static bool SameOrigin(string origin, string host, bool tls)
    {
        _ = tls;
        string? authority = origin.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? Normalise(origin["https://".Length..], ":443")
            : origin.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? Normalise(origin["http://".Length..], ":80")
            : null;
        return authority is not null && authority.Length > 0
            && (string.Equals(authority, Normalise(host, ":443"), StringComparison.OrdinalIgnoreCase)
                || string.Equals(authority, Normalise(host, ":80"), StringComparison.OrdinalIgnoreCase));
    }

    // Browsers leave the default port out of Origin, while a Host header may carry it.
    private static string Normalise(string authority, string defaultPort) =>
        authority.EndsWith(defaultPort, StringComparison.Ordinal) ? authority[..^defaultPort.Length] : authority;
}
