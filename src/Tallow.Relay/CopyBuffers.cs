// The relay's user-space forwarding buffers (RelaySession.Splice.cs: TLS relays, WebSocket sides,
// TALLOW_RELAY_SPLICE=0; SplicePipe's fallback when no pipe can be made) under one relay-wide
// budget. A direction holds a buffer only while bytes move; it gets the size it asks for (64 KiB,
// 256 KiB for a bulk transfer) while the buffers held by all directions stay within Budget, and
// the 16 KiB floor beyond it, which is always granted, so no direction ever waits for memory.
// Without the budget, 5,000 pairs moving at once held 256 KiB per direction (1.8 GiB peak RSS in
// bench/relay-splice's copy row); with it the copy path stays near Budget + 16 KiB per moving
// direction.
using System.Buffers;

namespace Tallow.Relay;

internal static class CopyBuffers
{
    /// <summary>What a direction always gets.</summary>
    public const int Floor = 16 * 1024;

    /// <summary>Bytes of larger-than-floor buffers the whole relay may hold at once.</summary>
    public const long Budget = 64L << 20;

    private static long s_held;

    /// <summary>Bytes of larger-than-floor buffers held now.</summary>
    public static long Held => Interlocked.Read(ref s_held);

    /// <summary>A buffer of <paramref name="wanted"/> bytes when the budget allows, else of Floor bytes; give it back with Return.</summary>
    public static byte[] Rent(int wanted)
    {
        if (wanted > Floor)
        {
            if (Interlocked.Add(ref s_held, wanted) <= Budget)
            {
                byte[] buffer = ArrayPool<byte>.Shared.Rent(wanted);
                Interlocked.Add(ref s_held, buffer.Length - wanted);
                return buffer;
            }

            Interlocked.Add(ref s_held, -wanted);
        }

        return ArrayPool<byte>.Shared.Rent(Floor);
    }

    public static void Return(byte[] buffer)
    {
        if (buffer.Length > Floor)
        {
            Interlocked.Add(ref s_held, -buffer.Length);
        }

        ArrayPool<byte>.Shared.Return(buffer);
    }
}
