// FsCheck generators for valid wire values (DESIGN.md §4–§8) and helpers that derive hostile
// inputs (truncations, bit flips) from valid encodings.
using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Tallow.Wire;

namespace Tallow.Tests.Wire;

internal static class WireGen
{
    public static readonly Gen<byte> Byte = Gen.Choose(0, 255).Select(i => (byte)i);

    public static readonly Gen<ushort> UInt16 = Gen.Frequency(
        (1, Gen.Elements<ushort>(0, 1, ushort.MaxValue)),
        (5, Gen.Choose(0, ushort.MaxValue).Select(i => (ushort)i)));

    public static readonly Gen<uint> UInt32 = Gen.Frequency(
        (1, Gen.Elements<uint>(0, 1, uint.MaxValue, int.MaxValue, 0x8000_0000)),
        (5, Gen.Zip(Gen.Choose(0, ushort.MaxValue), Gen.Choose(0, ushort.MaxValue)).Select(t => ((uint)t.Item1 << 16) | (uint)t.Item2)));

    public static readonly Gen<ulong> UInt64 = Gen.Frequency(
        (1, Gen.Elements<ulong>(0, 1, ulong.MaxValue, long.MaxValue, 1UL << 63)),
        (5, Gen.Zip(UInt32, UInt32).Select(t => ((ulong)t.Item1 << 32) | t.Item2)));

    public static readonly Gen<long> Int64 = UInt64.Select(u => (long)u);

