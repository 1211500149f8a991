// Endpoint encoding shared by Welcome and (later) direct-path candidates:
// u8 family (4 or 6) | address (4 or 16 bytes) | u16 port.
using System.Net;
using System.Net.Sockets;

namespace Tallow.Wire;

public static class EndpointCodec
{
    public const int MaxSize = 1 + 16 + 2;

    /// <summary>Bytes <see cref="Write"/> produces: IPv4-mapped IPv6 addresses travel as IPv4 (7 bytes).</summary>
    public static int SizeOf(IPEndPoint endpoint) =>
        endpoint.AddressFamily == AddressFamily.InterNetworkV6 && !endpoint.Address.IsIPv4MappedToIPv6 ? 19 : 7;

    public static void Write(ref SpanWriter writer, IPEndPoint endpoint)
    {
        IPAddress address = endpoint.Address.IsIPv4MappedToIPv6 ? endpoint.Address.MapToIPv4() : endpoint.Address;
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int written);
        writer.WriteByte(written == 4 ? (byte)4 : (byte)6);
        writer.WriteBytes(bytes[..written]);
        writer.WriteUInt16((ushort)endpoint.Port);
    }

    public static bool TryRead(ref SpanReader reader, out IPEndPoint? endpoint)
    {
        endpoint = null;
        if (!reader.TryReadByte(out byte family))
        {
            return false;
        }

        int length = family switch { 4 => 4, 6 => 16, _ => -1 };
        if (length < 0 || !reader.TryReadBytes(length, out ReadOnlySpan<byte> bytes) || !reader.TryReadUInt16(out ushort port))
        {
            return false;
        }

        endpoint = new IPEndPoint(new IPAddress(bytes), port);
        return true;
    }
}
