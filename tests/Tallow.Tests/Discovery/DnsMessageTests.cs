// Hand-made RFC 1035 §4.1.4 compression cases and the codec's limits: pointer loops (self, mutual,
// forward), too many jumps, over-long names, reserved label types, huge counts, oversize input,
// malformed RDATA, unknown types / classes skipped.
using System.Buffers.Binary;
using System.Net;
using Tallow.Net.Discovery;

namespace Tallow.Tests.Discovery;

public class DnsMessageTests
{
    private static byte[] Header(ushort qd = 0, ushort an = 0, ushort ns = 0, ushort ar = 0, ushort flags = 0x8400)
    {
        byte[] h = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(2), flags);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(4), qd);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(6), an);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(8), ns);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(10), ar);
        return h;
    }

    private static DnsParseStatus Parse(byte[] bytes) => DnsMessage.TryParse(bytes, out _);

    [Fact]
    public void Compressed_names_are_followed()
    {
        // question "_tallow._tcp.local" PTR at offset 12; answer name = pointer to 12; PTR target = "x" + pointer to 12
        byte[] question = [7, .. "_tallow"u8, 4, .. "_tcp"u8, 5, .. "local"u8, 0, 0, 12, 0, 1];
        byte[] answer = [0xC0, 12, 0, 12, 0, 1, 0, 0, 0, 10, 0, 4, 1, (byte)'x', 0xC0, 12];
        byte[] message = [.. Header(qd: 1, an: 1), .. question, .. answer];
        Assert.Equal(DnsParseStatus.Ok, DnsMessage.TryParse(message, out DnsMessage? m));
        Assert.Equal("_tallow._tcp.local", m!.Questions[0].Name);
        var ptr = Assert.IsType<PtrRecord>(Assert.Single(m.Answers));
        Assert.Equal("_tallow._tcp.local", ptr.Name);
        Assert.Equal("x._tallow._tcp.local", ptr.Target);
        Assert.Equal(10u, ptr.Ttl);
    }

    [Theory]
    [InlineData(new byte[] { 0xC0, 12 })]                 // points at itself
    [InlineData(new byte[] { 0xC0, 14, 0xC0, 12 })]       // forward pointer
    [InlineData(new byte[] { 1, (byte)'a', 0xC0, 12 })]   // back into the same name
    [InlineData(new byte[] { 0xC0, 200 })]                // outside the message
    [InlineData(new byte[] { 0xC0 })]                     // half a pointer
    [InlineData(new byte[] { 0x40, 0 })]                  // reserved label type 01
    [InlineData(new byte[] { 0x80, 0 })]                  // reserved label type 10
    [InlineData(new byte[] { 5, (byte)'a' })]             // label runs past the end
    public void Bad_names_are_refused(byte[] name)
    {
        byte[] message = [.. Header(qd: 1), .. name, 0, 12, 0, 1];
        Assert.NotEqual(DnsParseStatus.Ok, Parse(message));
    }

    [Fact]
    public void Mutual_pointer_loop_is_refused()
    {
        // offset 12: pointer to 14; offset 14: pointer to 12 (a loop through two names)
        byte[] message = [.. Header(qd: 2), 0xC0, 14, 0, 12, 0, 1, 0xC0, 12, 0, 12, 0, 1];
        Assert.NotEqual(DnsParseStatus.Ok, Parse(message));
    }

    [Fact]
    public void Pointer_chains_longer_than_the_jump_limit_are_refused()
    {
        // The pointers live in the RDATA of an unknown-type record (skipped), starting at offset 28;
        // pointer 0 targets the root name at offset 12, pointer i the pointer before it. A PTR's
        // target then points at the last one, so reading it takes jumps + 1 jumps.
        static byte[] ChainMessage(int jumps)
        {
            const int chainStart = 12 + 1 + 4 + 1 + 10;
            byte[] chain = new byte[jumps * 2];
            for (int i = 0; i < jumps; i++)
            {
                chain[i * 2] = 0xC0;
                chain[(i * 2) + 1] = (byte)(i == 0 ? 12 : chainStart + ((i - 1) * 2));
            }

            byte[] unknown = [0, 0, 99, 0, 1, 0, 0, 0, 1, 0, (byte)chain.Length, .. chain];
            byte[] ptr = [0, 0, 12, 0, 1, 0, 0, 0, 1, 0, 2, 0xC0, (byte)(chainStart + ((jumps - 1) * 2))];
            return [.. Header(qd: 1, an: 2), 0, 0, 12, 0, 1, .. unknown, .. ptr];
        }

        Assert.Equal(DnsParseStatus.Ok, Parse(ChainMessage(DnsName.MaxPointerJumps - 1)));
        Assert.NotEqual(DnsParseStatus.Ok, Parse(ChainMessage(DnsName.MaxPointerJumps + 5)));
    }

    [Fact]
    public void Names_longer_than_255_bytes_are_refused()
    {
        byte[] label = [63, .. Enumerable.Repeat((byte)'a', 63)];
        byte[] message = [.. Header(qd: 1), .. label, .. label, .. label, .. label, 0, 0, 12, 0, 1]; // 4 × 64 + 1 = 257
        Assert.Equal(DnsParseStatus.Malformed, Parse(message));
        Assert.Throws<ArgumentException>(() => DnsName.WireLength(string.Join('.', Enumerable.Repeat(new string('a', 63), 4))));
    }

    [Fact]
    public void Limits_on_counts_and_size()
    {
        Assert.Equal(DnsParseStatus.TooManyRecords, Parse(Header(qd: 65535, an: 65535, ns: 65535, ar: 65535)));
        Assert.Equal(DnsParseStatus.TooManyRecords, Parse(Header(an: 65)));
        Assert.NotEqual(DnsParseStatus.Ok, Parse(Header(an: 64))); // 64 records announced, none present
        Assert.Equal(DnsParseStatus.TooLarge, Parse(new byte[DnsMessage.MaxSize + 1]));
        Assert.Equal(DnsParseStatus.Truncated, Parse(new byte[11]));
        Assert.Equal(DnsParseStatus.Ok, Parse(new byte[12]));
    }

    [Theory]
    [InlineData(1, new byte[] { 1, 2, 3 })]               // A of 3 bytes
    [InlineData(28, new byte[] { 1, 2, 3, 4 })]           // AAAA of 4 bytes
    [InlineData(12, new byte[] { 1, (byte)'a', 0, 9 })]   // PTR name shorter than RDATA
    [InlineData(12, new byte[] { 1, (byte)'a' })]         // PTR name longer than RDATA
    [InlineData(33, new byte[] { 0, 0, 0, 0, 0, 1 })]     // SRV without target
    [InlineData(16, new byte[] { 5, (byte)'a' })]         // TXT string past RDATA
    public void Malformed_rdata_is_refused(ushort type, byte[] rdata)
    {
        byte[] record = [0, (byte)(type >> 8), (byte)type, 0, 1, 0, 0, 0, 1, 0, (byte)rdata.Length, .. rdata];
        Assert.Equal(DnsParseStatus.Malformed, Parse([.. Header(an: 1), .. record]));
    }

    [Fact]
    public void Unknown_types_and_classes_are_skipped()
    {
        byte[] nsec = [0, 0, 47, 0, 1, 0, 0, 0, 1, 0, 3, 1, 2, 3];
        byte[] chaos = [0, 0, 1, 0, 3, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4];
        byte[] a = [0, 0, 1, 0x80, 1, 0, 0, 0, 1, 0, 4, 10, 0, 0, 1];
        Assert.Equal(DnsParseStatus.Ok, DnsMessage.TryParse([.. Header(an: 3), .. nsec, .. chaos, .. a], out DnsMessage? m));
        var record = Assert.IsType<AddressRecord>(Assert.Single(m!.Answers));
        Assert.Equal(IPAddress.Parse("10.0.0.1"), record.Address);
        Assert.True(record.CacheFlush);
    }

    [Fact]
    public void Txt_values_are_read_by_key_first_one_wins()
    {
        var txt = new TxtRecord("x", 1, false, [[.. "V=1"u8], [.. "np=7"u8], [.. "np=8"u8], [.. "flag"u8], [0xFF, (byte)'=', 0xFF]]);
        Assert.True(txt.TryGetValue("v", out string v));
        Assert.Equal("1", v);
        Assert.True(txt.TryGetValue("NP", out string np));
        Assert.Equal("7", np);
        Assert.True(txt.TryGetValue("flag", out string flag));
        Assert.Equal(string.Empty, flag);
        Assert.False(txt.TryGetValue("missing", out _));
    }

    [Fact]
    public void Odd_label_bytes_are_escaped_and_round_trip()
    {
        string name = DnsName.FromLabels([[.. "My Printer"u8], [(byte)'a', (byte)'.', (byte)'\\', 0]]);
        Assert.Equal(@"My\032Printer.a\046\092\000", name);
        Assert.Equal(2, DnsName.ToLabels(name).Count);
        Assert.Equal([(byte)'a', (byte)'.', (byte)'\\', 0], DnsName.ToLabels(name)[1]);
    }
}
