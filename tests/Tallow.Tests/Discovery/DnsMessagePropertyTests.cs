// Properties of the mDNS message codec (RFC 1035 §4.1, RFC 6762 §18): generated messages round
// trip; arbitrary bytes, truncations and bit flips of valid encodings never throw, and whatever
// the parser accepts re-encodes to a message that parses to the same thing.
using FsCheck;
using FsCheck.Fluent;
using Tallow.Net.Discovery;
using Tallow.Tests.Wire;

namespace Tallow.Tests.Discovery;

public class DnsMessagePropertyTests
{
    private static readonly Config Quick = Config.QuickThrowOnFailure.WithMaxTest(300);

    /// <summary>Parses without throwing; when accepted, re-encoding and re-parsing is stable.</summary>
    private static bool ParseIsConsistent(byte[] input)
    {
        if (DnsMessage.TryParse(input, out DnsMessage? message) != DnsParseStatus.Ok)
        {
            return message is null;
        }

        byte[] reencoded = message!.Encode();
        return DnsMessage.TryParse(reencoded, out DnsMessage? again) == DnsParseStatus.Ok
            && again!.Encode().AsSpan().SequenceEqual(reencoded);
    }

    [Fact]
    public void Generated_messages_round_trip()
    {
        Check.One(Quick, Prop.ForAll(DnsGen.Message.ToArbitrary(), message =>
        {
            byte[] encoded = message.Encode();
            return DnsMessage.TryParse(encoded, out DnsMessage? parsed) == DnsParseStatus.Ok
                && parsed!.Id == message.Id && parsed.Flags == message.Flags
                && parsed.Questions.SequenceEqual(message.Questions)
                && parsed.Answers.Count == message.Answers.Count
                && parsed.Authorities.Count == message.Authorities.Count
                && parsed.Additionals.Count == message.Additionals.Count
                && parsed.Answers.Zip(message.Answers).All(p => MdnsResponder.SameRecord(p.First, p.Second) && p.First.Ttl == p.Second.Ttl && p.First.CacheFlush == p.Second.CacheFlush)
                && parsed.Encode().AsSpan().SequenceEqual(encoded);
        }));
    }

    [Fact]
    public void Arbitrary_bytes_never_throw()
    {
        Check.One(Quick, Prop.ForAll(WireGen.BytesBetween(0, 128).ToArbitrary(), ParseIsConsistent));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(100), Prop.ForAll(WireGen.BytesBetween(1000, 9100).ToArbitrary(), ParseIsConsistent));
    }

    [Fact]
    public void Arbitrary_bodies_behind_a_plausible_header_never_throw()
    {
        Gen<byte[]> withHeader =
            from counts in Gen.ArrayOf(Gen.Choose(0, 5), 4)
            from body in WireGen.BytesBetween(0, 300)
            select (byte[])[0, 0, 0x84, 0, 0, (byte)counts[0], 0, (byte)counts[1], 0, (byte)counts[2], 0, (byte)counts[3], .. body];
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000), Prop.ForAll(withHeader.ToArbitrary(), ParseIsConsistent));
    }

    [Fact]
    public void Truncated_valid_encodings_are_refused()
    {
        Check.One(Quick, Prop.ForAll(WireGen.Truncated(DnsGen.Encoded).ToArbitrary(), bytes =>
            DnsMessage.TryParse(bytes, out DnsMessage? m) != DnsParseStatus.Ok && m is null));
    }

    [Fact]
    public void Bit_flipped_valid_encodings_never_throw()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000), Prop.ForAll(WireGen.WithBitFlip(DnsGen.Encoded).ToArbitrary(), f => ParseIsConsistent(WireGen.Flip(f))));
    }

    [Fact]
    public void Names_written_from_labels_read_back_identically()
    {
        Check.One(Quick, Prop.ForAll(DnsGen.Name.ToArbitrary(), name =>
        {
            byte[] buffer = new byte[DnsName.WireLength(name)];
            var writer = new Tallow.Wire.SpanWriter(buffer);
            DnsName.Write(ref writer, name);
            return DnsName.TryRead(buffer, 0, out string read, out int consumed) && read == name && consumed == buffer.Length;
        }));
    }
}
