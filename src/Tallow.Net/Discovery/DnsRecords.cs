// Questions and resource records used by mDNS / DNS-SD (RFC 1035 §3.2, §4.1.2–4.1.3; RFC 2782
// SRV; RFC 3596 AAAA; RFC 6762 §5.4 unicast-response bit, §10.2 cache-flush bit; RFC 6763 §6 TXT).
// Only class IN is modelled for records; other types are skipped by the parser.
// Invariants: names are in DnsName presentation form; TXT entries are kept byte for byte.
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tallow.Net.Discovery;

internal enum DnsType : ushort
{
    A = 1,
    Ptr = 12,
    Txt = 16,
    Aaaa = 28,
    Srv = 33,
    Any = 255,
}

/// <summary>A question; <paramref name="Class"/> is the 15-bit class (1 = IN, 255 = ANY).</summary>
internal sealed record DnsQuestion(string Name, DnsType Type, ushort Class = DnsQuestion.ClassIn, bool UnicastResponse = false)
{
    public const ushort ClassIn = 1;
    public const ushort ClassAny = 255;

    public bool Matches(string name, DnsType type) =>
        Class is ClassIn or ClassAny && (Type == type || Type == DnsType.Any) && DnsName.NameEquals(Name, name);
}

/// <summary>A class IN resource record.</summary>
internal abstract record DnsRecord(string Name, uint Ttl, bool CacheFlush)
{
    public abstract DnsType Type { get; }
}

internal sealed record PtrRecord(string Name, uint Ttl, bool CacheFlush, string Target) : DnsRecord(Name, Ttl, CacheFlush)
{
    public override DnsType Type => DnsType.Ptr;
}

internal sealed record SrvRecord(string Name, uint Ttl, bool CacheFlush, ushort Priority, ushort Weight, ushort Port, string Target)
    : DnsRecord(Name, Ttl, CacheFlush)
{
    public override DnsType Type => DnsType.Srv;
}

/// <summary>TXT strings (each at most 255 bytes); DNS-SD uses them as "key=value" pairs.</summary>
internal sealed record TxtRecord(string Name, uint Ttl, bool CacheFlush, IReadOnlyList<byte[]> Entries) : DnsRecord(Name, Ttl, CacheFlush)
{
    public override DnsType Type => DnsType.Txt;

    public static TxtRecord FromPairs(string name, uint ttl, bool cacheFlush, params string[] pairs) =>
        new(name, ttl, cacheFlush, [.. pairs.Select(Encoding.UTF8.GetBytes)]);

    /// <summary>The value of the first entry whose key equals <paramref name="key"/> (ASCII, case-insensitive; RFC 6763 §6.4).</summary>
    public bool TryGetValue(string key, out string value)
    {
        value = string.Empty;
        foreach (byte[] entry in Entries)
        {
            int equals = Array.IndexOf(entry, (byte)'=');
            ReadOnlySpan<byte> entryKey = equals < 0 ? entry : entry.AsSpan(0, equals);
            if (!Ascii.EqualsIgnoreCase(entryKey, key))
            {
                continue;
            }

            ReadOnlySpan<byte> raw = equals < 0 ? [] : entry.AsSpan(equals + 1);
            if (!System.Text.Unicode.Utf8.IsValid(raw))
            {
                return false;
            }

            value = Encoding.UTF8.GetString(raw);
            return true;
        }

        return false;
    }
}

/// <summary>An A record (IPv4 address) or AAAA record (IPv6 address).</summary>
internal sealed record AddressRecord(string Name, uint Ttl, bool CacheFlush, IPAddress Address) : DnsRecord(Name, Ttl, CacheFlush)
{
    public override DnsType Type => Address.AddressFamily == AddressFamily.InterNetworkV6 ? DnsType.Aaaa : DnsType.A;
}
