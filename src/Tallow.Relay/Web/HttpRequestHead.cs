// Parser of an HTTP/1.1 request head (RFC 9112 §2-5) for the relay's web port. Bounded and
// non-throwing: the caller hands in at most MaxHeadBytes ending at the blank line; anything not a
// plain `METHOD SP origin-form SP HTTP/1.x` line followed by `name: value` lines (no obs-fold, no
// control bytes, at most MaxHeaders, one Host) is Malformed. Values are ASCII, trimmed of spaces.
using System.Text;

namespace Tallow.Relay.Web;

internal enum HttpHeadStatus
{
    Ok,
    Malformed,
}

internal sealed class HttpRequestHead
{
    /// <summary>A request head longer than this is answered 431.</summary>
    public const int MaxHeadBytes = 8 * 1024;

    private const int MaxHeaders = 64;

    private readonly List<KeyValuePair<string, string>> _headers;

    private HttpRequestHead(string method, string target, List<KeyValuePair<string, string>> headers)
    {
        Method = method;
        Target = target;
        _headers = headers;
    }

    public string Method { get; }

    /// <summary>The request target as sent (origin-form: starts with '/'), query included.</summary>
    public string Target { get; }

    /// <summary>The target without its query.</summary>
    public string Path => Target.IndexOf('?', StringComparison.Ordinal) is int q and >= 0 ? Target[..q] : Target;

    /// <summary>The value of <paramref name="name"/> (case-insensitive), the first one when repeated; null when absent.</summary>
    public string? Header(string name)
    {
        foreach (KeyValuePair<string, string> header in _headers)
        {
            if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return header.Value;
            }
        }

        return null;
    }

    /// <summary>How many times <paramref name="name"/> appears.</summary>
    public int Count(string name) => _headers.Count(header => string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether a comma-separated header (e.g. Connection) lists <paramref name="token"/>, in any of its occurrences.</summary>
    public bool HasToken(string name, string token)
    {
        foreach (KeyValuePair<string, string> header in _headers)
        {
            if (!string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (string part in header.Value.Split(','))
            {
                if (string.Equals(part.Trim(' ', '\t'), token, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Parses <paramref name="head"/>: the bytes up to and including the blank line's CRLF CRLF.</summary>
    public static HttpHeadStatus TryParse(ReadOnlySpan<byte> head, out HttpRequestHead? request)
    {
        request = null;
        if (head.Length > MaxHeadBytes || !head.EndsWith("\r\n\r\n"u8))
        {
            return HttpHeadStatus.Malformed;
        }

        foreach (byte b in head)
        {
            // Only printable ASCII, space, tab and CRLF; a NUL or bare control byte is never valid here.
            if (b >= 0x7f || (b < 0x20 && b is not (byte)'\r' and not (byte)'\n' and not (byte)'\t'))
            {
                return HttpHeadStatus.Malformed;
            }
        }

        string text = Encoding.ASCII.GetString(head[..^4]);
        string[] lines = text.Split("\r\n");
        string[] requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || requestLine[0].Length is 0 or > 16 || !IsToken(requestLine[0])
            || requestLine[1].Length == 0 || requestLine[1][0] != '/' || requestLine[2] is not ("HTTP/1.1" or "HTTP/1.0"))
        {
            return HttpHeadStatus.Malformed;
        }

        var headers = new List<KeyValuePair<string, string>>();
        for (int i = 1; i < lines.Length; i++)
        {
            string line = lines[i];
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || headers.Count >= MaxHeaders || line.Contains('\r', StringComparison.Ordinal) || line.Contains('\n', StringComparison.Ordinal))
            {
                return HttpHeadStatus.Malformed;
            }

            string name = line[..colon];
            if (!IsToken(name))
            {
                return HttpHeadStatus.Malformed; // also refuses obs-fold (a line starting with a space)
            }

            headers.Add(new(name, line[(colon + 1)..].Trim(' ', '\t')));
        }

        var parsed = new HttpRequestHead(requestLine[0], requestLine[1], headers);
        if (parsed.Count("Host") > 1)
        {
            return HttpHeadStatus.Malformed;
        }

        request = parsed;
        return HttpHeadStatus.Ok;
    }

    private static bool IsToken(string value)
    {
        foreach (char c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal)))
            {
                return false;
            }
        }

        return value.Length > 0;
    }
}
