// The sender's read → hash → compress → seal → send pipeline for one entry (DESIGN.md §8).
// Two slots alternate: while one chunk is sealed and sent, the next is read from disk, hashed
// and (when it pays) compressed on another thread, so disk, CPU and network overlap. Each slot
// is a record buffer for the raw chunk plus, once compression is tried, one for the zstd frame; the
// bytes go from the file straight into the buffer that is sealed in place. Memory is four
// chunks at most, whatever the file size. A slot's buffers are as large as the content needs, up
// to a chunk: a 5-byte text does not allocate (and at the end zero, page by page) a megabyte.
// A slot's buffer may be handed to the direct path's retransmit window as it is sent (RecordBuffer
// handOver): the slot then fills another one, so no Body is held across a send.
using System.Numerics;
using Tallow.Protocol.Records;
using Tallow.Protocol.Transfer.Compression;
using Tallow.Wire;

namespace Tallow.Protocol.Transfer;

internal sealed class ChunkPipeline : IDisposable
{
    private readonly int _chunkSize;
    private readonly Slot _a = new();
    private readonly Slot _b = new();
    private readonly ChunkCompressor? _compressor;

    public ChunkPipeline(int chunkSize, CompressionMode mode)
    {
        _chunkSize = chunkSize;
        _compressor = mode == CompressionMode.Never ? null : new ChunkCompressor(mode);
    }

    /// <summary>What one entry cost on the wire.</summary>
    public readonly record struct Totals(long ContentBytes, long WireBytes, int Chunks, int CompressedChunks);

    /// <summary>
    /// Streams <paramref name="source"/> (exactly <paramref name="length"/> bytes when it is
    /// known, else to its end) through <paramref name="send"/>, hashing the raw bytes into
    /// <paramref name="hasher"/> when one is given.
    /// </summary>
    public async Task<Totals> RunAsync(Stream source, long length, Blake3Hasher? hasher, Func<RecordBuffer, RecordKind, int, ValueTask> send, Action<long, long> sent, CancellationToken ct)
    {
        long position = 0, wire = 0;
        int chunks = 0, compressedChunks = 0;
        Slot current = _a, next = _b;
        await PrepareAsync(current, source, length, position, hasher, ct).ConfigureAwait(false);
        while (current.RawLength > 0)
        {
            position += current.RawLength;
            long nextPosition = position;
            Slot nextSlot = next;
            Task readAhead = Task.Run(() => PrepareAsync(nextSlot, source, length, nextPosition, hasher, ct), ct);
            try
            {
                bool packed = current.PackedLength > 0;
                int bodyLength = packed ? current.PackedLength : current.RawLength;
                await send(packed ? current.Packed : current.Raw, packed ? RecordKind.DataZstd : RecordKind.Data, bodyLength).ConfigureAwait(false);
                wire += bodyLength;
                chunks++;
                compressedChunks += packed ? 1 : 0;
                _compressor?.OnSent(current.RawLength);
                sent(current.RawLength, bodyLength);
            }
            finally
            {
                await readAhead.ConfigureAwait(false); // never leave a read running into a buffer that is reused or freed
            }

            (current, next) = (next, current);
        }

        return new Totals(position, wire, chunks, compressedChunks);
    }

    private async Task PrepareAsync(Slot slot, Stream source, long length, long position, Blake3Hasher? hasher, CancellationToken ct)
    {
        int want = length < 0 ? _chunkSize : (int)Math.Min(_chunkSize, length - position);
        slot.RawLength = want == 0 ? 0 : await FillAsync(source, slot.Fit(want, _chunkSize), want, ct).ConfigureAwait(false);
        slot.PackedLength = 0;
        if (slot.RawLength == 0)
        {
            return;
        }

        ReadOnlySpan<byte> raw = slot.Raw.Body.Span[..slot.RawLength];
        hasher?.Update(raw);
        if (_compressor is not null && _compressor.TryCompress(raw, slot.Packed.Body.Span, out int packed))
        {
            slot.PackedLength = packed;
        }
    }

    /// <summary>Fills <paramref name="want"/> bytes of the buffer's body, fewer only where the source ends.</summary>
    private static async ValueTask<int> FillAsync(Stream source, RecordBuffer buffer, int want, CancellationToken ct)
    {
        int filled = 0;
        try
        {
            while (filled < want)
            {
                int read = await source.ReadAsync(buffer.Body.Slice(filled, want - filled), ct).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                filled += read;
            }
        }
        catch (IOException ex)
        {
            throw new TallowException(FailureKind.FileSystem, $"reading the input failed: {ex.Message}", ex);
        }

        return filled;
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        _compressor?.Dispose();
    }

    private sealed class Slot : IDisposable
    {
        private RecordBuffer? _packed;

        public RecordBuffer Raw { get; private set; } = new(0);

        /// <summary>The compressed form's buffer (as large as Raw), made on first use: a transfer that never compresses never has it.</summary>
        public RecordBuffer Packed => _packed ??= new RecordBuffer(Raw.BodyCapacity, handOver: true);

        /// <summary>
        /// Raw, grown to hold <paramref name="want"/> bytes when it cannot (to the next power of two,
        /// at most <paramref name="chunkSize"/>, so files of growing sizes cost few allocations).
        /// Only called while the slot is not being sent.
        /// </summary>
        public RecordBuffer Fit(int want, int chunkSize)
        {
            if (Raw.BodyCapacity < want)
            {
                Dispose();
                Raw = new RecordBuffer((int)Math.Min(chunkSize, BitOperations.RoundUpToPowerOf2((uint)want)), handOver: true);
            }

            return Raw;
        }

        public int RawLength { get; set; }

        public int PackedLength { get; set; }

        public void Dispose()
        {
            Raw.Dispose();
            _packed?.Dispose();
            _packed = null;
        }
    }
}
