// Per-chunk zstd on the sender (DESIGN.md §8: "zstd only when it helps").
// Each chunk is compressed as one zstd frame into its own record buffer and sent as DataZstd
// only if it shrank by at least 1/16; otherwise the raw chunk goes as Data. Compression runs in
// the sender's read-ahead stage, in parallel with sealing and sending the previous chunk.
// Auto mode asks two questions:
//   Does it shrink? A chunk that does not makes the compressor skip the next 1, 2, 4 … 64 chunks
//     before it tries again, so already-compressed data costs one trial in 64 chunks.
//   Is it faster? On a link faster than compression (loopback, 10 GbE) sending raw moves the
//     file sooner. Auto measures the goodput (file bytes per second) of at least 8 chunks and
//     150 ms compressed, then as long raw, keeps the faster for the next 56 chunks, then measures
//     again; each time the same answer comes back, the next hold is twice as long (up to 1024).
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
    /// <summary>zstd's fast level -5: about 0.5 GB/s per core here, about 4x smaller on text and logs.</summary>
    public const int Level = -5;
    private const int MaxBackoff = 64;
    private const int ProbeChunks = 8;
    private const int FirstHoldChunks = 56;
    private const int MaxHoldChunks = 1024;

    /// <summary>A probe also lasts this long, so socket buffers and a throttle's allowance do not decide it.</summary>
    private static readonly TimeSpan MinProbeTime = TimeSpan.FromMilliseconds(150);

    private readonly Compressor _zstd = new(Level);
    private readonly CompressionMode _mode;
    private int _skip;
    private int _backoff;

    private Phase _phase = Phase.ProbeCompressed;
    private int _phaseChunks;
    private long _phaseStart;
    private long _phaseBytes;
    private double _compressedRate;
    private bool _holdCompressed = true;
    private int _holdChunks = FirstHoldChunks;

    public ChunkCompressor(CompressionMode mode)
    {
        _mode = mode;
    }

    private enum Phase
    {
        ProbeCompressed,
        ProbeRaw,
        Hold,
    }

    /// <summary>
    /// Compresses <paramref name="raw"/> into <paramref name="destination"/> when that is
    /// wanted now and saves at least 1/16 of its size; returns false (send it raw) otherwise.
    /// </summary>
    public bool TryCompress(ReadOnlySpan<byte> raw, Span<byte> destination, out int written)
    {
        written = 0;
        bool wanted = _mode == CompressionMode.Always
            || (_mode == CompressionMode.Auto && (_phase == Phase.ProbeCompressed || (_phase == Phase.Hold && _holdCompressed)));
        if (!wanted || raw.Length < 64)
        {
            return false;
        }

        if (_skip > 0)
        {
            _skip--;
            return false;
        }

        int limit = Math.Min(destination.Length, raw.Length - (raw.Length / 16));
        bool shrank;
        try
        {
            shrank = _zstd.TryWrap(raw, destination[..limit], out written);
        }
        catch (ZstdException)
        {
            shrank = false; // "destination too small" on some inputs: the same as not shrinking
        }

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

    /// <summary>Called after each chunk is sent: drives Auto's goodput comparison.</summary>
    public void OnSent(int rawBytes)
    {
        if (_mode != CompressionMode.Auto)
        {
            return;
        }

        long now = Stopwatch.GetTimestamp();
        _phaseChunks++;

        // The first two chunks of a phase were prepared under the previous decision: measure after them.
        if (_phaseChunks == 2)
        {
            _phaseStart = now;
            _phaseBytes = 0;
        }
        else if (_phaseChunks > 2)
        {
            _phaseBytes += rawBytes;
        }

        TimeSpan measured = _phaseChunks > 2 ? Stopwatch.GetElapsedTime(_phaseStart, now) : TimeSpan.Zero;
        bool probing = _phase != Phase.Hold;
        if (_phaseChunks < (probing ? ProbeChunks : _holdChunks) || (probing && measured < MinProbeTime))
        {
            return;
        }

        double rate = _phaseBytes / Math.Max(1e-6, measured.TotalSeconds);
        switch (_phase)
        {
            case Phase.ProbeCompressed:
                _compressedRate = rate;
                _phase = Phase.ProbeRaw;
                break;
            case Phase.ProbeRaw:
                bool compressed = _compressedRate >= rate;
                _holdChunks = compressed == _holdCompressed ? Math.Min(MaxHoldChunks, _holdChunks * 2) : FirstHoldChunks;
                _holdCompressed = compressed;
                _phase = Phase.Hold;
                break;
            default:
                _phase = Phase.ProbeCompressed;
                break;
        }

        _phaseChunks = 0;
    }

    public void Dispose() => _zstd.Dispose();
}
