// Routing-room control messages (protocol.md "Chat rooms"): a room allocated with capacity ≥ 3
// is not spliced; the relay gives each member an id and forwards Route{to, payload} as
// Routed{from, payload}, stamping `from` itself and never parsing the payload.
//   relay → member: RoomMembers{your id, ids of the others}   once, right after Opened
//                   MemberJoined{id} / MemberLeft{id}         membership changes
//                   Routed{from, payload}                      a member's frame for you
//                   RoomClose{}                                the room admits no one any more
//   member → relay: Route{to, payload}, RoomClose{} (stop admitting), Ping
// Ids are u8, 0 is the creator, never reused within a room. Parsers never throw.
namespace Tallow.Wire;

public static class RoomProtocol
{
    /// <summary>Smallest capacity that makes a routing room (2 is the spliced pair).</summary>
    public const int MinCapacity = 3;

    /// <summary>Largest payload of one Route/Routed frame.</summary>
    public const int MaxRoutedPayload = 64 * 1024;

    /// <summary>Largest frame length field in a routing room (type byte, id, payload).</summary>
    public const int MaxFrameLength = 1 + 1 + MaxRoutedPayload;
}

/// <summary>RoomMembers{u8 your id, u8 count, count × u8 id}: who is in the room when this member entered.</summary>
public readonly record struct RoomMembersMessage(byte Self, byte[] Others)
{
    public int Size => 2 + Others.Length;

    public int Write(Span<byte> destination)
    {
        var w = new SpanWriter(destination);
        w.WriteByte(Self);
        w.WriteByte((byte)Others.Length);
        w.WriteBytes(Others);
        return w.Written;
    }

    public static bool TryParse(ReadOnlySpan<byte> payload, out RoomMembersMessage message)
    {
        message = default;
        var r = new SpanReader(payload);
        if (!r.TryReadByte(out byte self) || !r.TryReadByte(out byte count) || count >= RelayProtocol.MaxRoomCapacity
            || !r.TryReadBytes(count, out ReadOnlySpan<byte> ids) || !r.IsAtEnd)
        {
            return false;
        }

        Span<bool> seen = stackalloc bool[256];
        seen[self] = true;
        foreach (byte id in ids)
        {
            if (seen[id])
            {
                return false; // a duplicate, or this member itself
            }

            seen[id] = true;
        }

        message = new RoomMembersMessage(self, ids.ToArray());
        return true;
    }
}

/// <summary>MemberJoined{id} and MemberLeft{id}: one byte.</summary>
public readonly record struct MemberIdMessage(byte Id)
{
    public const int Size = 1;

    public static bool TryParse(ReadOnlySpan<byte> payload, out MemberIdMessage message)
    {
        message = payload.Length == Size ? new MemberIdMessage(payload[0]) : default;
        return payload.Length == Size;
    }
}

/// <summary>Route{u8 to, payload} from a member and Routed{u8 from, payload} from the relay share one layout.</summary>
public static class RoutedFrame
{
    /// <summary>Frame header plus the id byte: what precedes the payload on the wire.</summary>
    public const int PrefixSize = Frame.HeaderSize + 1;

    /// <summary>Writes header and id for a payload of <paramref name="payloadLength"/> bytes into <paramref name="destination"/>.</summary>
    public static void WritePrefix(Span<byte> destination, FrameType type, byte id, int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(payloadLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadLength, RoomProtocol.MaxRoutedPayload);
        Frame.WriteHeader(destination, type, 1 + payloadLength);
        destination[Frame.HeaderSize] = id;
    }

    /// <summary>Encodes a whole Route or Routed frame into a new array.</summary>
    public static byte[] Encode(FrameType type, byte id, ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[PrefixSize + payload.Length];
        WritePrefix(frame, type, id, payload.Length);
        payload.CopyTo(frame.AsSpan(PrefixSize));
        return frame;
    }

    /// <summary>Splits a Route/Routed frame's payload into the id and the routed bytes (1..MaxRoutedPayload).</summary>
    public static bool TryParse(ReadOnlySpan<byte> framePayload, out byte id, out int dataOffset)
    {
        id = 0;
        dataOffset = 1;
        if (framePayload.Length < 2 || framePayload.Length - 1 > RoomProtocol.MaxRoutedPayload)
        {
            return false;
        }

        id = framePayload[0];
        return true;
    }
}
