// Target "web-request": the request head a browser (or anyone) sends to the relay's web port
// (src/Tallow.Relay/Web): HttpRequestHead.TryParse, then what the server does with a parsed head:
// the WebSocket upgrade's checks and the mapping of the path to a file name. None may throw; a
// file name that comes out must be a plain relative path (no "..", no leading '/', no '\').
using System.Text;
using Tallow.Relay.Web;

namespace Tallow.Fuzz.Targets.Relay;

public static class WebRequestTarget
{
    public static readonly FuzzTarget WebRequest = new("web-request", "HttpRequestHead.TryParse/WebSocketHandshake.Validate/WebContent.ToName", Fuzz, Seeds);

    public static void Fuzz(ReadOnlySpan<byte> data)
    {
        if (data.Length > HttpRequestHead.MaxHeadBytes)
        {
            data = data[..HttpRequestHead.MaxHeadBytes];
        }

        if (HttpRequestHead.TryParse(data, out HttpRequestHead? request) != HttpHeadStatus.Ok)
        {
            return;
        }

        FuzzInvariantException.Check(request is not null && request.Target.StartsWith('/'), "a parsed request has no origin-form target");
        _ = WebSocketHandshake.Validate(request!, tls: false, out _);
        _ = WebSocketHandshake.Validate(request!, tls: true, out _);
        if (WebContent.ToName(request!.Path) is string name)
        {
            FuzzInvariantException.Check(!name.StartsWith('/') && !name.Contains('\\', StringComparison.Ordinal)
                && name.Split('/').All(segment => segment.Length > 0 && segment[0] != '.'), "a request path maps outside the page's files");
        }
    }

    public static IEnumerable<byte[]> Seeds()
    {
        yield return Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: relay.example:443\r\nAccept: */*\r\n\r\n");
        yield return Encoding.ASCII.GetBytes("HEAD /assets/app.js?v=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nIf-None-Match: \"abc\"\r\n\r\n");
        yield return Encoding.ASCII.GetBytes("GET /ws HTTP/1.1\r\nHost: relay.example\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: https://relay.example\r\n\r\n");
        yield return Encoding.ASCII.GetBytes("GET /%2e%2e/..\\etc/passwd HTTP/1.0\r\n\r\n");
    }
}
