// DNS message format (RFC 1035 §4.1) as used by mDNS (RFC 6762 §18): header, questions and
// answer / authority / additional records of types PTR, SRV, TXT, A, AAAA (class IN); records of
// other types or classes are skipped. The top bit of a question's class is the unicast-response
// bit, of a record's class the cache-flush bit.
// Invariants: TryParse never throws and never reads outside the input; it refuses inputs over
// MaxSize bytes, more than MaxRecords questions+records, truncated sections and malformed RDATA
// (a PTR/SRV name that does not end exactly at the end of its RDATA, wrong A/AAAA lengths).
// Encode writes names uncompressed and throws only for our own invalid data or an oversize message.
using System.Buffers.Binary;
using System.Net;
using Tallow.Wire;

namespace Tallow.Net.Discovery;

internal enum DnsParseStatus
{
    Ok,
    Truncated,
    Malformed,
    TooLarge,
    TooManyRecords,
}

internal sealed record DnsMessage(
    ushort Id,
    ushort Flags,
    IReadOnlyList<DnsQuestion> Questions,
    IReadOnlyList<DnsRecord> Answers,
    IReadOnlyList<DnsRecord> Authorities,
    IReadOnlyList<DnsRecord> Additionals)
{
    public const int MaxSize = 9000;
    public const int MaxRecords = 64;
    public const int HeaderSize = 12;

    /// <summary>QR (response) and AA (authoritative answer), RFC 6762 §18.2–18.4.</summary>
    public const ushort ResponseFlags = 0x8400;

    private const ushort ClassIn = 1;
    private const ushort TopBit = 0x8000;

    public bool IsResponse => (Flags & 0x8000) != 0;

    public int Opcode => (Flags >> 11) & 0xF;

    public static DnsMessage Query(ushort id, params DnsQuestion[] questions) => new(id, 0, questions, [], [], []);

    public static DnsParseStatus TryParse(ReadOnlySpan<byte> data, out DnsMessage? message)
    {
        message = null;
        if (data.Length > MaxSize)
        {
            return DnsParseStatus.TooLarge;
        }

        if (data.Length < HeaderSize)
        {
            return DnsParseStatus.Truncated;
        }

        ushort id = BinaryPrimitives.ReadUInt16BigEndian(data);
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        int qd = BinaryPrimitives.ReadUInt16BigEndian(data[4..]);
        int an = BinaryPrimitives.ReadUInt16BigEndian(data[6..]);
        int ns = BinaryPrimitives.ReadUInt16BigEndian(data[8..]);
        int ar = BinaryPrimitives.ReadUInt16BigEndian(data[10..]);
        if (qd + an + ns + ar > MaxRecords)
        {
            return DnsParseStatus.TooManyRecords;
        }

        int position = HeaderSize;
        var questions = new List<DnsQuestion>(qd);
        for (int i = 0; i < qd; i++)
        {
            if (!DnsName.TryRead(data, position, out string name, out int used))
            {
                return DnsParseStatus.Malformed;
            }

            position += used;
            if (data.Length - position < 4)
            {
                return DnsParseStatus.Truncated;
            }

            ushort type = BinaryPrimitives.ReadUInt16BigEndian(data[position..]);
            ushort cls = BinaryPrimitives.ReadUInt16BigEndian(data[(position + 2)..]);
            position += 4;
            questions.Add(new DnsQuestion(name, (DnsType)type, (ushort)(cls & 0x7FFF), (cls & TopBit) != 0));
        }

        var sections = new List<DnsRecord>[3] { new(an), new(ns), new(ar) };
        int[] counts = [an, ns, ar];
        for (int s = 0; s < 3; s++)
        {
            for (int i = 0; i < counts[s]; i++)
            {
                DnsParseStatus status = TryParseRecord(data, ref position, out DnsRecord? record);
                if (status != DnsParseStatus.Ok)
                {
                    return status;
                }

                if (record is not null)
                {
                    sections[s].Add(record);
                }
            }
        }

        message = new DnsMessage(id, flags, questions, sections[0], sections[1], sections[2]);
        return DnsParseStatus.Ok;
    }

    private static DnsParseStatus TryParseRecord(ReadOnlySpan<byte> data, ref int position, out DnsRecord? record)
    {
        record = null;
        if (!DnsName.TryRead(data, position, out string name, out int used))
        {
            return DnsParseStatus.Malformed;
        }

        position += used;
        if (data.Length - position < 10)
        {
            return DnsParseStatus.Truncated;
        }

        var type = (DnsType)BinaryPrimitives.ReadUInt16BigEndian(data[position..]);
        ushort cls = BinaryPrimitives.ReadUInt16BigEndian(data[(position + 2)..]);
        uint ttl = BinaryPrimitives.ReadUInt32BigEndian(data[(position + 4)..]);
        int length = BinaryPrimitives.ReadUInt16BigEndian(data[(position + 8)..]);
        position += 10;
        if (data.Length - position < length)
        {
            return DnsParseStatus.Truncated;
        }

        int start = position;
        position += length;
        bool flush = (cls & TopBit) != 0;
        if ((cls & 0x7FFF) != ClassIn)
        {
            return DnsParseStatus.Ok; // skipped
        }

        ReadOnlySpan<byte> rdata = data.Slice(start, length);
        switch (type)
        {
            case DnsType.A or DnsType.Aaaa:
                if (length != (type == DnsType.A ? 4 : 16))
                {
                    return DnsParseStatus.Malformed;
                }

                record = new AddressRecord(name, ttl, flush, new IPAddress(rdata));
                return DnsParseStatus.Ok;

            case DnsType.Ptr:
                if (!DnsName.TryRead(data, start, out string target, out int targetUsed) || targetUsed != length)
                {
                    return DnsParseStatus.Malformed;
                }

                record = new PtrRecord(name, ttl, flush, target);
                return DnsParseStatus.Ok;

            case DnsType.Srv:
                if (length < 7 || !DnsName.TryRead(data, start + 6, out string srvTarget, out int srvUsed) || srvUsed != length - 6)
                {
                    return DnsParseStatus.Malformed;
                }

                record = new SrvRecord(
                    name,
                    ttl,
                    flush,
                    BinaryPrimitives.ReadUInt16BigEndian(rdata),
                    BinaryPrimitives.ReadUInt16BigEndian(rdata[2..]),
                    BinaryPrimitives.ReadUInt16BigEndian(rdata[4..]),
                    srvTarget);
                return DnsParseStatus.Ok;

            case DnsType.Txt:
                var entries = new List<byte[]>();
                int offset = 0;
                while (offset < rdata.Length)
                {
                    int entryLength = rdata[offset];
                    if (rdata.Length - offset - 1 < entryLength)
                    {
                        return DnsParseStatus.Malformed;
                    }

                    entries.Add(rdata.Slice(offset + 1, entryLength).ToArray());
                    offset += 1 + entryLength;
                }

                record = new TxtRecord(name, ttl, flush, entries);
                return DnsParseStatus.Ok;

            default:
                return DnsParseStatus.Ok; // unknown type: skipped
        }
    }

    /// <summary>The wire form, names uncompressed. Throws for invalid names or a message over <see cref="MaxSize"/>.</summary>
    public byte[] Encode()
    {
        int records = Questions.Count + Answers.Count + Authorities.Count + Additionals.Count;
        if (records > MaxRecords)
        {
            throw new InvalidOperationException($"a DNS message holds at most {MaxRecords} questions and records");
        }

        int size = HeaderSize;
        foreach (DnsQuestion q in Questions)
        {
            size += DnsName.WireLength(q.Name) + 4;
        }

        foreach (DnsRecord r in Answers.Concat(Authorities).Concat(Additionals))
        {
            size += DnsName.WireLength(r.Name) + 10 + RdataLength(r);
        }

        if (size > MaxSize)
        {
            throw new InvalidOperationException($"DNS message of {size} bytes exceeds {MaxSize}");
        }

        byte[] buffer = new byte[size];
        var writer = new SpanWriter(buffer);
        writer.WriteUInt16(Id);
        writer.WriteUInt16(Flags);
        writer.WriteUInt16((ushort)Questions.Count);
        writer.WriteUInt16((ushort)Answers.Count);
        writer.WriteUInt16((ushort)Authorities.Count);
        writer.WriteUInt16((ushort)Additionals.Count);
        foreach (DnsQuestion q in Questions)
        {
            DnsName.Write(ref writer, q.Name);
            writer.WriteUInt16((ushort)q.Type);
            writer.WriteUInt16((ushort)((q.Class & 0x7FFF) | (q.UnicastResponse ? TopBit : 0)));
        }

        foreach (DnsRecord r in Answers.Concat(Authorities).Concat(Additionals))
        {
            WriteRecord(ref writer, r);
        }

        return buffer;
    }

    private static int RdataLength(DnsRecord record) => record switch
    {
        AddressRecord a => a.Address.GetAddressBytes().Length,
        PtrRecord p => DnsName.WireLength(p.Target),
        SrvRecord s => 6 + DnsName.WireLength(s.Target),
        TxtRecord t => t.Entries.Sum(e => e.Length <= 255 ? 1 + e.Length : throw new InvalidOperationException("TXT string over 255 bytes")),
        _ => throw new InvalidOperationException($"cannot encode {record.GetType().Name}"),
    };

    private static void WriteRecord(ref SpanWriter writer, DnsRecord record)
    {
        DnsName.Write(ref writer, record.Name);
        writer.WriteUInt16((ushort)record.Type);
        writer.WriteUInt16((ushort)(ClassIn | (record.CacheFlush ? TopBit : 0)));
        writer.WriteUInt32(record.Ttl);
        int length = RdataLength(record);
        if (length > ushort.MaxValue)
        {
            throw new InvalidOperationException("RDATA too long");
        }

        writer.WriteUInt16((ushort)length);
        switch (record)
        {
            case AddressRecord a:
                writer.WriteBytes(a.Address.GetAddressBytes());
                break;
            case PtrRecord p:
                DnsName.Write(ref writer, p.Target);
                break;
            case SrvRecord s:
                writer.WriteUInt16(s.Priority);
                writer.WriteUInt16(s.Weight);
                writer.WriteUInt16(s.Port);
                DnsName.Write(ref writer, s.Target);
                break;
            case TxtRecord t:
                foreach (byte[] entry in t.Entries)
                {
                    writer.WriteByte((byte)entry.Length);
                    writer.WriteBytes(entry);
                }

                break;
        }
    }
}
