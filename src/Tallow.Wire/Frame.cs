// Frame format (DESIGN.md §4): u32 big-endian length | u8 type | payload.
// `length` counts the type byte plus the payload. Every connection (relay control,
// spliced peer traffic, direct path) carries only frames.
using System.Buffers.Binary;

namespace Tallow.Wire;

/// <summary>Frame types. Relay control 0x01–0x0F, peer handshake 0x10–0x1F, sealed records 0x20, direct path 0x30–0x3F.</summary>
public enum FrameType : byte
{
    Hello = 0x01,
    Welcome = 0x02,
    Auth = 0x03,
    Allocate = 0x04,
    Claim = 0x05,
    Opened = 0x06,
    Paired = 0x07,
    Error = 0x08,
    Ping = 0x09,

    // Routing rooms (RoomMessages.cs, protocol.md "Chat rooms").
    RoomMembers = 0x0A,
    MemberJoined = 0x0B,
    MemberLeft = 0x0C,
    Route = 0x0D,
    Routed = 0x0E,
    RoomClose = 0x0F,

    HandshakeInit = 0x10,
    HandshakeResponse = 0x11,
    HandshakeConfirm = 0x12,
    HandshakeAbort = 0x13,

    Record = 0x20,

    // Direct path (DESIGN.md §9): proof of the session key on a new connection, then
    // acknowledgements on the direct path and the resynchronisation after a fallback.
    DirectHello = 0x30,
    DirectProof = 0x31,
    PathAck = 0x32,
    PathResync = 0x33,
}

public enum FrameStatus
{
    Ok,
    NeedMore,
    TooLarge,
    Invalid,
}

public static class Frame
{
    public const int HeaderSize = 5;

    /// <summary>Largest allowed length field: 16 MiB + 64 (a full chunk plus record overhead).</summary>
    public const int MaxLength = 16 * 1024 * 1024 + 64;

    /// <summary>Largest frame a relay accepts from a client before it is paired.</summary>
    public const int MaxUnpairedLength = 1024;

    /// <summary>
    /// Parses a frame header. <paramref name="payloadLength"/> excludes the type byte.
    /// Never throws; rejects a zero length and anything above <paramref name="maxLength"/>.
    /// </summary>
    public static FrameStatus TryReadHeader(ReadOnlySpan<byte> buffer, int maxLength, out FrameType type, out int payloadLength)
    {
        type = default;
        payloadLength = 0;
        if (buffer.Length < HeaderSize)
        {
            return FrameStatus.NeedMore;
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(buffer);
        if (length == 0)
        {
            return FrameStatus.Invalid;
        }

        if (length > (uint)maxLength)
        {
            return FrameStatus.TooLarge;
        }

        type = (FrameType)buffer[4];
        payloadLength = (int)length - 1;
        return FrameStatus.Ok;
    }

    /// <summary>
    /// Parses one complete frame from the start of <paramref name="buffer"/>.
    /// <paramref name="consumed"/> is the total frame size when the status is Ok.
    /// </summary>
    public static FrameStatus TryParse(ReadOnlySpan<byte> buffer, int maxLength, out FrameType type, out ReadOnlySpan<byte> payload, out int consumed)
    {
        payload = default;
        consumed = 0;
        FrameStatus status = TryReadHeader(buffer, maxLength, out type, out int payloadLength);
        if (status != FrameStatus.Ok)
        {
            return status;
        }

        if (buffer.Length - HeaderSize < payloadLength)
        {
            return FrameStatus.NeedMore;
        }

        payload = buffer.Slice(HeaderSize, payloadLength);
        consumed = HeaderSize + payloadLength;
        return FrameStatus.Ok;
    }

    public static void WriteHeader(Span<byte> destination, FrameType type, int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadLength, MaxLength - 1);
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(payloadLength + 1));
        destination[4] = (byte)type;
    }

    /// <summary>Encodes a whole frame into a new array (control messages; hot paths write in place).</summary>
    public static byte[] Encode(FrameType type, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[HeaderSize + payload.Length];
        WriteHeader(frame, type, payload.Length);
        payload.CopyTo(frame.AsSpan(HeaderSize));
        return frame;
    }
}
