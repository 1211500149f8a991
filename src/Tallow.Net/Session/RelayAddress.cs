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
        if (!HostPort.TryParse(s, DefaultPort, allowBareIPv6: true, out string host, out int port))
        {
            return false;
        }

        address = new RelayAddress(host, port, tls);
        return true;
    }
}
