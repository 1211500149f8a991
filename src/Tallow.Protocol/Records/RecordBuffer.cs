// A reusable buffer laid out as a whole sealed record frame, so data is read from disk
// straight into place and sealed in place: header(5) | kind(1) | body | tag(16).
// Chunk-sized buffers are allocated at their exact size (see ChunkArrays) and live as long as
// the transfer. A buffer made with handOver may give its array away when it is sent: a transport
// that keeps sent frames (the direct path's retransmit window) then keeps that very array instead
// of a copy, and the buffer goes on in another one from FrameArrays.Shared.
using Tallow.Crypto;
using Tallow.Wire;

namespace Tallow.Protocol.Records;

public sealed class RecordBuffer : IDisposable
{
    public const int BodyOffset = Frame.HeaderSize + 1;
    public const int Overhead = BodyOffset + RecordSealer.TagSize;

    private byte[] _array;

    public RecordBuffer(int bodyCapacity, bool handOver = false)
    {
        BodyCapacity = bodyCapacity;
        HandsOver = handOver;
        _array = handOver ? FrameArrays.Shared.Rent(bodyCapacity + Overhead) : ChunkArrays.Rent(bodyCapacity + Overhead);
    }

    public int BodyCapacity { get; }

    /// <summary>The array may be handed to the transport on send (<see cref="Replace"/>): hold no Body across a send.</summary>
    public bool HandsOver { get; }

    public Memory<byte> Body => _array.AsMemory(BodyOffset, BodyCapacity);

    internal byte[] Array => _array;

    /// <summary>After the transport kept the array: go on in another one, from the pool it returns kept arrays to.</summary>
    internal void Replace()
    {
        _array = FrameArrays.Shared.Rent(BodyCapacity + Overhead);
    }

    public void Dispose()
    {
        if (_array.Length > 0)
        {
            System.Array.Clear(_array);
            if (HandsOver)
            {
                FrameArrays.Shared.Return(_array);
            }
            else
            {
                ChunkArrays.Return(_array);
            }

            _array = [];
        }
    }
}