    /// <summary>Deterministic pseudo-random bytes of an exact length (fast for the 1568-byte handshake fields).</summary>
    public static Gen<byte[]> Bytes(int length) => Gen.Choose(0, int.MaxValue - 1).Select(seed =>
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    });

    /// <summary>Byte arrays with a length in [min, max].</summary>
    public static Gen<byte[]> BytesBetween(int min, int max) => Gen.Choose(min, max).SelectMany(Bytes);

    /// <summary>One Unicode scalar value (never a lone surrogate), weighted towards ASCII.</summary>
    public static readonly Gen<string> Scalar = Gen.Frequency(
        (6, Gen.Choose(0x20, 0x7E).Select(c => ((char)c).ToString())),
        (1, Gen.Choose(0x00, 0x1F).Select(c => ((char)c).ToString())),
        (2, Gen.Choose(0xA0, 0xD7FF).Select(c => ((char)c).ToString())),
        (1, Gen.Choose(0xE000, 0xFFFD).Select(c => ((char)c).ToString())),
        (1, Gen.Choose(0x10000, 0x10FFFF).Select(char.ConvertFromUtf32)));

    /// <summary>A valid UTF-16 string (encodes to valid UTF-8) of at most <paramref name="maxScalars"/> scalar values.</summary>
    public static Gen<string> Text(int maxScalars) =>
        Gen.Choose(0, maxScalars).SelectMany(n => Gen.ArrayOf(Scalar, n)).Select(parts => string.Concat(parts));

    public static readonly Gen<IPAddress> IPv4 = Bytes(4).Select(b => new IPAddress(b));

    public static readonly Gen<IPAddress> IPv6 = Bytes(16).Select(b =>
    {
        b[10] = 0; // keep it from being an IPv4-mapped address by accident: the codec canonicalises those
        return new IPAddress(b);
    });

    public static readonly Gen<IPAddress> IPv4Mapped = IPv4.Select(a => a.MapToIPv6());

    public static readonly Gen<IPEndPoint> Endpoint = Gen.Zip(
        Gen.OneOf(IPv4, IPv6, Gen.Elements(IPAddress.Loopback, IPAddress.IPv6Loopback, IPAddress.Any, IPAddress.IPv6Any)),
        Gen.Choose(0, 65535)).Select(t => new IPEndPoint(t.Item1, t.Item2));

    public static readonly Gen<HelloMessage> Hello = UInt16.Select(v => new HelloMessage(v));

    public static readonly Gen<WelcomeMessage> Welcome =
        from version in UInt16
        from ep in Endpoint
        from nonce in Bytes(RelayProtocol.NonceSize)
        from auth in Gen.Elements(true, false)
        from probePort in UInt16
        from share in Bytes(RelayProtocol.AuthShareSize)
        select new WelcomeMessage(version, ep, nonce, auth, probePort, auth ? share : null);

    public static readonly Gen<AuthMessage> Auth = Gen.Zip(Bytes(RelayProtocol.AuthShareSize), Bytes(RelayProtocol.AuthConfirmSize))
        .Select(t => new AuthMessage(t.Item1, t.Item2));

    public static readonly Gen<AllocateMessage> Allocate = Gen.Zip(Gen.Choose(2, RelayProtocol.MaxRoomCapacity), UInt32)
        .Select(t => new AllocateMessage((byte)t.Item1, t.Item2));

    public static readonly Gen<NameplateMessage> Nameplate = UInt32.Where(n => n != 0).Select(n => new NameplateMessage(n));

    public static readonly Gen<PairedMessage> Paired = Gen.Choose(2, RelayProtocol.MaxRoomCapacity)
        .SelectMany(count => Gen.Choose(0, count - 1).Select(index => new PairedMessage((byte)count, (byte)index)));

    /// <summary>Error texts short enough (≤ 128 UTF-16 units) that Write does not truncate them.</summary>
    public static readonly Gen<ErrorMessage> Error = Gen.Zip(Byte, Text(60))
        .Select(t => new ErrorMessage((RelayErrorCode)t.Item1, t.Item2));

    public static readonly Gen<ReasonMessage> Reason = Gen.Zip(Byte, Text(60))
        .Select(t => new ReasonMessage((CancelReason)t.Item1, t.Item2));

    public static readonly Gen<FileDoneMessage> FileDone =
        from index in UInt32
        from size in UInt64
        from hash in Bytes(FileDoneMessage.HashSize)
        select new FileDoneMessage(index, size, hash);

    public static readonly Gen<OfferEntry> Entry =
        from isDir in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        from path in Text(40)
        from size in UInt64
        from mode in UInt32
        from mtime in Int64
        select new OfferEntry(isDir ? EntryType.Directory : EntryType.File, path, isDir ? 0 : size, mode, mtime);

    public static readonly Gen<TransferOffer> Offer =
        from kind in Gen.Elements(TransferKind.Files, TransferKind.Text, TransferKind.Stream)
        from chunk in Gen.Frequency(
            (1, Gen.Elements(TransferOffer.MinChunkSize, TransferOffer.MaxChunkSize, 1024 * 1024)),
            (3, Gen.Choose(TransferOffer.MinChunkSize, TransferOffer.MaxChunkSize)))
        from entries in Gen.Choose(0, 12).SelectMany(n => Gen.ArrayOf(Entry, n))
        from compression in Gen.Elements(OfferCompression.None, OfferCompression.Zstd)
        select new TransferOffer(kind, chunk, entries) { Compression = compression };

    public static readonly Gen<AcceptMessage> Accept =
        from files in Gen.Choose(0, 20).SelectMany(n => Gen.ArrayOf(
            from index in UInt32
            from offset in UInt64
            select new AcceptedFile(index, offset), n))
        select new AcceptMessage(files);

    public static readonly Gen<ResendMessage> Resend =
        from indices in Gen.Choose(0, 20).SelectMany(n => Gen.ArrayOf(UInt32, n))
        select new ResendMessage(indices);

    /// <summary>A valid encoding plus an index and bit, for flipping one bit of it.</summary>
    public static Gen<(byte[] Bytes, int Position, int Bit)> WithBitFlip(Gen<byte[]> encodings) =>
        from bytes in encodings.Where(b => b.Length > 0)
        from position in Gen.Choose(0, bytes.Length - 1)
        from bit in Gen.Choose(0, 7)
        select (bytes, position, bit);

    /// <summary>A valid encoding cut to a strictly shorter length.</summary>
    public static Gen<byte[]> Truncated(Gen<byte[]> encodings) =>
        from bytes in encodings.Where(b => b.Length > 0)
        from length in Gen.Choose(0, bytes.Length - 1)
        select bytes[..length];

    public static byte[] Flip((byte[] Bytes, int Position, int Bit) f)
    {
        byte[] copy = (byte[])f.Bytes.Clone();
        copy[f.Position] ^= (byte)(1 << f.Bit);
        return copy;
    }

    public static string Hex(byte[] bytes) => Convert.ToHexString(bytes);

    public static int Utf8Length(string s) => Encoding.UTF8.GetByteCount(s);
}
