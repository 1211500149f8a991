// FsCheck generators for DNS messages (RFC 1035 §4.1 as used by RFC 6762): names from raw labels
// (any bytes, escaped by DnsName), questions of any type/class, PTR/SRV/TXT/A/AAAA records, and
// whole messages that always fit the codec's limits (≤ 64 records, ≤ 9000 bytes).
using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Tallow.Net.Discovery;
using Tallow.Tests.Wire;

namespace Tallow.Tests.Discovery;

internal static class DnsGen
{
    private static readonly Gen<byte> LabelByte = Gen.Frequency(
        (8, Gen.Elements("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_".ToCharArray()).Select(c => (byte)c)),
        (1, WireGen.Byte));

    public static readonly Gen<byte[]> Label = Gen.Choose(1, 20).SelectMany(n => Gen.ArrayOf(LabelByte, n));

    /// <summary>Names of 0–5 labels (at most 5 × 21 + 1 bytes on the wire).</summary>
    public static readonly Gen<string> Name = Gen.Frequency(
        (1, Gen.Elements("_tallow._tcp.local", "tallow-7-0011aabb._tallow._tcp.local", "tallow-7-0011aabb.local", "")),
        (4, Gen.Choose(0, 5).SelectMany(n => Gen.ArrayOf(Label, n)).Select(labels => DnsName.FromLabels(labels))));

    public static readonly Gen<DnsQuestion> Question =
        from name in Name
        from type in Gen.Elements<ushort>(1, 12, 16, 28, 33, 47, 255, 0, 65535)
        from cls in Gen.Frequency((4, Gen.Elements<ushort>(1, 255)), (1, Gen.Choose(0, 0x7FFF).Select(c => (ushort)c)))
        from unicast in Gen.Elements(true, false)
        select new DnsQuestion(name, (DnsType)type, cls, unicast);

    private static readonly Gen<byte[]> TxtEntry = WireGen.BytesBetween(0, 40);

    public static readonly Gen<DnsRecord> Record =
        from name in Name
        from ttl in WireGen.UInt32
        from flush in Gen.Elements(true, false)
        from record in Gen.OneOf(
            Name.Select(t => (DnsRecord)new PtrRecord(name, ttl, flush, t)),
            (from priority in WireGen.UInt16
             from weight in WireGen.UInt16
             from port in WireGen.UInt16
             from target in Name
             select (DnsRecord)new SrvRecord(name, ttl, flush, priority, weight, port, target)),
            Gen.Choose(0, 4).SelectMany(n => Gen.ArrayOf(TxtEntry, n)).Select(e => (DnsRecord)new TxtRecord(name, ttl, flush, e)),
            WireGen.IPv4.Select(a => (DnsRecord)new AddressRecord(name, ttl, flush, a)),
            WireGen.IPv6.Select(a => (DnsRecord)new AddressRecord(name, ttl, flush, a)))
        select record;

    private static Gen<DnsRecord[]> Section(int max) => Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Record, n));

    public static readonly Gen<DnsMessage> Message =
        from id in WireGen.UInt16
        from flags in WireGen.UInt16
        from questions in Gen.Choose(0, 4).SelectMany(n => Gen.ArrayOf(Question, n))
        from answers in Section(6)
        from authorities in Section(2)
        from additionals in Section(6)
        select new DnsMessage(id, flags, questions, answers, authorities, additionals);

    public static readonly Gen<byte[]> Encoded = Message.Select(m => m.Encode());
}
