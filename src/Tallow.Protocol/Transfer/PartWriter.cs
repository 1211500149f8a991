// Write-behind for a large part file. The receive loop copies each chunk into one of two aligned
// 4 MiB blocks; a full block is written by a worker while the other one fills. Where the file
// system takes it (statx STATX_DIOALIGN), blocks are written with O_DIRECT: received data is not
// copied into the page cache, allocates no page cache and leaves no dirty backlog behind, which
// is what a 1 GiB+ receive otherwise spends most of its kernel time on. A resume checkpoint is
// recorded only once the bytes it covers are written.
//
// When the disk is the bottleneck (the receive loop waited on it for over a third of the time,
// measured after 16 blocks) the rest of the file goes through the page cache again, which lets a
// burst finish at link speed while the kernel writes back behind it. The last partial block is
// always written through the page cache (direct writes need aligned lengths).
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Tallow.Protocol.Transfer;

internal sealed class PartWriter : IContentSink
{
    public const int BlockSize = 4 << 20;

    /// <summary>Smaller content is written plainly (<see cref="PartSink"/>): two blocks are not worth it.</summary>
    public const long MinimumSize = 2L * BlockSize;

    private const int BufferAlignment = 4096;
    private const int MeasureAfterBlocks = 16;
    private const double SlowDiskShare = 1.0 / 3;

    private readonly PartFile _part;
    private AlignedBlock _filling = new(BlockSize, BufferAlignment);
    private AlignedBlock _spare = new(BlockSize, BufferAlignment);
    private bool _disposed;
    private long _blockStart; // file offset of _filling[0]
    private int _filled;
    private int _alignment;   // offset and length alignment of direct writes; 0: page cache
    private Task? _inFlight;  // writes _spare
    private long _inFlightEnd;
    private readonly List<(long Length, byte[] PrefixHash)> _checkpoints = new(4);
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _waited;
    private int _blocks;

    public PartWriter(PartFile part, long start)
    {
        _part = part;
        _blockStart = start;
        int alignment = DirectIo.OffsetAlignment(part.Handle, BufferAlignment, BlockSize / 2);
        if (alignment == 0)
        {
            return;
        }

        // A resume may start mid-block: the block begins at the aligned offset below, with the
        // bytes already in the file before the start read back into it.
        long alignedStart = start & ~(long)(alignment - 1);
        int head = (int)(start - alignedStart);
        if (head > 0 && !ReadExactly(_filling.Span[..head], alignedStart))
        {
            return;
        }

        if (DirectIo.TrySet(part.Handle, direct: true))
        {
            _alignment = alignment;
            _blockStart = alignedStart;
            _filled = head;
        }
    }

    /// <summary>True while blocks bypass the page cache.</summary>
    internal bool Direct => _alignment != 0;

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, long offset, CancellationToken ct)
    {
        Debug.Assert(offset == _blockStart + _filled, "content arrives in order");
        while (!data.IsEmpty)
        {
            int n = Math.Min(BlockSize - _filled, data.Length);
            data.Span[..n].CopyTo(_filling.Span[_filled..]);
            _filled += n;
            data = data[n..];
            if (_filled == BlockSize)
            {
                await SubmitAsync().ConfigureAwait(false);
            }
        }
    }

    public void Checkpoint(long length, Blake3Hasher prefix)
    {
        byte[] prefixHash = new byte[Resume.ResumeSidecar.HashSize];
        prefix.Digest(prefixHash); // does not end the running hash
        _checkpoints.Add((length, prefixHash));
    }

    public async ValueTask CompleteAsync(CancellationToken ct)
    {
        await WaitForWriteAsync().ConfigureAwait(false);
        if (_filled > 0)
        {
            if (_alignment != 0)
            {
                DirectIo.TrySet(_part.Handle, direct: false);
                _alignment = 0;
            }

            try
            {
                Write(_filling, _filled, _blockStart);
            }
            catch (IOException ex)
            {
                throw ContentSinks.WriteFailed(_part, ex);
            }

            _blockStart += _filled;
            _filled = 0;
            Written(_blockStart);
        }
    }

    /// <summary>Hands the full block to the worker once the previous one is written.</summary>
    private async ValueTask SubmitAsync()
    {
        await WaitForWriteAsync().ConfigureAwait(false);
        if (_alignment != 0 && ++_blocks == MeasureAfterBlocks && _waited > (Stopwatch.GetTimestamp() - _started) * SlowDiskShare)
        {
            DirectIo.TrySet(_part.Handle, direct: false);
            _alignment = 0;
        }

        AlignedBlock block = _filling;
        long at = _blockStart;
        _inFlight = Task.Run(() => Write(block, BlockSize, at));
        _inFlightEnd = at + BlockSize;
        (_filling, _spare) = (_spare, _filling);
        _blockStart += BlockSize;
        _filled = 0;
    }

    private async ValueTask WaitForWriteAsync()
    {
        if (_inFlight is null)
        {
            return;
        }

        long since = Stopwatch.GetTimestamp();
        try
        {
            await _inFlight.ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw ContentSinks.WriteFailed(_part, ex);
        }
        finally
        {
            _inFlight = null;
            _waited += Stopwatch.GetTimestamp() - since;
        }

        Written(_inFlightEnd);
    }

    /// <summary>Writes one block; a direct write the file refuses after all is repeated through the page cache.</summary>
    private void Write(AlignedBlock block, int length, long at)
    {
        ReadOnlySpan<byte> span = block.Span[..length];
        if (_alignment != 0)
        {
            try
            {
                RandomAccess.Write(_part.Handle, span, at);
                return;
            }
            catch (IOException)
            {
                DirectIo.TrySet(_part.Handle, direct: false);
                _alignment = 0; // read by the receive loop only after this write is awaited
            }
        }

        RandomAccess.Write(_part.Handle, span, at);
    }

    /// <summary>Everything below <paramref name="end"/> is in the file: record the newest checkpoint it covers.</summary>
    private void Written(long end)
    {
        int covered = _checkpoints.FindLastIndex(c => c.Length <= end);
        if (covered >= 0)
        {
            _part.Checkpoint(_checkpoints[covered].Length, _checkpoints[covered].PrefixHash);
            _checkpoints.RemoveRange(0, covered + 1);
        }
    }

    private bool ReadExactly(Span<byte> into, long at)
    {
        try
        {
            while (!into.IsEmpty)
            {
                int read = RandomAccess.Read(_part.Handle, into, at);
                if (read <= 0)
                {
                    return false;
                }

                into = into[read..];
                at += read;
            }

            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;

        try
        {
            _inFlight?.Wait(); // never free a block the worker still writes from
        }
        catch (AggregateException)
        {
            // the write failed; the transfer has already failed or is failing
        }

        if (_alignment != 0)
        {
            DirectIo.TrySet(_part.Handle, direct: false);
        }

        _filling.Dispose();
        _spare.Dispose();
    }
}

/// <summary>A native buffer at a fixed alignment (direct I/O needs aligned memory), freed on dispose.</summary>
internal sealed unsafe class AlignedBlock(int length, int alignment) : IDisposable
{
    private void* _memory = NativeMemory.AlignedAlloc((nuint)length, (nuint)alignment);

    public Span<byte> Span => _memory is null ? throw new ObjectDisposedException(nameof(AlignedBlock)) : new Span<byte>(_memory, length);

    public void Dispose()
    {
        NativeMemory.AlignedFree(_memory);
        _memory = null;
    }
}
