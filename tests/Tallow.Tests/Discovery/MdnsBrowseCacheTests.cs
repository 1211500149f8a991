// The browse cache against a hostile LAN neighbour (issue 13, item 11): one response full of bogus
// PTR records must not keep the real sender out, a goodbye from another address must not remove
// it, and what a neighbour announced expires with its TTL instead of staying for good.
using System.Net;
using Microsoft.Extensions.Time.Testing;
using Tallow.Net.Discovery;

namespace Tallow.Tests.Discovery;

public class MdnsBrowseCacheTests
{
    private static readonly IPAddress Sender = IPAddress.Parse("192.168.1.20");
    private static readonly IPAddress Neighbour = IPAddress.Parse("192.168.1.66");
    private static readonly MdnsResponder Responder = new(7, 40123, "00aa11bb");

    private static DnsMessage Response(params DnsRecord[] records) => new(0, 0x8400, [], records, [], []);

    private static DnsMessage BogusPointers(int count, uint ttl = 4500) =>
        Response([.. Enumerable.Range(0, count).Select(i => new PtrRecord(MdnsResponder.ServiceType, ttl, false, $"tallow-7-bogus{i}._tallow._tcp.local"))]);

    [Fact]
    public void One_response_full_of_bogus_pointers_does_not_keep_the_real_sender_out()
    {
        var cache = new MdnsBrowseCache(7, allowLoopback: false);
        cache.Add(BogusPointers(MdnsBrowseCache.MaxInstances), Neighbour);
        cache.Add(Responder.Announcement([Sender], goodbye: false), Sender);

        Assert.Equal([new IPEndPoint(Sender, 40123)], cache.Endpoints());
    }

    [Fact]
    public void A_goodbye_from_another_address_does_not_remove_the_sender()
    {
        var cache = new MdnsBrowseCache(7, allowLoopback: false);
        cache.Add(Responder.Announcement([Sender], goodbye: false), Sender);
        cache.Add(Responder.Announcement([Sender], goodbye: true), Neighbour);
        Assert.True(cache.HasMatch);

        cache.Add(Responder.Announcement([Sender], goodbye: true), Sender);
        Assert.False(cache.HasMatch);
    }

    [Fact]
    public void Another_address_cannot_redirect_the_senders_instance()
    {
        var cache = new MdnsBrowseCache(7, allowLoopback: false);
        cache.Add(Responder.Announcement([Sender], goodbye: false), Sender);
        cache.Add(Responder.Announcement([Neighbour], goodbye: false), Neighbour); // same instance name, other address

        Assert.Equal([new IPEndPoint(Sender, 40123)], cache.Endpoints());
    }

    [Fact]
    public void Entries_expire_with_their_ttl_so_a_flood_frees_its_room()
    {
        var time = new FakeTimeProvider();
        var cache = new MdnsBrowseCache(7, allowLoopback: false, time);
        for (int i = 0; i < 20; i++)
        {
            cache.Add(BogusPointers(MdnsBrowseCache.MaxInstances, ttl: 10), new IPAddress([10, 0, 0, (byte)(i + 1)]));
        }

        Assert.Equal(MdnsBrowseCache.MaxInstances, cache.InstanceCount);
        cache.Add(Responder.Announcement([Sender], goodbye: false), Sender);
        Assert.False(cache.HasMatch); // full, for now

        time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(0, cache.InstanceCount);
        cache.Add(Responder.Announcement([Sender], goodbye: false), Sender);
        Assert.True(cache.HasMatch);

        time.Advance(MdnsBrowseCache.MaxTtl + TimeSpan.FromSeconds(1)); // a huge TTL is believed for MaxTtl at most
        Assert.False(cache.HasMatch);
    }

    [Fact]
    public void One_address_holds_at_most_a_few_instances_and_another_sessions_sender_none()
    {
        var cache = new MdnsBrowseCache(7, allowLoopback: false);
        cache.Add(BogusPointers(100), Neighbour);
        Assert.Equal(MdnsBrowseCache.MaxInstancesPerSource, cache.InstanceCount);

        var otherSession = new MdnsResponder(8, 40124, "00aa11cc");
        cache.Add(otherSession.Announcement([IPAddress.Parse("192.168.1.30")], goodbye: false), IPAddress.Parse("192.168.1.30"));
        Assert.Equal(MdnsBrowseCache.MaxInstancesPerSource, cache.InstanceCount); // its TXT is not for nameplate 7: dropped
    }
}
