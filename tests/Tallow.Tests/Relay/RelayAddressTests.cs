// Relay address parsing (RelayAddress): bare and tcp:// addresses are plaintext, tls:// selects
// TLS (DESIGN.md §5.8), and ToString keeps the scheme so an address parses back the same.
using Tallow.Net.Session;

namespace Tallow.Tests.Relay;

public class RelayAddressTests
{
    [Theory]
    [InlineData("relay.example.org:4000", "relay.example.org", 4000, false)]
    [InlineData("relay.example.org", "relay.example.org", RelayAddress.DefaultPort, false)]
    [InlineData("tcp://10.0.0.1:5000", "10.0.0.1", 5000, false)]
    [InlineData("tls://relay.example.org:443", "relay.example.org", 443, true)]
    [InlineData("TLS://127.0.0.1:9000/", "127.0.0.1", 9000, true)]
    [InlineData("tls://relay.example.org", "relay.example.org", RelayAddress.DefaultPort, true)]
    [InlineData("tls://[::1]:7000", "::1", 7000, true)]
    public void Parses(string text, string host, int port, bool tls)
    {
        Assert.True(RelayAddress.TryParse(text, out RelayAddress address));
        Assert.Equal(new RelayAddress(host, port, tls), address);
        Assert.True(RelayAddress.TryParse(address.ToString(), out RelayAddress again));
        Assert.Equal(address, again);
    }

    [Theory]
    [InlineData("tls://")]
    [InlineData("tls://host:0")]
    [InlineData("tls://host:x")]
    [InlineData("https://host:443")]
    public void Rejects(string text) => Assert.False(RelayAddress.TryParse(text, out _));

    [Fact]
    public void ToString_keeps_the_tls_scheme_only_for_TLS()
    {
        Assert.Equal("tls://[::1]:7000", new RelayAddress("::1", 7000, Tls: true).ToString());
        Assert.Equal("relay.example.org:4433", new RelayAddress("relay.example.org", 4433).ToString());
    }
}
