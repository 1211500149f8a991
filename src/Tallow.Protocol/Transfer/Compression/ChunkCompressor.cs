// Per-chunk zstd on the sender (DESIGN.md §8: "zstd only when it helps").
// Each chunk is compressed as one zstd frame into its own record buffer and sent as DataZstd
// only if it shrank by at least 1/16; otherwise the raw chunk goes as Data. Compression runs in
// the sender's read-ahead stage, in parallel with sealing and sending the previous chunk.
// Auto mode asks two questions, and measures instead of guessing:
//   Does it shrink? While compressing, a chunk that does not shrink makes the compressor skip
//     the next 1, 2, 4 … 64 chunks before it tries again (already-compressed data costs one
//     trial in 64 chunks).
//   Is it faster? Auto first sends raw for at least 8 chunks and 300 ms and measures the goodput
//     (file bytes per second, over the probe's second half), compressing up to three chunks on
//     the side to learn the ratio and how fast this machine compresses. If the data does not
//     shrink, or compressing alone is not at least twice as fast as the raw goodput (loopback,
//     fast LANs), it stays raw; otherwise it measures as long compressed and keeps the faster. The winner holds for
//     56 chunks, then everything is measured again; each time the same answer comes back the
//     next hold is twice as long (up to 1024 chunks).
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
    private const int SideTrialEvery = 8;
    private const int MaxSideTrials = 3;
    private const int FirstHoldChunks = 56;
    private const int MaxHoldChunks = 1024;

    /// <summary>
    /// Compression is tried only when this machine compresses at least this many times faster
    /// than raw chunks leave: a compressed probe on a link that turns out CPU-bound (loopback)
    /// costs more than compression can win back on a short transfer.
    /// </summary>
    private const double CompressHeadroom = 2;

    /// <summary>A probe lasts at least this long and measures its second half.</summary>
    private static readonly TimeSpan MinProbeTime = TimeSpan.FromMilliseconds(300);

    private readonly Compressor _zstd = new(Level);
    private readonly CompressionMode _mode;
    private readonly TimeProvider _time;
    private int _skip;
    private int _backoff;

    private Phase _phase = Phase.ProbeRaw;
    private int _phaseChunks;
    private long _phaseStart;
    private long _measureStart;
    private int _measureChunks;
    private long _measureBytes;
    private double _rawRate;
    private bool _holdCompressed;
    private int _holdChunks = FirstHoldChunks;
    private int _prepared;
    private int _sideTrials;
    private double _compressSpeed;
    private double _ratio = 1;

    public ChunkCompressor(CompressionMode mode, TimeProvider? time = null)
    {
        _mode = mode;
        _time = time ?? TimeProvider.System;
        _phaseStart = _time.GetTimestamp();
    }

    private enum Phase
    {
        ProbeRaw,
        ProbeCompressed,
        Hold,
    }

    private bool Wanted => _mode == CompressionMode.Always
        || (_mode == CompressionMode.Auto && (_phase == Phase.ProbeCompressed || (_phase == Phase.Hold && _holdCompressed)));

    /// <summary>
    /// Compresses <paramref name="raw"/> into <paramref name="destination"/> when that is
    /// wanted now and saves at least 1/16 of its size; returns false (send it raw) otherwise.
    /// </summary>
    public bool TryCompress(ReadOnlySpan<byte> raw, Span<byte> destination, out int written)
    {
        written = 0;
        _prepared++;
        if (_mode == CompressionMode.Never || raw.Length < 64)
        {
            return false;
        }

        if (!Wanted)
        {
            if (_mode == CompressionMode.Auto && _phase == Phase.ProbeRaw && _sideTrials < MaxSideTrials && _prepared % SideTrialEvery == 1)
            {
                _sideTrials++;
                Compress(raw, destination, out _); // on the side: learns the ratio and the speed, sends raw
            }

            return false;
        }

        if (_skip > 0)
        {
            _skip--;
            return false;
        }

        if (Compress(raw, destination, out written))
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

    private bool Compress(ReadOnlySpan<byte> raw, Span<byte> destination, out int written)
    {
        int limit = Math.Min(destination.Length, raw.Length - (raw.Length / 16));
        long start = _time.GetTimestamp();
        bool shrank;
        try
        {
            shrank = _zstd.TryWrap(raw, destination[..limit], out written);
        }
        catch (ZstdException)
        {
            shrank = false; // "destination too small" on some inputs: the same as not shrinking
            written = 0;
        }

        double seconds = Math.Max(1e-6, _time.GetElapsedTime(start).TotalSeconds);
        double speed = raw.Length / seconds;
        double ratio = shrank ? (double)written / raw.Length : 1;
        _compressSpeed = _compressSpeed == 0 ? speed : (_compressSpeed + speed) / 2;
        _ratio = (_ratio + ratio) / 2;
        return shrank;
    }

    /// <summary>Called after each chunk is sent: drives Auto's goodput comparison.</summary>
    public void OnSent(int rawBytes)
    {
        if (_mode != CompressionMode.Auto)
        {
            return;
        }

        long now = _time.GetTimestamp();
        _phaseChunks++;
        if (_phase == Phase.Hold)
        {
            if (_phaseChunks >= _holdChunks)
            {
                StartPhase(Phase.ProbeRaw, now);
            }

            return;
        }

        // A probe measures only its second half: the first absorbs the switch (the chunk prepared
        // under the previous decision, a throttle's saved-up allowance, socket buffers filling).
        TimeSpan elapsed = _time.GetElapsedTime(_phaseStart, now);
        if (_measureStart == 0)
        {
            if (elapsed >= MinProbeTime / 2 && _phaseChunks >= ProbeChunks / 2)
            {
                _measureStart = now;
                _measureChunks = 0;
                _measureBytes = 0;
            }

            return;
        }

        _measureChunks++;
        _measureBytes += rawBytes;
        if (elapsed < MinProbeTime || _measureChunks < ProbeChunks / 2)
        {
            return;
        }

        double rate = _measureBytes / Math.Max(1e-6, _time.GetElapsedTime(_measureStart, now).TotalSeconds);
        if (_phase == Phase.ProbeRaw)
        {
            _rawRate = rate;
            if (_ratio < 15.0 / 16 && _compressSpeed > CompressHeadroom * rate)
            {
                StartPhase(Phase.ProbeCompressed, now);
            }
            else
            {
                Hold(compressed: false, now);
            }

            return;
        }

        Hold(compressed: rate > _rawRate, now);
    }

    private void Hold(bool compressed, long now)
    {
        _holdChunks = compressed == _holdCompressed ? Math.Min(MaxHoldChunks, _holdChunks * 2) : FirstHoldChunks;
        _holdCompressed = compressed;
        StartPhase(Phase.Hold, now);
    }

    private void StartPhase(Phase phase, long now)
    {
        _phase = phase;
        _phaseChunks = 0;
        _phaseStart = now;
        _measureStart = 0;
        _sideTrials = 0;
    }

    public void Dispose() => _zstd.Dispose();
}
