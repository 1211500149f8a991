// Local candidate gathering (DESIGN.md §9.2) with injected interface addresses, plus a smoke
// test of the real interface enumeration.
using System.Net;
using System.Net.Sockets;
using Tallow.Net.Direct;

namespace Tallow.Tests.Net;

public class CandidateGathererTests
{
    private const int P = 41234;

    private static readonly IPAddress[] Interfaces =
    [
        IPAddress.Parse("192.0.2.2"),
        IPAddress.Parse("127.0.0.1"),
        IPAddress.Parse("169.254.3.3"),
        IPAddress.Parse("10.1.2.3"),
        IPAddress.Parse("fe80::fc:ff:fe00:1"),
        IPAddress.Parse("2001:db8::5"),
        IPAddress.Parse("::1"),
        IPAddress.Parse("0.0.0.0"),
        IPAddress.Parse("224.0.0.251"),
        IPAddress.Parse("::ffff:198.51.100.7"),
        IPAddress.Parse("192.0.2.2"), // listed twice (two interfaces)
        IPAddress.Parse("fd00::2"),
    ];

    private static readonly IPEndPoint Observed = IPEndPoint.Parse("203.0.113.9:40000");

    private static Candidate Host(string endPoint) => new(CandidateType.Host, IPEndPoint.Parse(endPoint));

    [Theory]
    [InlineData(AddressFamily.InterNetwork, "127.0.0.1")]
    [InlineData(AddressFamily.InterNetworkV6, "::1")]
    public void Relay_on_loopback_offers_only_the_loopback_address(AddressFamily family, string loopback)
    {
        IReadOnlyList<Candidate> candidates = CandidateGatherer.Gather(P, family, relayOnLoopback: true, Observed, symmetricNat: false, Interfaces);
        Assert.Equal([new Candidate(CandidateType.Host, new IPEndPoint(IPAddress.Parse(loopback), P))], candidates);

        // The same without injection: no interface address leaks when the relay is local.
        Assert.Equal(candidates, CandidateGatherer.Gather(P, family, relayOnLoopback: true, Observed, symmetricNat: false));
    }

    [Fact]
    public void IPv4_hosts_skip_loopback_link_local_and_unusable_then_the_reflexive_candidate_follows()
    {
        IReadOnlyList<Candidate> candidates = CandidateGatherer.Gather(P, AddressFamily.InterNetwork, relayOnLoopback: false, Observed, symmetricNat: false, Interfaces);
        Assert.Equal(
            [
                Host($"192.0.2.2:{P}"),
                Host($"10.1.2.3:{P}"),
                Host($"198.51.100.7:{P}"),
                new Candidate(CandidateType.ServerReflexive, Observed),
            ],
            candidates);
    }

    [Fact]
    public void IPv6_hosts_are_global_and_unique_local_addresses_only()
    {
        var observed6 = IPEndPoint.Parse("[2001:db8:ffff::1]:40000");
        IReadOnlyList<Candidate> candidates = CandidateGatherer.Gather(P, AddressFamily.InterNetworkV6, relayOnLoopback: false, observed6, symmetricNat: false, Interfaces);
        Assert.Equal(
            [
                Host($"[2001:db8::5]:{P}"),
                Host($"[fd00::2]:{P}"),
                new Candidate(CandidateType.ServerReflexive, observed6),
            ],
            candidates);
    }

    [Fact]
    public void Symmetric_NAT_drops_the_reflexive_candidate()
    {
        IReadOnlyList<Candidate> candidates = CandidateGatherer.Gather(P, AddressFamily.InterNetwork, relayOnLoopback: false, Observed, symmetricNat: true, Interfaces);
        Assert.DoesNotContain(candidates, c => c.Type == CandidateType.ServerReflexive);
        Assert.Equal(3, candidates.Count);
    }

    [Theory]
    [InlineData("192.0.2.2:41234")]            // no NAT: the relay saw a host candidate
    [InlineData("[::ffff:192.0.2.2]:41234")]   // the same, as an IPv4-mapped address
    [InlineData("[2001:db8::77]:40000")]        // another family than P
    [InlineData("169.254.1.1:40000")]           // unusable (a hostile relay's answer)
    [InlineData("0.0.0.0:40000")]
    public void The_reflexive_candidate_is_left_out_when_redundant_or_unusable(string observed)
    {
        IReadOnlyList<Candidate> candidates = CandidateGatherer.Gather(P, AddressFamily.InterNetwork, relayOnLoopback: false, IPEndPoint.Parse(observed), symmetricNat: false, Interfaces);
        Assert.All(candidates, c => Assert.Equal(CandidateType.Host, c.Type));
        Assert.Equal(3, candidates.Count);
    }

    [Fact]
    public void A_mapped_observed_address_is_offered_as_IPv4_and_null_means_none()
    {
        IReadOnlyList<Candidate> mapped = CandidateGatherer.Gather(P, AddressFamily.InterNetwork, false, IPEndPoint.Parse("[::ffff:203.0.113.9]:40000"), false, []);
        Assert.Equal([new Candidate(CandidateType.ServerReflexive, Observed)], mapped);
        Assert.Empty(CandidateGatherer.Gather(P, AddressFamily.InterNetwork, false, null, false, []));
    }

    [Fact]
    public void The_result_is_capped_so_the_reflexive_candidate_still_fits()
    {
        IPAddress[] many = [.. Enumerable.Range(1, 40).Select(i => IPAddress.Parse($"10.0.0.{i}"))];
        IReadOnlyList<Candidate> candidates = CandidateGatherer.Gather(P, AddressFamily.InterNetwork, false, Observed, false, many);
        Assert.Equal(CandidateValidator.MaxCandidates, candidates.Count);
        Assert.Equal(new Candidate(CandidateType.ServerReflexive, Observed), candidates[^1]);
        Assert.Equal(CandidateValidator.MaxCandidates, CandidateGatherer.Gather(P, AddressFamily.InterNetwork, false, null, false, many).Count);
    }

    [Fact]
    public void Bad_arguments_are_programming_errors()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CandidateGatherer.Gather(0, AddressFamily.InterNetwork, false, null, false, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => CandidateGatherer.Gather(65536, AddressFamily.InterNetwork, false, null, false, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => CandidateGatherer.Gather(P, AddressFamily.Unix, false, null, false, []));
    }

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public void Real_interfaces_yield_only_usable_host_candidates_on_P(AddressFamily family)
    {
        IReadOnlyList<IPAddress> addresses = CandidateGatherer.InterfaceAddresses(family);
        Assert.All(addresses, a =>
        {
            Assert.Equal(family, a.AddressFamily);
            Assert.False(IPAddress.IsLoopback(a));
            Assert.False(a.IsIPv6LinkLocal);
        });

        IReadOnlyList<Candidate> candidates = CandidateGatherer.Gather(P, family, relayOnLoopback: false, observedByRelay: null, symmetricNat: false);
        Assert.True(candidates.Count <= CandidateValidator.MaxCandidates);
        Assert.All(candidates, c =>
        {
            Assert.Equal(CandidateType.Host, c.Type);
            Assert.Equal(P, c.EndPoint.Port);
            Assert.True(CandidateValidator.IsUsable(c.EndPoint, relayOnLoopback: false, out _));
        });
    }
}
