// The answers of one Tallow DNS-SD instance (RFC 6763 §4–§7, §9 service enumeration; RFC 6762
// §6 responding, §6.7 legacy unicast, §7.1 known-answer suppression, §8.3 announcing, §10.1
// goodbyes, §10 TTLs: 120 s for SRV/A/AAAA, 4500 s for PTR/TXT). Pure: no sockets.
// Invariants: the TXT record carries only "v=1" and "np=<nameplate>" (never anything else of the
// code); unique records (SRV/TXT/A/AAAA) set the cache-flush bit except in legacy unicast
// answers, which echo the query id and the questions answered and cap TTLs at 10 s; a response
// holds at most MaxAddresses addresses and 8 echoed questions, so it always fits one message.
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Tallow.Net.Discovery;

internal sealed class MdnsResponder
{
    public const string ServiceType = "_tallow._tcp.local";
    public const string ServiceEnumeration = "_services._dns-sd._udp.local";
    public const uint HostTtl = 120;
    public const uint OtherTtl = 4500;
    public const uint LegacyTtlCap = 10;
    public const string ProtocolVersion = "1";
    public const int MaxAddresses = 16;
    private const int MaxEchoedQuestions = 8;

    public MdnsResponder(uint nameplate, int port, string suffix)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        ArgumentException.ThrowIfNullOrEmpty(suffix);
        Nameplate = nameplate;
        Port = port;
        string label = $"tallow-{nameplate.ToString(CultureInfo.InvariantCulture)}-{suffix}";
        InstanceName = $"{label}.{ServiceType}";
        HostName = $"{label}.local";
        _ = DnsName.WireLength(InstanceName); // validates the suffix
    }

    public uint Nameplate { get; }

    public int Port { get; }

    public string InstanceName { get; }

    public string HostName { get; }

    /// <summary>The response to <paramref name="query"/>, or null when it asks nothing we answer (or everything is known).</summary>
    public DnsMessage? Respond(DnsMessage query, IReadOnlyList<IPAddress> addresses, bool legacyUnicast)
    {
        if (query.IsResponse || query.Opcode != 0)
        {
            return null;
        }

        var answers = new List<DnsRecord>();
        var answered = new List<DnsQuestion>();
        bool wantInstance = false;
        bool wantAddresses = false;
        foreach (DnsQuestion q in query.Questions)
        {
            int before = answers.Count;
            if (q.Matches(ServiceType, DnsType.Ptr))
            {
                AddUnique(answers, Ptr(OtherTtl));
                wantInstance = true;
            }

            if (q.Matches(ServiceEnumeration, DnsType.Ptr))
            {
                AddUnique(answers, new PtrRecord(ServiceEnumeration, OtherTtl, false, ServiceType));
            }

            if (q.Matches(InstanceName, DnsType.Srv))
            {
                AddUnique(answers, Srv(HostTtl));
                wantAddresses = true;
            }

            if (q.Matches(InstanceName, DnsType.Txt))
            {
                AddUnique(answers, Txt(OtherTtl));
            }

            foreach (AddressRecord a in AddressRecords(addresses, HostTtl))
            {
                if (q.Matches(HostName, a.Type))
                {
                    AddUnique(answers, a);
                }
            }

            if (answers.Count > before && answered.Count < MaxEchoedQuestions && !answered.Contains(q))
            {
                answered.Add(q);
            }
        }

        answers.RemoveAll(ours => query.Answers.Any(known => SameRecord(known, ours) && known.Ttl >= ours.Ttl / 2));
        if (answers.Count == 0)
        {
            return null;
        }

        var additionals = new List<DnsRecord>();
        if (wantInstance)
        {
            additionals.Add(Srv(HostTtl));
            additionals.Add(Txt(OtherTtl));
        }

        if (wantInstance || wantAddresses)
        {
            additionals.AddRange(AddressRecords(addresses, HostTtl));
        }

        additionals.RemoveAll(extra => answers.Any(a => SameRecord(a, extra)));
        if (!legacyUnicast)
        {
            return new DnsMessage(0, DnsMessage.ResponseFlags, [], answers, [], additionals);
        }

        // §6.7 repeats the question; only the ones we answer, so a query of 64 compressed names
        // cannot make an uncompressed answer larger than a message may be
        return new DnsMessage(query.Id, DnsMessage.ResponseFlags, answered, [.. answers.Select(ForLegacy)], [], [.. additionals.Select(ForLegacy)]);
    }

    /// <summary>An unsolicited announcement (RFC 6762 §8.3), or with <paramref name="goodbye"/> the same records with TTL 0.</summary>
    public DnsMessage Announcement(IReadOnlyList<IPAddress> addresses, bool goodbye)
    {
        uint other = goodbye ? 0 : OtherTtl;
        uint host = goodbye ? 0 : HostTtl;
        List<DnsRecord> answers = [Ptr(other), Srv(host), Txt(other), .. AddressRecords(addresses, host)];
        return new DnsMessage(0, DnsMessage.ResponseFlags, [], answers, [], []);
    }

    public PtrRecord Ptr(uint ttl) => new(ServiceType, ttl, false, InstanceName);

    public SrvRecord Srv(uint ttl) => new(InstanceName, ttl, true, 0, 0, (ushort)Port, HostName);

    public TxtRecord Txt(uint ttl) =>
        TxtRecord.FromPairs(InstanceName, ttl, true, "v=" + ProtocolVersion, "np=" + Nameplate.ToString(CultureInfo.InvariantCulture));

    private IEnumerable<AddressRecord> AddressRecords(IReadOnlyList<IPAddress> addresses, uint ttl) =>
        addresses
            .Select(LocalInterfaces.Canonical)
            .Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            .Distinct()
            .Take(MaxAddresses)
            .Select(a => new AddressRecord(HostName, ttl, true, a));

    private static DnsRecord ForLegacy(DnsRecord record) =>
        record with { Ttl = Math.Min(record.Ttl, LegacyTtlCap), CacheFlush = false };

    private static void AddUnique(List<DnsRecord> records, DnsRecord record)
    {
        if (!records.Any(r => SameRecord(r, record)))
        {
            records.Add(record);
        }
    }

    /// <summary>Same name, type and data (TTL and cache-flush ignored), RFC 6762 §7.1.</summary>
    public static bool SameRecord(DnsRecord a, DnsRecord b)
    {
        if (a.Type != b.Type || !DnsName.NameEquals(a.Name, b.Name))
        {
            return false;
        }

        return (a, b) switch
        {
            (PtrRecord x, PtrRecord y) => DnsName.NameEquals(x.Target, y.Target),
            (SrvRecord x, SrvRecord y) => x.Priority == y.Priority && x.Weight == y.Weight && x.Port == y.Port && DnsName.NameEquals(x.Target, y.Target),
            (TxtRecord x, TxtRecord y) => x.Entries.Count == y.Entries.Count && x.Entries.Zip(y.Entries).All(p => p.First.AsSpan().SequenceEqual(p.Second)),
            (AddressRecord x, AddressRecord y) => x.Address.Equals(y.Address),
            _ => false,
        };
    }
}
