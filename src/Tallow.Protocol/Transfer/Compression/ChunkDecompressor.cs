// Per-chunk zstd on the receiver: one DataZstd record is one zstd frame that must expand to at
// most the offer's chunk size and no further than the file's remaining size. A frame that is
// malformed, or expands beyond that bound (a "zip bomb"), is refused without allocating: the
// output goes into one reused chunk-sized buffer.
using ZstdSharp;

namespace Tallow.Protocol.Transfer.Compression;

public sealed class ChunkDecompressor : IDisposable
{
    private readonly int _chunkSize;
    private Decompressor? _zstd;
    private byte[]? _output;

    public ChunkDecompressor(int chunkSize)
    {
        _chunkSize = chunkSize;
    }

    /// <summary>Decompresses one frame of at most <paramref name="maxLength"/> bytes; false when it is invalid or too large.</summary>
    public bool TryDecompress(ReadOnlySpan<byte> frame, long maxLength, out ReadOnlyMemory<byte> content)
    {
        content = ReadOnlyMemory<byte>.Empty;
        _zstd ??= new Decompressor();
        _output ??= GC.AllocateUninitializedArray<byte>(_chunkSize); // on the first compressed chunk only
        int limit = (int)Math.Min(_output.Length, Math.Max(0, maxLength));
        try
        {
            if (!_zstd.TryUnwrap(frame, _output.AsSpan(0, limit), out int written) || written == 0)
            {
                return false;
            }

            content = _output.AsMemory(0, written);
            return true;
        }
        catch (ZstdException)
        {
            return false;
        }
    }

    public void Dispose() => _zstd?.Dispose();
}
