// The sender's side of FileBatch (protocol.md "Small files"): whole small files are read one by
// one into a chunk-sized batch, hashed together (Blake3Batch), and the batch goes out as one record (zstd-packed
// when that pays, like a chunk) once the next file would not fit, a file that is not batched
// comes, or the transfer ends. Each file keeps its own whole-file BLAKE3 in the batch, so the
// receiver verifies and saves every file separately, exactly as after a FileDone.
// Only fresh files (offset 0) of 1 byte .. a quarter chunk are batched; resumed files, content
// checks of files the receiver has, empty files and Resend always go the per-file way.
// Memory: two chunk-sized record buffers (raw and packed) and one chunk of contents.
using Microsoft.Win32.SafeHandles;
using Tallow.Protocol.Records;
using Tallow.Protocol.Session;
using Tallow.Protocol.Transfer.Compression;
using Tallow.Wire;

namespace Tallow.Protocol.Transfer;

internal sealed class FileBatcher : IDisposable
{
    private readonly RecordPort _channel;
    private readonly ITransferObserver _observer;
    private readonly TransferProgress _progress;
    private readonly int _capacity;
    private readonly RecordBuffer _raw;
    private readonly ChunkCompressor? _compressor;
    private readonly byte[] _contents;
    private readonly List<(BatchedFile File, string Path)> _files = [];
    private RecordBuffer? _packed;
    private int _contentLength;

    public FileBatcher(RecordPort channel, ITransferObserver observer, TransferProgress progress, int chunkSize, CompressionMode mode)
    {
        _channel = channel;
        _observer = observer;
        _progress = progress;
        _capacity = chunkSize - 1; // the body's first byte is the encoding
        _raw = new RecordBuffer(chunkSize);
        _contents = GC.AllocateUninitializedArray<byte>(_capacity);
        _compressor = mode == CompressionMode.Never ? null : new ChunkCompressor(mode);
    }

    /// <summary>A file of this size, sent from this offset, goes into a batch.</summary>
    public bool Takes(ulong size, ulong offset) => offset == 0 && size > 0 && size <= (ulong)(_capacity / 4);

    /// <summary>Reads and hashes a whole file (one <see cref="Takes"/> accepts) into the batch, sending the batch first when it is full.</summary>
    public async Task AddAsync(uint index, int size, string localPath, string offeredPath, CancellationToken ct)
    {
        if (_files.Count == FileBatchMessage.MaxFiles || FileBatchMessage.HeaderSize(_files.Count + 1) + _contentLength + size > _capacity)
        {
            await FlushAsync(ct).ConfigureAwait(false);
        }

        Memory<byte> content = _contents.AsMemory(_contentLength, size);
        int read;
        try
        {
            using SafeFileHandle handle = NativePath.OpenForReading(localPath);
            read = NativePath.ReadUpTo(handle, content.Span); // growth after the offer is ignored
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw await TransferSender.ReadFailedAsync(_channel, localPath, ex, ct).ConfigureAwait(false);
        }

        if (read != size)
        {
            throw await TransferSender.ChangedWhileSendingAsync(_channel, ct).ConfigureAwait(false);
        }

        _files.Add((new BatchedFile(index, (uint)size, ReadOnlyMemory<byte>.Empty), offeredPath)); // hashed with the others at FlushAsync
        _contentLength += size;
    }

    /// <summary>Sends what is batched (nothing when empty), then reports each of its files as sent.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        if (_files.Count == 0)
        {
            return;
        }

        HashAll();
        Span<byte> body = _raw.Body.Span;
        int header = FileBatchMessage.HeaderSize(_files.Count);
        FileBatchMessage.WriteHeader(body[1..], _files.ConvertAll(f => f.File));
        _contents.AsSpan(0, _contentLength).CopyTo(body[(1 + header)..]);
        int payload = header + _contentLength;
        RecordBuffer send = _raw;
        int bodyLength = 1 + payload;
        bool packed = false;
        if (_compressor is not null)
        {
            _packed ??= new RecordBuffer(_capacity + 1);
            if (_compressor.TryCompress(body.Slice(1, payload), _packed.Body.Span[1..], out int written))
            {
                _packed.Body.Span[0] = (byte)BatchEncoding.Zstd;
                (send, bodyLength, packed) = (_packed, 1 + written, true);
            }
        }

        if (!packed)
        {
            body[0] = (byte)BatchEncoding.Raw;
        }

        await _channel.SendAsync(send, RecordKind.FileBatch, bodyLength, ct).ConfigureAwait(false);
        _compressor?.OnSent(payload);
        foreach ((BatchedFile file, string path) in _files)
        {
            long wire = (long)file.Size * bodyLength / payload; // its share of the record
            _progress.Add(file.Size, wire);
            _observer.OnFileCompleted(new FileReport(path, file.Size, file.Hash, 0, wire, 1, packed ? 1 : 0));
        }

        _files.Clear();
        _contentLength = 0;
    }

    /// <summary>Every batched file's whole-file BLAKE3 at once (Blake3Batch: the small ones share SIMD lanes).</summary>
    private void HashAll()
    {
        var inputs = new (int Offset, int Length)[_files.Count];
        for (int i = 0, position = 0; i < _files.Count; position += (int)_files[i].File.Size, i++)
        {
            inputs[i] = (position, (int)_files[i].File.Size);
        }

        byte[] hashes = new byte[_files.Count * Blake3Batch.HashSize];
        Blake3Batch.Hash(_contents.AsSpan(0, _contentLength), inputs, hashes);
        for (int i = 0; i < _files.Count; i++)
        {
            _files[i] = (_files[i].File with { Hash = hashes.AsMemory(i * Blake3Batch.HashSize, Blake3Batch.HashSize) }, _files[i].Path);
        }
    }

    public void Dispose()
    {
        _raw.Dispose();
        _packed?.Dispose();
        _compressor?.Dispose();
        Array.Clear(_contents);
    }
}
