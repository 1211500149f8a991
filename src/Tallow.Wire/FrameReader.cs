// Reads whole frames from a stream into one reusable buffer (from FrameArrays.Shared) that grows
// only up to the frame limit the caller allows, so a hostile length prefix cannot force a large
// allocation.
// Once a frame's header is known, reads ask for exactly the rest of that frame, so large frames
// are never followed by a partial next frame that would have to be moved to the front, and a
// large frame usually fills the buffer from its start alone: TakeFrame can then hand the buffer
// itself to a caller that keeps the frame (the direct path's inbound queue), with no copy. The
// owner of a socket may also be told how much a read needs at least (minimumRead), so the
// kernel wakes it for large pieces of a frame rather than for every segment.
namespace Tallow.Wire;

public readonly record struct FrameReadResult(FrameStatus Status, FrameType Type, int HeaderAndPayloadLength, bool EndOfStream)
{
    public bool IsFrame => Status == FrameStatus.Ok && !EndOfStream;
}

public sealed class FrameReader : IDisposable
{
    private readonly Stream _stream;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private int _frameLength;

    /// <summary>Largest read size asked for through minimumRead.</summary>
    public const int MinimumReadMax = 512 * 1024;

    private readonly Action<int>? _minimumRead;
    private int _minimum = 1;

    /// <param name="minimumRead">
    /// Told (on change) the fewest bytes the next read may usefully return: what the frame in
    /// progress still needs, up to <see cref="MinimumReadMax"/>, else 1 (a socket's SO_RCVLOWAT).
    /// </param>
    public FrameReader(Stream stream, int initialBufferSize = 64 * 1024, Action<int>? minimumRead = null)
    {
        _stream = stream;
        _minimumRead = minimumRead;
        _buffer = FrameArrays.Shared.Rent(initialBufferSize);
    }

    /// <summary>The last frame read: header (5 bytes) followed by the payload. Valid until the next read.</summary>
    public Memory<byte> CurrentFrame => _buffer.AsMemory(_start - _frameLength, _frameLength);

    public Memory<byte> CurrentPayload => CurrentFrame[Frame.HeaderSize..];

    /// <summary>
    /// The array holding <see cref="CurrentFrame"/> from offset 0, handed over to the caller, when
    /// the frame is larger than <paramref name="minimumLength"/> and nothing was read past it; the
    /// reader goes on in <paramref name="replacement"/>'s array (asked for the same length). Null
    /// otherwise: the caller copies the frame.
    /// </summary>
    public byte[]? TakeFrame(int minimumLength, Func<int, byte[]> replacement)
    {
        if (_frameLength <= minimumLength || _start != _frameLength || _end != _start)
        {
            return null;
        }

        byte[] taken = _buffer;
        _buffer = replacement(taken.Length);
        _start = _end = _frameLength = 0;
        return taken;
    }

    /// <summary>Bytes already received past the current frame (needed when a stream moves to another owner).</summary>
    public ReadOnlyMemory<byte> Buffered => _buffer.AsMemory(_start, _end - _start);

    public async ValueTask<FrameReadResult> ReadAsync(int maxLength, CancellationToken cancellationToken)
    {
        while (true)
        {
            FrameStatus status = Frame.TryReadHeader(_buffer.AsSpan(_start, _end - _start), maxLength, out FrameType type, out int payloadLength);
            if (status == FrameStatus.Ok)
            {
                int total = Frame.HeaderSize + payloadLength;
                if (_end - _start >= total)
                {
                    _start += total;
                    _frameLength = total;
                    return new FrameReadResult(FrameStatus.Ok, type, total, false);
                }

                EnsureCapacity(total);
            }
            else if (status != FrameStatus.NeedMore)
            {
                return new FrameReadResult(status, type, 0, false);
            }
            else
            {
                EnsureCapacity(Frame.HeaderSize);
            }

            Memory<byte> space = _buffer.AsMemory(_end);
            int minimum = 1;
            if (status == FrameStatus.Ok)
            {
                space = space[..(Frame.HeaderSize + payloadLength - (_end - _start))];
                minimum = Math.Min(space.Length, MinimumReadMax);
            }

            if (_minimumRead is not null && minimum != _minimum)
            {
                _minimum = minimum;
                _minimumRead(minimum);
            }

            int read = await _stream.ReadAsync(space, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                bool clean = _end == _start;
                return new FrameReadResult(clean ? FrameStatus.Ok : FrameStatus.Invalid, default, 0, true);
            }

            _end += read;
        }
    }

    /// <summary>Makes room for a frame of <paramref name="needed"/> bytes starting at _start.</summary>
    private void EnsureCapacity(int needed)
    {
        int available = _end - _start;
        _frameLength = 0; // the previous frame is gone once reading goes on (CurrentFrame is empty until the next one)
        if (available == 0)
        {
            _start = _end = 0; // nothing buffered: start over at the front, no copy
        }

        if (_start + needed <= _buffer.Length && _end < _buffer.Length)
        {
            return;
        }

        if (_buffer.Length >= needed)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, available);
        }
        else
        {
            byte[] larger = FrameArrays.Shared.Rent(needed);
            Buffer.BlockCopy(_buffer, _start, larger, 0, available);
            ReturnBuffer();
            _buffer = larger;
        }

        _start = 0;
        _end = available;
    }

    private void ReturnBuffer()
    {
        Array.Clear(_buffer);
        FrameArrays.Shared.Return(_buffer);
    }

    public void Dispose()
    {
        ReturnBuffer();
        _buffer = [];
    }
}
