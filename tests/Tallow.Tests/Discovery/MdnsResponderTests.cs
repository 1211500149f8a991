// What the announcer answers (RFC 6762 §6, §6.7 legacy unicast, §7.1 known answers, §10.1
// goodbyes; RFC 6763 §6 TXT) and what the browser accepts from answers (validation, caps,
// nameplate matching) — both without sockets.
using System.Net;
using Tallow.Net.Discovery;

namespace Tallow.Tests.Discovery;

public class MdnsResponderTests
{
    private static readonly IPAddress Lan = IPAddress.Parse("192.168.1.20");
    private static readonly MdnsResponder Responder = new(7, 40123, "00aa11bb");

    private static DnsMessage PtrQuery(ushort id = 0x1234) =>
        DnsMessage.Query(id, new DnsQuestion(MdnsResponder.ServiceType, DnsType.Ptr));

    [Fact]
    public void Legacy_unicast_answer_echoes_id_and_question_and_caps_ttl()
    {
        DnsMessage response = Responder.Respond(PtrQuery(), [Lan], legacyUnicast: true)!;
        Assert.Equal(0x1234, response.Id);
        Assert.True(response.IsResponse);
        Assert.Equal(PtrQuery().Questions, response.Questions);
        var ptr = Assert.IsType<PtrRecord>(Assert.Single(response.Answers));
        Assert.Equal("tallow-7-00aa11bb._tallow._tcp.local", ptr.Target);
        Assert.Contains(response.Additionals, r => r is SrvRecord { Port: 40123, Target: "tallow-7-00aa11bb.local" });
        Assert.Contains(response.Additionals, r => r is AddressRecord a && a.Address.Equals(Lan));
        Assert.All(response.Answers.Concat(response.Additionals), r => Assert.True(r.Ttl <= 10 && !r.CacheFlush));
    }

    [Fact]
    public void Multicast_answer_has_no_id_or_questions_and_flushes_unique_records()
    {
        DnsMessage response = Responder.Respond(PtrQuery(), [Lan], legacyUnicast: false)!;
        Assert.Equal(0, response.Id);
        Assert.Empty(response.Questions);
        Assert.Equal(MdnsResponder.OtherTtl, Assert.IsType<PtrRecord>(Assert.Single(response.Answers)).Ttl);
        Assert.All(response.Additionals, r => Assert.True(r.CacheFlush));
        Assert.Equal(MdnsResponder.HostTtl, response.Additionals.OfType<SrvRecord>().Single().Ttl);
    }

    [Fact]
    public void Txt_carries_only_version_and_nameplate()
    {
        TxtRecord txt = Responder.Txt(1);
        Assert.Equal(["v=1", "np=7"], txt.Entries.Select(e => System.Text.Encoding.UTF8.GetString(e)));
    }

    [Fact]
    public void Instance_and_host_questions_are_answered_case_insensitively()
    {
        DnsMessage query = DnsMessage.Query(
            1,
            new DnsQuestion("TALLOW-7-00AA11BB._tallow._TCP.local", DnsType.Srv),
            new DnsQuestion(Responder.InstanceName, DnsType.Txt),
            new DnsQuestion(Responder.HostName, DnsType.A));
        DnsMessage response = Responder.Respond(query, [Lan, IPAddress.Parse("fd00::5")], legacyUnicast: true)!;
        Assert.Contains(response.Answers, r => r is SrvRecord);
        Assert.Contains(response.Answers, r => r is TxtRecord);
        Assert.Contains(response.Answers, r => r is AddressRecord { Type: DnsType.A });
        Assert.DoesNotContain(response.Answers, r => r is AddressRecord { Type: DnsType.Aaaa });
    }

    [Fact]
    public void Nothing_is_answered_for_other_names_responses_or_known_answers()
    {
        Assert.Null(Responder.Respond(DnsMessage.Query(1, new DnsQuestion("_http._tcp.local", DnsType.Ptr)), [Lan], true));
        Assert.Null(Responder.Respond(PtrQuery() with { Flags = 0x8400 }, [Lan], true));
        Assert.Null(Responder.Respond(PtrQuery() with { Flags = 0x2800 }, [Lan], true)); // opcode 5 (update)
        DnsMessage withKnownAnswer = PtrQuery() with { Answers = [Responder.Ptr(MdnsResponder.OtherTtl)] };
        Assert.Null(Responder.Respond(withKnownAnswer, [Lan], false));
        DnsMessage staleKnownAnswer = PtrQuery() with { Answers = [Responder.Ptr(10)] };
        Assert.NotNull(Responder.Respond(staleKnownAnswer, [Lan], false));
    }

    [Fact]
    public void Answers_to_huge_queries_and_many_addresses_still_fit_one_message()
    {
        string longName = string.Join('.', Enumerable.Repeat(new string('a', 60), 4)) + ".local"; // ≈ 250 bytes
        DnsQuestion[] questions = [.. Enumerable.Range(0, 64).Select(i => i % 2 == 0
            ? new DnsQuestion(MdnsResponder.ServiceType, DnsType.Ptr)
            : new DnsQuestion(longName, DnsType.Any))];
        IPAddress[] many = [.. Enumerable.Range(1, 200).Select(i => new IPAddress([10, 0, (byte)(i / 250), (byte)i]))];
        DnsMessage legacy = Responder.Respond(DnsMessage.Query(5, questions), many, legacyUnicast: true)!;
        Assert.Single(legacy.Questions);
        Assert.Equal(MdnsResponder.MaxAddresses, legacy.Additionals.OfType<AddressRecord>().Count());
        Assert.Equal(DnsParseStatus.Ok, DnsMessage.TryParse(legacy.Encode(), out _));
        Assert.Equal(DnsParseStatus.Ok, DnsMessage.TryParse(Responder.Announcement(many, goodbye: false).Encode(), out _));
    }

