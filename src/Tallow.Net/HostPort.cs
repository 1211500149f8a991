// "host:port" as users type it, shared by relay and proxy addresses: "[v6]:port", "host:port",
// "host" (default port); a bare IPv6 literal is a host without a port where the caller allows it.
namespace Tallow.Net;

internal static class HostPort
{
    /// <summary>Splits and checks <paramref name="text"/>; the host is 1–253 characters without whitespace, controls or '/'.</summary>
    public static bool TryParse(string text, int defaultPort, bool allowBareIPv6, out string host, out int port)
    {
        host = "";
        port = defaultPort;
        string? portText = null;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }

            host = text[1..close];
            string rest = text[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    return false;
                }

                portText = rest[1..];
            }
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon >= 0 && text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                if (!allowBareIPv6)
                {
                    return false;
                }

                host = text;
            }
            else if (colon >= 0)
            {
                host = text[..colon];
                portText = text[(colon + 1)..];
            }
            else
            {
                host = text;
            }
        }

        if (portText is not null && (!int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            return false;
        }

        return host.Length is > 0 and <= 253 && !host.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == '/');
    }
}
