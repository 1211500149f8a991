// Remote candidate validation (DESIGN.md §9.2): each rejected address class, its IPv4-mapped
// form, the loopback rule, and Filter's de-duplication, own-address removal and cap; plus a
// property that Filter never lets an unusable candidate through.
using System.Net;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tallow.Net.Direct;
using Tallow.Tests.Wire;

namespace Tallow.Tests.Net;

public class CandidateValidatorTests
{
    public static TheoryData<string, string> Rejected => new()
    {
        { "0.0.0.0:4433", "unspecified" },
        { "0.1.2.3:4433", "unspecified" },
        { "[::]:4433", "unspecified" },
        { "224.0.0.1:4433", "multicast" },
        { "239.255.255.250:1900", "multicast" },
        { "[ff02::1]:4433", "multicast" },
        { "[ff0e::1234]:4433", "multicast" },
        { "255.255.255.255:4433", "broadcast" },
        { "169.254.0.1:4433", "link-local" },
        { "169.254.255.254:4433", "link-local" },
        { "[fe80::1]:4433", "link-local" },
        { "[fe80::1%2]:4433", "link-local" },
        { "[febf:ffff::1]:4433", "link-local" },
        { "203.0.113.5:0", "port 0" },
        { "[2001:db8::1]:0", "port 0" },
        { "127.0.0.1:4433", "loopback" },
        { "127.1.2.3:4433", "loopback" },
        { "[::1]:4433", "loopback" },
        // IPv4-mapped IPv6 forms of the same classes.
        { "[::ffff:0.0.0.0]:4433", "unspecified" },
        { "[::ffff:224.0.0.1]:4433", "multicast" },
        { "[::ffff:255.255.255.255]:4433", "broadcast" },
        { "[::ffff:169.254.7.7]:4433", "link-local" },
        { "[::ffff:127.0.0.1]:4433", "loopback" },
        { "[::ffff:203.0.113.5]:0", "port 0" },
    };

