// A SOCKS5 proxy as users write it (DESIGN.md §11): socks5://[user:pass@]host:port or
// socks5h://... (both behave as socks5h: destination names always go to the proxy, RFC 1928
// ATYP domain, never resolved locally). User and password are URL-decoded (RFC 3986 §2.1) and
// sent with RFC 1929. ToString never shows the password.
using System.Globalization;
using System.Text;

namespace Tallow.Net.Proxy;

public sealed class ProxyAddress
{
    /// <summary>Tor's SOCKS port (what --tor uses).</summary>
    public const int TorPort = 9050;

    public const int DefaultPort = 1080;

    public ProxyAddress(string host, int port, string? username = null, string? password = null, bool isTor = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        if ((username is null) != (password is null))
        {
            throw new ArgumentException("username and password go together");
        }

        Host = host;
        Port = port;
        Username = username;
        Password = password;
        IsTor = isTor;
    }

    /// <summary>--tor: Tor's SOCKS5 port on this machine.</summary>
    public static ProxyAddress Tor { get; } = new("127.0.0.1", TorPort, isTor: true);

    public string Host { get; }

    public int Port { get; }

    public string? Username { get; }

    public string? Password { get; }

    public bool IsTor { get; }

    public bool HasCredentials => Username is not null;

    /// <summary>host:port of the proxy itself (no credentials).</summary>
    public string EndPointText => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <summary>The address with the password redacted: socks5://user:***@host:port.</summary>
    public override string ToString() =>
        HasCredentials ? $"socks5://{Uri.EscapeDataString(Username!)}:***@{EndPointText}" : $"socks5://{EndPointText}";

    /// <summary>Parses socks5:// or socks5h:// URLs; false (never an exception) for anything else.</summary>
    public static bool TryParse(string? text, out ProxyAddress? address)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 2048)
        {
            return false;
        }

        string s = text.Trim();
        int schemeEnd = s.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            return false;
        }

        string scheme = s[..schemeEnd];
        if (!scheme.Equals("socks5", StringComparison.OrdinalIgnoreCase) && !scheme.Equals("socks5h", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        s = s[(schemeEnd + 3)..];
        if (s.EndsWith('/'))
        {
            s = s[..^1];
        }

        if (s.IndexOfAny(['/', '?', '#']) >= 0)
        {
            return false;
        }

        string? username = null;
        string? password = null;
        int at = s.LastIndexOf('@');
        if (at >= 0)
        {
            string userInfo = s[..at];
            s = s[(at + 1)..];
            int colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0
                || !TryDecode(userInfo[..colon], out username)
                || !TryDecode(userInfo[(colon + 1)..], out password)
                || !FitsRfc1929(username) || !FitsRfc1929(password))
            {
                return false; // RFC 1929: both 1..255 bytes
            }
        }

        if (!TrySplitHostPort(s, out string host, out int port))
        {
            return false;
        }

        address = new ProxyAddress(host, port, username, password);
        return true;
    }

    private static bool FitsRfc1929(string? value) => value is { Length: > 0 } && Encoding.UTF8.GetByteCount(value) <= 255;

    private static bool TryDecode(string text, out string? value)
    {
        value = null;
        for (int i = text.IndexOf('%', StringComparison.Ordinal); i >= 0; i = text.IndexOf('%', i + 1))
        {
            if (i + 2 >= text.Length || !char.IsAsciiHexDigit(text[i + 1]) || !char.IsAsciiHexDigit(text[i + 2]))
            {
                return false; // a literal '%' must be written %25
            }
        }

        value = Uri.UnescapeDataString(text);
        return true;
    }

    private static bool TrySplitHostPort(string s, out string host, out int port) =>
        HostPort.TryParse(s, DefaultPort, allowBareIPv6: false, out host, out port) && !host.Any(c => c is '@' or '[' or ']');
}
