// Plaintext frames of the direct path (DESIGN.md §9.4, §9.6). They carry no secret:
//   DirectHello{role, nonce}      both sides, on every new direct connection
//   DirectProof{mac}              HMAC(direct key, label | role | nonce_I | nonce_R): proves the session key
//   PathAck{frames received}      direct path only: lets the peer free its retransmit buffer; also a heartbeat
//   PathResync{frames received, mac}  relay path only: after the direct path broke, where to resume
// Records themselves stay sealed; a forged Ack or Resync can at worst end the direct path.
using System.Buffers.Binary;

namespace Tallow.Wire;

public readonly record struct DirectHelloMessage(byte Role, byte[] Nonce)
{
    public const int NonceSize = 16;
    public const int Size = 1 + NonceSize;

    public int Write(Span<byte> destination)
    {
        destination[0] = Role;
        Nonce.CopyTo(destination[1..]);
        return Size;
    }

    public static bool TryParse(ReadOnlySpan<byte> payload, out DirectHelloMessage message)
    {
        message = default;
        if (payload.Length != Size || payload[0] > 1)
        {
            return false;
        }

        message = new DirectHelloMessage(payload[0], payload[1..].ToArray());
        return true;
    }
}

public static class PathMessages
{
    public const int MacSize = 32;
    public const int AckSize = 8;
    public const int ResyncSize = 8 + MacSize;

    public static bool TryParseAck(ReadOnlySpan<byte> payload, out ulong framesReceived)
    {
        framesReceived = 0;
        if (payload.Length != AckSize)
        {
            return false;
        }

        framesReceived = BinaryPrimitives.ReadUInt64BigEndian(payload);
        return true;
    }

    public static bool TryParseResync(ReadOnlySpan<byte> payload, out ulong framesReceived, out ReadOnlySpan<byte> mac)
    {
        framesReceived = 0;
        mac = default;
        if (payload.Length != ResyncSize)
        {
            return false;
        }

        framesReceived = BinaryPrimitives.ReadUInt64BigEndian(payload);
        mac = payload[8..];
        return true;
    }
}
