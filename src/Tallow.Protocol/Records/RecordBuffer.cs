// A reusable buffer laid out as a whole sealed record frame, so data is read from disk
// straight into place and sealed in place: header(5) | kind(1) | body | tag(16).
// Chunk-sized buffers are allocated at their exact size (see ChunkArrays) and live as long as
// the transfer.
using Tallow.Crypto;
using Tallow.Wire;

namespace Tallow.Protocol.Records;

public sealed class RecordBuffer : IDisposable
{
    public const int BodyOffset = Frame.HeaderSize + 1;
    public const int Overhead = BodyOffset + RecordSealer.TagSize;

    private byte[] _array;

    public RecordBuffer(int bodyCapacity)
    {
        BodyCapacity = bodyCapacity;
        _array = ChunkArrays.Rent(bodyCapacity + Overhead);
    }

    public int BodyCapacity { get; }

    public Memory<byte> Body => _array.AsMemory(BodyOffset, BodyCapacity);

    internal byte[] Array => _array;

    public void Dispose()
    {
        if (_array.Length > 0)
        {
            System.Array.Clear(_array);
            ChunkArrays.Return(_array);
            _array = [];
        }
    }
}
