// Per-chunk zstd on the sender (DESIGN.md §8: "zstd only when it helps").
// Each chunk is compressed as one zstd frame into its own record buffer and sent as DataZstd
// only if it shrank by at least 1/16; otherwise the raw chunk goes as Data. In Auto mode a chunk
// that did not shrink makes the compressor skip the next 1, 2, 4 … 64 chunks before it tries
// again, so already-compressed data costs one trial in 64 chunks. Compression runs in the
// sender's read-ahead stage, in parallel with sealing and sending the previous chunk.
using System.Diagnostics;
using ZstdSharp;

namespace Tallow.Protocol.Transfer.Compression;

public enum CompressionMode
{
    Auto,
    Always,
    Never,
}

public sealed class ChunkCompressor : IDisposable
{
    /// <summary>zstd level 1: the fastest standard level, several hundred MB/s per core.</summary>
    public const int Level = 1;
    private const int MaxBackoff = 64;

    private readonly Compressor _zstd = new(Level);
    private readonly CompressionMode _mode;
    private int _skip;
    private int _backoff;

    public ChunkCompressor(CompressionMode mode)
    {
        _mode = mode;
    }

    /// <summary>Time spent compressing so far (to report what compression cost).</summary>
    public TimeSpan Elapsed { get; private set; }

    /// <summary>
    /// Compresses <paramref name="raw"/> into <paramref name="destination"/> when that saves at
    /// least 1/16 of its size; returns false (send it raw) otherwise or when skipping.
    /// </summary>
    public bool TryCompress(ReadOnlySpan<byte> raw, Span<byte> destination, out int written)
    {
        written = 0;
        if (_mode == CompressionMode.Never || raw.Length < 64)
        {
            return false;
        }

        if (_skip > 0)
        {
            _skip--;
            return false;
        }

        int limit = Math.Min(destination.Length, raw.Length - (raw.Length / 16));
        long start = Stopwatch.GetTimestamp();
        bool shrank;
        try
        {
            shrank = _zstd.TryWrap(raw, destination[..limit], out written);
        }
        catch (ZstdException)
        {
            shrank = false; // "destination too small" on some inputs: the same as not shrinking
        }

        Elapsed += Stopwatch.GetElapsedTime(start);
        if (shrank)
        {
            _backoff = 0;
            return true;
        }

        written = 0;
        if (_mode == CompressionMode.Auto)
        {
            _backoff = Math.Min(MaxBackoff, Math.Max(1, _backoff * 2));
            _skip = _backoff;
        }

        return false;
    }

    public void Dispose() => _zstd.Dispose();
}
