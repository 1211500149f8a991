// Maps SOCKS5 proxy failures to the CLI's exit codes (DESIGN.md §11, §12): every proxy failure
// is a network error (exit 4). --tor with nothing on 127.0.0.1:9050 says Tor is not running and
// how to start it. Messages name the proxy by host:port only, never its credentials.
using Tallow.Net.Proxy;
using Tallow.Protocol;

namespace Tallow.Net.Session;

public static class ProxyErrors
{
    public static TallowException ToTallow(Socks5Exception ex, ProxyAddress proxy)
    {
        ArgumentNullException.ThrowIfNull(ex);
        ArgumentNullException.ThrowIfNull(proxy);
        string message = ex.Kind switch
        {
            Socks5FailureKind.Unreachable or Socks5FailureKind.Timeout when proxy.IsTor =>
                $"Tor is not running (nothing answers on {proxy.EndPointText}, Tor's SOCKS port): start it with 'sudo systemctl start tor' (or run 'tor &'), wait until it has bootstrapped, and try again.",
            Socks5FailureKind.Refused when proxy.IsTor =>
                $"{ex.Message}. Tor could not reach the relay: check the relay address, or try again once Tor has a working circuit.",
            _ => ex.Message.EndsWith('.') ? ex.Message : ex.Message + ".",
        };
        return new TallowException(FailureKind.Network, message, ex);
    }
}
