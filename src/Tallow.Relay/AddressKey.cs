// The unit every per-address limit counts by (DESIGN.md §5.5): an IPv4 address, or the /64 of an
// IPv6 address, since one IPv6 host (or home, or phone) is usually handed a whole /64 and can use
// any address in it. IPv4-mapped IPv6 addresses count as their IPv4 address.
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Tallow.Relay;

internal static class AddressKey
{
    public static UInt128 Of(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes[12..], out _);
            bytes[0] = 4; // distinguishes the IPv4 space from IPv6 prefixes
        }
        else
        {
            address.TryWriteBytes(bytes, out _);
            bytes[8..].Clear(); // the /64
        }

        return new UInt128(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));
    }
}
