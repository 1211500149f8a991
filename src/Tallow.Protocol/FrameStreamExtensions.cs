// Writing one frame with a single write call (header and payload together).
using System.Buffers;
using Tallow.Wire;

namespace Tallow.Protocol;

public static class FrameStreamExtensions
{
    public static async ValueTask WriteFrameAsync(this Stream stream, FrameType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        int size = Frame.HeaderSize + payload.Length;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            Frame.WriteHeader(buffer, type, payload.Length);
            payload.Span.CopyTo(buffer.AsSpan(Frame.HeaderSize));
            await stream.WriteAsync(buffer.AsMemory(0, size), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }
}
