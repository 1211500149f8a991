// Parses relay addresses as users type them: "host:port", "[v6]:port", "tcp://host:port",
// "tls://host:port" (TLS to the relay, DESIGN.md §5.8), or a bare host (default port).
// Bare and tcp:// addresses are plaintext. Bad input is a usage error that says what is expected.
namespace Tallow.Net.Session;

public readonly record struct RelayAddress(string Host, int Port, bool Tls = false)
{
    public const int DefaultPort = 4433;

    /// <summary>host:port ([v6]:port), with the tls:// scheme for TLS addresses so it parses back the same.</summary>
    public override string ToString() =>
        (Tls ? "tls://" : string.Empty) + (Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}");

    public static bool TryParse(string? text, out RelayAddress address)
    {
        address = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        string s = text.Trim();
        bool tls = false;
        if (s.StartsWith("tcp://", StringComparison.OrdinalIgnoreCase))
        {
            s = s[6..];
        }
        else if (s.StartsWith("tls://", StringComparison.OrdinalIgnoreCase))
        {
            s = s[6..];
            tls = true;
        }

        s = s.TrimEnd('/');
        string host;
        string? portText = null;
        if (s.StartsWith('['))
        {
            int close = s.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }

            host = s[1..close];
            string rest = s[(close + 1)..];
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
            int colon = s.LastIndexOf(':');
            if (colon >= 0 && s.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                host = s; // bare IPv6 literal without a port
            }
            else if (colon >= 0)
            {
                host = s[..colon];
                portText = s[(colon + 1)..];
            }
            else
            {
                host = s;
            }
        }

        int port = DefaultPort;
        if (portText is not null && (!int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            return false;
        }

        if (host.Length == 0 || host.Length > 253 || host.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == '/'))
        {
            return false;
        }

        address = new RelayAddress(host, port, tls);
        return true;
    }
}
