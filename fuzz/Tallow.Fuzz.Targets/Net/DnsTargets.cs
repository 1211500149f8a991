// Targets of LAN discovery (DESIGN.md §10), datagrams anyone on the LAN can send:
//   "dns"      DnsMessage.TryParse; what parses must encode (names uncompressed) and parse back
//              to the same encoding (Encode may refuse only a message grown past MaxSize)
//   "dns-name" DnsName.TryRead at an offset the input chooses; a name read must map back to
//              the same labels (DnsName's "one string per wire label" invariant)
//   "mdns"     a sequence of datagrams (u16 length | bytes) through the parser into the
//              browser's MdnsBrowseCache and the announcer's MdnsResponder, as both sides use them
using System.Buffers.Binary;
using System.Net;
using Tallow.Fuzz.Targets.Support;
using Tallow.Net.Discovery;
using Tallow.Wire;

namespace Tallow.Fuzz.Targets.Net;

public static class DnsTargets
{
    public static readonly FuzzTarget Dns = new("dns", "DnsMessage.TryParse (+ Encode)", FuzzDns, DnsSeeds);

    public static readonly FuzzTarget DnsNameTarget = new("dns-name", "DnsName.TryRead, DnsName.ToLabels", FuzzDnsName, DnsNameSeeds);

    public static readonly FuzzTarget Mdns = new("mdns", "DnsMessage.TryParse → MdnsBrowseCache.Add, MdnsResponder.Respond", FuzzMdns, MdnsSeeds);

    private const uint Nameplate = 4711;
    private static readonly IPAddress[] OwnAddresses = [IPAddress.Parse("192.168.1.10"), IPAddress.Parse("fe80::1"), IPAddress.Parse("fd00::10")];

    public static void FuzzDns(ReadOnlySpan<byte> data)
    {
        if (DnsMessage.TryParse(data, out DnsMessage? message) != DnsParseStatus.Ok)
        {
            return;
        }

        byte[] encoded;
        try
        {
            encoded = message!.Encode();
        }
        catch (InvalidOperationException e) when (e.Message.Contains("exceeds", StringComparison.Ordinal))
        {
            return; // compressed names grew past MaxSize once written uncompressed: Encode's documented refusal
        }

        FuzzInvariantException.Check(DnsMessage.TryParse(encoded, out DnsMessage? again) == DnsParseStatus.Ok, "DNS: our own encoding of a parsed message does not parse");
        FuzzInvariantException.Check(again!.Encode().AsSpan().SequenceEqual(encoded), "DNS: encode → parse → encode is not stable");
    }

    public static void FuzzDnsName(ReadOnlySpan<byte> data)
    {
        if (data.Length < 2)
        {
            return;
        }

        int offset = data[0] % (data.Length - 1);
        ReadOnlySpan<byte> message = data[1..];
        if (!DnsName.TryRead(message, offset, out string name, out int consumed))
        {
            return;
        }

        FuzzInvariantException.Check(consumed >= 1 && offset + consumed <= message.Length, "DnsName: consumed outside the message");
        List<byte[]> labels = DnsName.ToLabels(name);
        FuzzInvariantException.Check(DnsName.FromLabels(labels) == name, "DnsName: labels do not give the name back");
        byte[] wire = new byte[DnsName.WireLength(name)];
        var writer = new SpanWriter(wire);
        DnsName.Write(ref writer, name);
        FuzzInvariantException.Check(DnsName.TryRead(wire, 0, out string again, out int used) && again == name && used == wire.Length, "DnsName: write → read does not give the name back");
    }

    public static void FuzzMdns(ReadOnlySpan<byte> data)
    {
        var cache = new MdnsBrowseCache(Nameplate, allowLoopback: true);
        var responder = new MdnsResponder(Nameplate, 9009, "fuzz");
        while (data.Length >= 2)
        {
            int length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(data), data.Length - 2);
            ReadOnlySpan<byte> datagram = data.Slice(2, length);
            data = data[(2 + length)..];
            if (DnsMessage.TryParse(datagram, out DnsMessage? message) != DnsParseStatus.Ok)
            {
                continue;
            }

            cache.Add(message!, new IPAddress([192, 168, 1, (byte)(message!.Id & 7)])); // a few sources, from the query id
            FuzzInvariantException.Check(cache.InstanceCount <= MdnsBrowseCache.MaxInstances, "mDNS cache: too many instances");
            FuzzInvariantException.Check(cache.FollowUpQuestions().Count <= MdnsBrowseCache.MaxFollowUpQuestions, "mDNS cache: too many follow-up questions");
            foreach (IPEndPoint endPoint in cache.Endpoints())
            {
                FuzzInvariantException.Check(cache.IsAcceptable(endPoint.Address) && endPoint.Port > 0, "mDNS cache: an unacceptable endpoint");
            }

            if (responder.Respond(message!, OwnAddresses, legacyUnicast: (message!.Id & 1) == 1) is { } response)
            {
                byte[] answer = response.Encode(); // the announcer assumes this cannot fail for any query
                FuzzInvariantException.Check(answer.Length <= DnsMessage.MaxSize, "mDNS answer too large");
            }
        }
    }

    public static IEnumerable<byte[]> DnsSeeds() => Datagrams();

    public static IEnumerable<byte[]> DnsNameSeeds()
    {
        foreach (byte[] datagram in Datagrams())
        {
            yield return [DnsMessage.HeaderSize, .. datagram];
        }

        // A compressed name: "b" then a pointer back to "a.local" at offset 0.
        yield return [9, 1, (byte)'a', 5, .. "local"u8, 0, 1, (byte)'b', 0xC0, 0];
    }

    public static IEnumerable<byte[]> MdnsSeeds()
    {
        byte[][] datagrams = [.. Datagrams()];
        yield return [.. datagrams.SelectMany(d => (byte[])[(byte)(d.Length >> 8), (byte)d.Length, .. d])];
        foreach (byte[] d in datagrams)
        {
            yield return [(byte)(d.Length >> 8), (byte)d.Length, .. d];
        }
    }

    /// <summary>Real queries and answers of both sides of discovery, encoded by DnsMessage.</summary>
    private static IEnumerable<byte[]> Datagrams()
    {
        var responder = new MdnsResponder(Nameplate, 9009, "seed");
        var query = DnsMessage.Query(0x1234, new DnsQuestion(MdnsResponder.ServiceType, DnsType.Ptr));
        yield return query.Encode();
        yield return DnsMessage.Query(0x1235, new DnsQuestion(responder.InstanceName, DnsType.Srv, UnicastResponse: true), new DnsQuestion(responder.HostName, DnsType.Any)).Encode();
        yield return responder.Announcement([IPAddress.Parse("192.168.1.20"), IPAddress.Parse("fd00::20")], goodbye: false).Encode();
        yield return responder.Respond(query, [IPAddress.Parse("192.168.1.20")], legacyUnicast: true)!.Encode();
        yield return responder.Announcement([IPAddress.Parse("192.168.1.20")], goodbye: true).Encode();
    }
}
