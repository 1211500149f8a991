// Byte arrays for frames and records: small ones come from the shared pool, chunk-sized ones
// (≥ 64 KiB) are allocated at their exact size, because the pool rounds up to the next power of
// two and a 1 MiB + 27 byte frame would hold 2 MiB. Large arrays live as long as their owner
// (a transfer's buffers), so they are not pooled; their owners reuse them.
using System.Buffers;

namespace Tallow.Wire;

public static class ChunkArrays
{
    public const int PooledUpTo = 64 * 1024;

    public static byte[] Rent(int length) =>
        length <= PooledUpTo ? ArrayPool<byte>.Shared.Rent(length) : GC.AllocateUninitializedArray<byte>(length);

    /// <summary>Gives a small array back to the pool; a large one is left to the collector.</summary>
    public static void Return(byte[] array)
    {
        if (array.Length <= PooledUpTo)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
