// A reusable buffer laid out as a whole sealed record frame, so data is read from disk
// straight into place and sealed in place: header(5) | kind(1) | body | tag(16).
// Small buffers come from the shared pool; chunk-sized ones are allocated at their exact size
// (the pool would round 1 MiB + 22 bytes up to 2 MiB) and live as long as the transfer.
using System.Buffers;
using Tallow.Crypto;
using Tallow.Wire;

namespace Tallow.Protocol.Records;

public sealed class RecordBuffer : IDisposable
{
    public const int BodyOffset = Frame.HeaderSize + 1;
    public const int Overhead = BodyOffset + RecordSealer.TagSize;

    private const int PooledUpTo = 64 * 1024;

    private byte[] _array;

    public RecordBuffer(int bodyCapacity)
    {
        BodyCapacity = bodyCapacity;
        int length = bodyCapacity + Overhead;
        _array = length <= PooledUpTo ? ArrayPool<byte>.Shared.Rent(length) : GC.AllocateUninitializedArray<byte>(length);
    }

    public int BodyCapacity { get; }

    public Memory<byte> Body => _array.AsMemory(BodyOffset, BodyCapacity);

    internal byte[] Array => _array;

    public void Dispose()
    {
        if (_array.Length > 0)
        {
            System.Array.Clear(_array);
            if (_array.Length <= PooledUpTo)
            {
                ArrayPool<byte>.Shared.Return(_array);
            }

            _array = [];
        }
    }
}
