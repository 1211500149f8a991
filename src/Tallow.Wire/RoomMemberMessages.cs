// Record bodies on a chat room pair's own session (protocol.md "Chat rooms"):
//   RoomHello{name}            first record of each side after the handshake: the name it shows
//   RoomView{u8 n, n × u8 id}  the members this side is paired with, itself included, sent on every change
// Names are bounded and must be printable text; parsers never throw and reject trailing bytes.
namespace Tallow.Wire;

public static class RoomHelloMessage
{
    /// <summary>Longest name in UTF-8 bytes.</summary>
    public const int MaxNameBytes = 64;

    public static byte[] Write(string name)
    {
        byte[] body = new byte[SpanWriter.StringSize(name)];
        new SpanWriter(body).WriteString(name);
        return body;
    }

    /// <summary>A name of 1..MaxNameBytes bytes with no control character and not only spaces.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out string name)
    {
        var r = new SpanReader(body);
        if (!r.TryReadString(MaxNameBytes, out name) || !r.IsAtEnd || !IsValidName(name))
        {
            name = string.Empty;
            return false;
        }

        return true;
    }

    public static bool IsValidName(string name) =>
        name.Length > 0 && System.Text.Encoding.UTF8.GetByteCount(name) <= MaxNameBytes
        && !string.IsNullOrWhiteSpace(name) && !name.Any(char.IsControl);
}

public static class RoomViewMessage
{
    public static byte[] Write(IReadOnlyCollection<byte> ids)
    {
        byte[] body = new byte[1 + ids.Count];
        body[0] = (byte)ids.Count;
        int i = 1;
        foreach (byte id in ids.Order())
        {
            body[i++] = id;
        }

        return body;
    }

    /// <summary>Distinct ids in increasing order, at most RelayProtocol.MaxRoomCapacity of them.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out byte[] ids)
    {
        ids = [];
        if (body.Length < 1 || body[0] > RelayProtocol.MaxRoomCapacity || body.Length != 1 + body[0])
        {
            return false;
        }

        ReadOnlySpan<byte> list = body[1..];
        for (int i = 1; i < list.Length; i++)
        {
            if (list[i] <= list[i - 1])
            {
                return false;
            }
        }

        ids = list.ToArray();
        return true;
    }
}
