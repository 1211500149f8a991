// Byte-string encodings of draft-irtf-cfrg-cpace (section "Notation"): prepend_len (LEB128 length prefix),
// lv_cat, and generator_string for the ristretto255/SHA-512 cipher suite.
namespace Tallow.Crypto;

internal static class CPaceEncoding
{
    /// <summary>Domain separation identifier of the CPACE-RISTR255-SHA512 suite.</summary>
    internal static ReadOnlySpan<byte> Dsi => "CPaceRistretto255"u8;

    /// <summary>DSI || "_ISK".</summary>
    internal static ReadOnlySpan<byte> DsiIsk => "CPaceRistretto255_ISK"u8;

    /// <summary>s_in_bytes of SHA-512 (its input block size).</summary>
    internal const int HashBlockSize = 128;

    /// <summary>Number of bytes of the unsigned LEB128 encoding of <paramref name="length"/>.</summary>
    internal static int Leb128Size(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var size = 1;
        var value = (uint)length;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    /// <summary>Writes the unsigned LEB128 encoding of <paramref name="length"/>; returns bytes written.</summary>
    internal static int WriteLeb128(int length, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var value = (uint)length;
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)((value & 0x7F) | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    /// <summary>len(prepend_len(data)).</summary>
    internal static int PrependLenSize(int dataLength) => Leb128Size(dataLength) + dataLength;

    /// <summary>Writes prepend_len(data) at <paramref name="destination"/>; returns bytes written.</summary>
    internal static int WritePrependLen(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        var n = WriteLeb128(data.Length, destination);
        data.CopyTo(destination[n..]);
        return n + data.Length;
    }

    /// <summary>len_zpad = max(0, s_in_bytes - 1 - len(prepend_len(PRS)) - len(prepend_len(DSI))).</summary>
    internal static int ZeroPadLength(int prsLength) =>
        Math.Max(0, HashBlockSize - 1 - PrependLenSize(prsLength) - PrependLenSize(Dsi.Length));

    /// <summary>Size of generator_string(DSI, PRS, CI, sid, s_in_bytes).</summary>
    internal static int GeneratorStringSize(int prsLength, int ciLength, int sidLength)
    {
        var zpad = ZeroPadLength(prsLength);
        return PrependLenSize(Dsi.Length) + PrependLenSize(prsLength) + PrependLenSize(zpad)
            + PrependLenSize(ciLength) + PrependLenSize(sidLength);
    }

    /// <summary>generator_string = lv_cat(DSI, PRS, zero_bytes(len_zpad), CI, sid).</summary>
    internal static int WriteGeneratorString(
        ReadOnlySpan<byte> prs, ReadOnlySpan<byte> ci, ReadOnlySpan<byte> sid, Span<byte> destination)
    {
        var zpad = ZeroPadLength(prs.Length);
        var n = WritePrependLen(Dsi, destination);
        n += WritePrependLen(prs, destination[n..]);
        n += WriteLeb128(zpad, destination[n..]);
        destination.Slice(n, zpad).Clear();
        n += zpad;
        n += WritePrependLen(ci, destination[n..]);
        n += WritePrependLen(sid, destination[n..]);
        return n;
    }
}