    [Fact]
    public void Goodbye_has_every_record_with_ttl_zero()
    {
        DnsMessage goodbye = Responder.Announcement([Lan], goodbye: true);
        Assert.Equal(4, goodbye.Answers.Count);
        Assert.All(goodbye.Answers, r => Assert.Equal(0u, r.Ttl));
    }

    [Fact]
    public void Browser_cache_matches_only_its_nameplate()
    {
        DnsMessage answer = Responder.Respond(PtrQuery(), [Lan], true)!;
        var mine = new MdnsBrowseCache(7, allowLoopback: false);
        mine.Add(answer, Lan);
        Assert.True(mine.HasMatch);
        Assert.Equal([new IPEndPoint(Lan, 40123)], mine.Endpoints());

        var other = new MdnsBrowseCache(77, allowLoopback: false);
        other.Add(answer, Lan);
        Assert.False(other.HasMatch);
        Assert.Empty(other.Endpoints());
    }

    [Theory]
    [InlineData("np=07", "v=1", 40123, "192.168.1.20")]
    [InlineData("np=+7", "v=1", 40123, "192.168.1.20")]
    [InlineData("np=7", "v=2", 40123, "192.168.1.20")]
    [InlineData("np=7", "v=1", 0, "192.168.1.20")]
    [InlineData("np=7", "v=1", 40123, "0.0.0.0")]
    [InlineData("np=7", "v=1", 40123, "224.0.0.251")]
    [InlineData("np=7", "v=1", 40123, "255.255.255.255")]
    [InlineData("np=7", "v=1", 40123, "127.0.0.1")]
    [InlineData("np=7", "v=1", 40123, "fe80::1")]
    [InlineData("np=7", "v=1", 40123, "ff02::fb")]
    [InlineData("np=7", "v=1", 40123, "::")]
    public void Browser_cache_rejects_invalid_instances(string np, string version, int port, string address)
    {
        const string instance = "tallow-7-1._tallow._tcp.local";
        var response = new DnsMessage(0, 0x8400, [], [new PtrRecord(MdnsResponder.ServiceType, 10, false, instance)], [],
        [
            new SrvRecord(instance, 10, false, 0, 0, (ushort)port, "h.local"),
            TxtRecord.FromPairs(instance, 10, false, version, np),
            new AddressRecord("h.local", 10, false, IPAddress.Parse(address)),
        ]);
        var cache = new MdnsBrowseCache(7, allowLoopback: false);
        cache.Add(response, Lan);
        Assert.False(cache.HasMatch);
    }

    [Fact]
    public void Browser_cache_forgets_on_goodbye_and_asks_follow_up_questions()
    {
        var cache = new MdnsBrowseCache(7, allowLoopback: false);
        cache.Add(new DnsMessage(0, 0x8400, [], [Responder.Ptr(10)], [], []), Lan);
        Assert.Contains(cache.FollowUpQuestions(), q => q.Type == DnsType.Srv && q.Name == Responder.InstanceName);
        Assert.Contains(cache.FollowUpQuestions(), q => q.Type == DnsType.Txt && q.Name == Responder.InstanceName);

        cache.Add(Responder.Announcement([Lan], goodbye: false), Lan);
        Assert.True(cache.HasMatch);
        Assert.Empty(cache.FollowUpQuestions());
        cache.Add(Responder.Announcement([Lan], goodbye: true), Lan);
        Assert.False(cache.HasMatch);
        Assert.Equal(0, cache.InstanceCount);
    }

    [Fact]
    public void Browser_cache_is_bounded()
    {
        var cache = new MdnsBrowseCache(7, allowLoopback: false);
        for (int batch = 0; batch < 10; batch++)
        {
            var records = new List<DnsRecord>();
            for (int i = 0; i < 20; i++)
            {
                string instance = $"tallow-7-{batch}-{i}._tallow._tcp.local";
                records.Add(new SrvRecord(instance, 10, false, 0, 0, 1, "h.local"));
                records.Add(new AddressRecord("h.local", 10, false, new IPAddress([10, 0, (byte)batch, (byte)i])));
            }

            for (int source = 0; source < 10; source++)
            {
                cache.Add(new DnsMessage(0, 0x8400, [], records, [], []), new IPAddress([10, 9, (byte)batch, (byte)source]));
            }
        }

        Assert.Equal(MdnsBrowseCache.MaxInstances, cache.InstanceCount);
        Assert.True(cache.FollowUpQuestions().Count <= MdnsBrowseCache.MaxFollowUpQuestions);
    }

    [Fact]
    public void Same_subnet_endpoints_come_first_then_ipv4()
    {
        InterfaceAddress[] local = [new(IPAddress.Parse("192.168.1.5"), 24)];
        IPEndPoint far = new(IPAddress.Parse("10.1.2.3"), 1);
        IPEndPoint v6 = new(IPAddress.Parse("2001:db8::1"), 1);
        IPEndPoint near = new(IPAddress.Parse("192.168.1.77"), 1);
        Assert.Equal([near, far, v6], LocalInterfaces.OrderBySubnet([v6, far, near], local));
    }
}