    [Theory]
    [MemberData(nameof(Rejected))]
    public void Unusable_endpoints_are_rejected_with_a_reason(string endPoint, string reason)
    {
        Assert.False(CandidateValidator.IsUsable(IPEndPoint.Parse(endPoint), relayOnLoopback: false, out string why));
        Assert.Contains(reason, why, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("203.0.113.5:4433")]
    [InlineData("192.168.1.10:50000")]
    [InlineData("10.0.0.1:1")]
    [InlineData("172.16.0.1:65535")]
    [InlineData("169.253.1.1:80")]
    [InlineData("223.255.255.255:80")]
    [InlineData("255.255.255.254:80")]
    [InlineData("[2001:db8::1]:443")]
    [InlineData("[fd00::2]:443")]
    [InlineData("[fec0::1]:443")]
    [InlineData("[::ffff:192.0.2.1]:80")]
    public void Ordinary_unicast_endpoints_are_usable(string endPoint)
    {
        Assert.True(CandidateValidator.IsUsable(IPEndPoint.Parse(endPoint), relayOnLoopback: false, out string why));
        Assert.Equal(string.Empty, why);
        Assert.True(CandidateValidator.IsUsable(IPEndPoint.Parse(endPoint), relayOnLoopback: true, out _));
    }

    [Theory]
    [InlineData("127.0.0.1:4433")]
    [InlineData("127.255.0.9:4433")]
    [InlineData("[::1]:4433")]
    [InlineData("[::ffff:127.0.0.1]:4433")]
    public void Loopback_is_usable_only_when_the_relay_is_on_loopback(string endPoint)
    {
        Assert.False(CandidateValidator.IsUsable(IPEndPoint.Parse(endPoint), relayOnLoopback: false, out _));
        Assert.True(CandidateValidator.IsUsable(IPEndPoint.Parse(endPoint), relayOnLoopback: true, out _));
    }

    [Theory]
    [InlineData("0.0.0.0:4433")]
    [InlineData("169.254.0.1:4433")]
    [InlineData("[fe80::1]:4433")]
    [InlineData("224.0.0.1:4433")]
    [InlineData("255.255.255.255:4433")]
    [InlineData("127.0.0.1:0")]
    public void The_loopback_rule_admits_nothing_else(string endPoint) =>
        Assert.False(CandidateValidator.IsUsable(IPEndPoint.Parse(endPoint), relayOnLoopback: true, out _));

    [Fact]
    public void Filter_drops_unusable_duplicate_own_and_unknown_candidates_and_unmaps_IPv4()
    {
        Candidate[] remote =
        [
            new(CandidateType.Host, IPEndPoint.Parse("192.168.1.20:5000")),
            new(CandidateType.Host, IPEndPoint.Parse("169.254.1.1:5000")),                 // link-local
            new(CandidateType.Host, IPEndPoint.Parse("[::ffff:192.168.1.20]:5000")),       // duplicate, mapped
            new(CandidateType.ServerReflexive, IPEndPoint.Parse("192.168.1.20:5000")),     // duplicate, other type
            new(CandidateType.Host, IPEndPoint.Parse("10.0.0.7:6000")),                    // ours
            new(CandidateType.Host, IPEndPoint.Parse("[::ffff:198.51.100.3]:7000")),       // usable, mapped
            new((CandidateType)7, IPEndPoint.Parse("198.51.100.4:7000")),                  // unknown type
            new(CandidateType.Host, null!),                                                // missing endpoint
            new(CandidateType.ServerReflexive, IPEndPoint.Parse("[2001:db8::9]:7001")),
            new(CandidateType.Host, IPEndPoint.Parse("127.0.0.1:5000")),                   // loopback
        ];
        IPEndPoint[] own = [IPEndPoint.Parse("[::ffff:10.0.0.7]:6000")];

        IReadOnlyList<Candidate> kept = CandidateValidator.Filter(remote, relayOnLoopback: false, own);

        Assert.Equal(
            [
                new Candidate(CandidateType.Host, IPEndPoint.Parse("192.168.1.20:5000")),
                new Candidate(CandidateType.Host, IPEndPoint.Parse("198.51.100.3:7000")),
                new Candidate(CandidateType.ServerReflexive, IPEndPoint.Parse("[2001:db8::9]:7001")),
            ],
            kept);
    }

    [Fact]
    public void Filter_keeps_loopback_under_the_local_relay_rule_but_not_our_own_endpoint()
    {
        Candidate[] remote =
        [
            new(CandidateType.Host, IPEndPoint.Parse("127.0.0.1:5000")),
            new(CandidateType.Host, IPEndPoint.Parse("127.0.0.1:5001")),
        ];
        IReadOnlyList<Candidate> kept = CandidateValidator.Filter(remote, relayOnLoopback: true, [IPEndPoint.Parse("127.0.0.1:5001")]);
        Assert.Equal([new Candidate(CandidateType.Host, IPEndPoint.Parse("127.0.0.1:5000"))], kept);
    }

    [Fact]
    public void Filter_caps_the_result_at_16_in_order()
    {
        Candidate[] remote = [.. Enumerable.Range(1, 40).Select(i => new Candidate(CandidateType.Host, new IPEndPoint(IPAddress.Parse($"198.51.100.{i}"), 4000)))];
        IReadOnlyList<Candidate> kept = CandidateValidator.Filter(remote, relayOnLoopback: false, []);
        Assert.Equal(CandidateValidator.MaxCandidates, kept.Count);
        Assert.Equal(remote.Take(16), kept);
    }

    private static readonly Gen<IPAddress> Special = Gen.Elements(
        IPAddress.Any, IPAddress.IPv6Any, IPAddress.Broadcast, IPAddress.Loopback, IPAddress.IPv6Loopback,
        IPAddress.Parse("224.0.0.251"), IPAddress.Parse("ff02::fb"), IPAddress.Parse("169.254.10.10"),
        IPAddress.Parse("fe80::abcd"), IPAddress.Parse("::ffff:169.254.1.1"), IPAddress.Parse("::ffff:127.0.0.1"),
        IPAddress.Parse("::ffff:0.0.0.0"), IPAddress.Parse("::ffff:255.255.255.255"), IPAddress.Parse("198.51.100.1"),
        IPAddress.Parse("::ffff:198.51.100.1"), IPAddress.Parse("2001:db8::1"));

    private static readonly Gen<IPEndPoint> AnyEndPoint =
        from address in Gen.Frequency((3, Special), (2, WireGen.IPv4), (2, WireGen.IPv6), (1, WireGen.IPv4Mapped))
        from port in Gen.Frequency((1, Gen.Constant(0)), (1, Gen.Elements(4433, 5000)), (4, Gen.Choose(0, 65535)))
        select new IPEndPoint(address, port);

    private static readonly Gen<Candidate> AnyCandidate =
        from type in Gen.Frequency((5, Gen.Elements(CandidateType.Host, CandidateType.ServerReflexive)), (1, WireGen.Byte.Select(b => (CandidateType)b)))
        from endPoint in AnyEndPoint
        select new Candidate(type, endPoint);

    private static readonly Gen<(Candidate[] Remote, bool RelayOnLoopback, IPEndPoint[] Own)> Inputs =
        from remote in Gen.Choose(0, 40).SelectMany(n => Gen.ArrayOf(AnyCandidate, n))
        from relayOnLoopback in Gen.Elements(true, false)
        from own in Gen.Choose(0, 4).SelectMany(n => Gen.ArrayOf(AnyEndPoint, n))
        select (remote, relayOnLoopback, own);

    [Property(MaxTest = 300)]
    public Property Filter_never_returns_an_unusable_duplicate_own_or_foreign_candidate() => Prop.ForAll(Inputs.ToArbitrary(), input =>
    {
        IReadOnlyList<Candidate> kept = CandidateValidator.Filter(input.Remote, input.RelayOnLoopback, input.Own);
        var own = input.Own.Select(CandidateValidator.Normalize).ToHashSet();
        var given = input.Remote.Select(c => (c.Type, CandidateValidator.Normalize(c.EndPoint))).ToHashSet();
        return kept.Count <= CandidateValidator.MaxCandidates
            && kept.All(c => CandidateValidator.IsUsable(c.EndPoint, input.RelayOnLoopback, out _))
            && kept.All(c => c.Type is CandidateType.Host or CandidateType.ServerReflexive)
            && kept.All(c => !c.EndPoint.Address.IsIPv4MappedToIPv6 && !own.Contains(c.EndPoint))
            && kept.All(c => given.Contains((c.Type, c.EndPoint)))
            && kept.Select(c => c.EndPoint).Distinct().Count() == kept.Count;
    });
}
