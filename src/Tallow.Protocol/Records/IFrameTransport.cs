// The path sealed records travel on (DESIGN.md §7, §9). SecureChannel seals and opens; the
// transport only moves whole frames, in order, and may change the underlying connection
// (relay → direct → relay) between two frames without the channel noticing.
using Tallow.Wire;

namespace Tallow.Protocol.Records;

public interface IFrameTransport
{
    /// <summary>The last frame read (header and payload); valid until the next read. May be decrypted in place.</summary>
    Memory<byte> CurrentFrame { get; }

    /// <summary>Reads the next frame of at most <see cref="Frame.MaxLength"/>. One reader at a time.</summary>
    ValueTask<FrameReadResult> ReadAsync(CancellationToken cancellationToken);

    /// <summary>Writes one whole frame. One writer at a time (SecureChannel serialises writes).</summary>
    ValueTask WriteAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken);

    /// <summary>
    /// Writes one whole frame, <paramref name="length"/> bytes of <paramref name="array"/> from
    /// offset 0, which the transport may keep instead of a copy (a retransmit window). When it
    /// does, it calls <paramref name="kept"/> at once (before the write completes, and whatever
    /// happens to it): the caller then lets go of the array, which the transport returns to
    /// FrameArrays.Shared.
    /// </summary>
    ValueTask WriteKeepingAsync(byte[] array, int length, Action kept, CancellationToken cancellationToken) =>
        WriteAsync(array.AsMemory(0, length), cancellationToken);

    /// <summary>
    /// Hands over the array holding <see cref="CurrentFrame"/> (from offset 0), to be returned to
    /// FrameArrays.Shared after use; null when the frame lives in a shared read buffer.
    /// </summary>
    byte[]? DetachCurrentFrame() => null;
}

/// <summary>A transport over one stream: the relay path before (or without) a direct upgrade.</summary>
public sealed class StreamFrameTransport(Stream stream, FrameReader reader) : IFrameTransport
{
    public Memory<byte> CurrentFrame => reader.CurrentFrame;

    public ValueTask<FrameReadResult> ReadAsync(CancellationToken cancellationToken) =>
        reader.ReadAsync(Frame.MaxLength, cancellationToken);

    public ValueTask WriteAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken) =>
        stream.WriteAsync(frame, cancellationToken);
}
