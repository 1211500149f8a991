// Target "socks5": the SOCKS5 client's reading of a proxy's answers (RFC 1928 greeting and
// CONNECT reply, RFC 1929 authentication reply), run for real (Socks5Client.NegotiateAsync)
// against a "proxy" whose bytes are the fuzz input. Bit 0 of the first byte offers
// credentials. Documented rejection: Socks5Exception.
using System.Net;
using Tallow.Fuzz.Targets.Support;
using Tallow.Net.Proxy;

namespace Tallow.Fuzz.Targets.Net;

public static class Socks5Target
{
    public static readonly FuzzTarget Socks5 = new("socks5", "Socks5Client.NegotiateAsync (greeting, auth and CONNECT replies)", Fuzz, Seeds);

    public static void Fuzz(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        NetworkCredential? credentials = (data[0] & 1) == 1 ? new NetworkCredential("user", "secret") : null;
        var proxy = new PeerStream(data[1..].ToArray());
        try
        {
            Socks5Client.NegotiateAsync(proxy, "proxy.test:1080", credentials, "relay.example", 9009, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Socks5Exception)
        {
            // the documented refusal
        }
    }

    public static IEnumerable<byte[]> Seeds()
    {
        // Replies as a proxy sends them: method choice, (auth status), CONNECT reply with a bound address.
        yield return [0, 0x05, 0x00, 0x05, 0x00, 0x00, 0x01, 127, 0, 0, 1, 0x1F, 0x90];
        yield return [1, 0x05, 0x02, 0x01, 0x00, 0x05, 0x00, 0x00, 0x04, .. new byte[16], 0x1F, 0x90];
        yield return [0, 0x05, 0x00, 0x05, 0x00, 0x00, 0x03, 9, .. "localhost"u8, 0x1F, 0x90];
        yield return [0, 0x05, 0x00, 0x05, 0x05, 0x00, 0x01];
        yield return [0, 0x05, 0xFF];
    }
}
