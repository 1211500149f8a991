// ProxyAddress (DESIGN.md §11): socks5:// and socks5h:// URLs, URL-decoded credentials within
// RFC 1929's limits, defaults, rejection of everything else, and a ToString that never shows
// the password.
using Tallow.Net.Proxy;

namespace Tallow.Tests.Net.Proxy;

public class ProxyAddressTests
{
    [Theory]
    [InlineData("socks5://127.0.0.1:9050", "127.0.0.1", 9050, null, null)]
    [InlineData("socks5h://proxy.example.org:1081/", "proxy.example.org", 1081, null, null)]
    [InlineData("SOCKS5://proxy.example.org", "proxy.example.org", 1080, null, null)]
    [InlineData("socks5://[::1]:1080", "::1", 1080, null, null)]
    [InlineData("socks5://alice:secret@localhost:1080", "localhost", 1080, "alice", "secret")]
    [InlineData("socks5://al%40ce:p%3Ass%40w%2F0rd@10.0.0.1:3128", "10.0.0.1", 3128, "al@ce", "p:ss@w/0rd")]
    [InlineData("socks5://u:pa:ss@h:1", "h", 1, "u", "pa:ss")]
    public void Valid_addresses_parse(string text, string host, int port, string? user, string? pass)
    {
        Assert.True(ProxyAddress.TryParse(text, out ProxyAddress? proxy));
        Assert.Equal(host, proxy!.Host);
        Assert.Equal(port, proxy.Port);
        Assert.Equal(user, proxy.Username);
        Assert.Equal(pass, proxy.Password);
        Assert.False(proxy.IsTor);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("127.0.0.1:1080")]
    [InlineData("http://127.0.0.1:8080")]
    [InlineData("socks4://127.0.0.1:1080")]
    [InlineData("socks5://")]
    [InlineData("socks5://:1080")]
    [InlineData("socks5://host:0")]
    [InlineData("socks5://host:65536")]
    [InlineData("socks5://host:port")]
    [InlineData("socks5://::1:1080")]
    [InlineData("socks5://[::1")]
    [InlineData("socks5://host:1080/path")]
    [InlineData("socks5://user@host:1080")]
    [InlineData("socks5://:pass@host:1080")]
    [InlineData("socks5://user:@host:1080")]
    [InlineData("socks5://user:%zz@host:1080")]
    [InlineData("socks5://ho st:1080")]
    public void Invalid_addresses_are_rejected_without_throwing(string? text)
    {
        Assert.False(ProxyAddress.TryParse(text, out ProxyAddress? proxy));
        Assert.Null(proxy);
    }

    [Fact]
    public void Credentials_longer_than_255_bytes_are_rejected()
    {
        Assert.False(ProxyAddress.TryParse($"socks5://u:{new string('x', 256)}@h:1", out _));
        Assert.True(ProxyAddress.TryParse($"socks5://u:{new string('x', 255)}@h:1", out _));
    }

    [Fact]
    public void ToString_redacts_the_password()
    {
        Assert.True(ProxyAddress.TryParse("socks5://alice:hunter2%21@proxy.example.org:1080", out ProxyAddress? proxy));
        Assert.Equal("socks5://alice:***@proxy.example.org:1080", proxy!.ToString());
        Assert.DoesNotContain("hunter2", proxy.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", $"{proxy}", StringComparison.Ordinal);
        Assert.Equal("proxy.example.org:1080", proxy.EndPointText);
    }

    [Fact]
    public void Tor_is_the_local_SOCKS_port_9050()
    {
        Assert.Equal("127.0.0.1", ProxyAddress.Tor.Host);
        Assert.Equal(9050, ProxyAddress.Tor.Port);
        Assert.True(ProxyAddress.Tor.IsTor);
        Assert.False(ProxyAddress.Tor.HasCredentials);
        Assert.Equal("socks5://127.0.0.1:9050", ProxyAddress.Tor.ToString());
    }
}
