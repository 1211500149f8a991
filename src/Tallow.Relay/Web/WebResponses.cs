// The HTTP responses of the web port, each whole in one buffer with Connection: close. Every
// response carries the security headers: a Content-Security-Policy that allows only this
// origin's own scripts, styles, workers and connections ('self' covers ws:/wss: to the same host
// in CSP Level 3 browsers), no framing, no MIME sniffing, no referrer (the share link's fragment
// never leaves the page anyway) and a same-origin opener policy. Files are sent with
// Cache-Control: no-cache and a strong ETag, so a browser revalidates (304) instead of running a
// stale bundle whose Subresource-Integrity hash no longer matches index.html.
using System.Text;

namespace Tallow.Relay.Web;

internal static class WebResponses
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data: blob:; "
        + "worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private const string SecurityHeaders =
        "Content-Security-Policy: " + ContentSecurityPolicy + "\r\n"
        + "X-Content-Type-Options: nosniff\r\n"
        + "Referrer-Policy: no-referrer\r\n"
        + "Cross-Origin-Opener-Policy: same-origin\r\n"
        + "Cross-Origin-Resource-Policy: same-origin\r\n"
        + "X-Frame-Options: DENY\r\n";

    /// <summary>The answer to GET or HEAD of a file: 200, 304 (If-None-Match), 404 or 405.</summary>
    public static byte[] ForFile(HttpRequestHead request, WebContent content)
    {
        bool head = request.Method == "HEAD";
        if (request.Method is not ("GET" or "HEAD"))
        {
            return Status(405, head);
        }

        if (content.Find(request.Path) is not WebFile file)
        {
            return Status(404, head);
        }

        string common = $"ETag: {file.ETag}\r\nCache-Control: no-cache\r\n";
        if (request.Header("If-None-Match") is string tags && MatchesETag(tags, file.ETag))
        {
            return Encoding.ASCII.GetBytes("HTTP/1.1 304 Not Modified\r\n" + common + SecurityHeaders + "Connection: close\r\n\r\n");
        }

        byte[] headBytes = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\n"
            + $"Content-Type: {file.ContentType}\r\nContent-Length: {file.Content.Length}\r\n" + common
            + SecurityHeaders + "Connection: close\r\n\r\n");
        return head ? headBytes : [.. headBytes, .. file.Content];
    }

    /// <summary>A status-only answer (errors) with a one-line text body.</summary>
    public static byte[] Status(int code, bool headOnly)
    {
        string reason = code switch
        {
            400 => "Bad Request",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            426 => "Upgrade Required",
            429 => "Too Many Requests",
            431 => "Request Header Fields Too Large",
            _ => "Error",
        };
        string extra = code switch
        {
            405 => "Allow: GET, HEAD\r\n",
            426 => "Sec-WebSocket-Version: 13\r\nUpgrade: websocket\r\n",
            429 => "Retry-After: 5\r\n",
            _ => string.Empty,
        };
        byte[] body = Encoding.ASCII.GetBytes($"{code} {reason}\n");
        byte[] head = Encoding.ASCII.GetBytes($"HTTP/1.1 {code} {reason}\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n"
            + $"Content-Length: {body.Length}\r\nCache-Control: no-store\r\n" + SecurityHeaders + "Connection: close\r\n\r\n");
        return headOnly ? head : [.. head, .. body];
    }

    public static byte[] SwitchingProtocols(string accept) => Encoding.ASCII.GetBytes(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + $"Sec-WebSocket-Accept: {accept}\r\n\r\n");

    private static bool MatchesETag(string header, string etag)
    {
        foreach (string part in header.Split(','))
        {
            string tag = part.Trim(' ', '\t');
            if (tag == "*" || tag == etag || tag == "W/" + etag)
            {
                return true;
            }
        }

        return false;
    }
}
