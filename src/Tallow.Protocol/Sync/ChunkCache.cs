// The receiver's record of how each file of its mirror is chunked, keyed by '/'-separated relative
// path and valid only while the file's FileStamp (size, mtime ns, inode, ctime ns) is unchanged,
// so a mirror is read and chunked once, not on every sync. Not thread-safe.
//
// File format (big-endian, Tallow.Wire's SpanReader/SpanWriter):
//   magic "TALLOWCC" | version u32 = 1 | chunker u32 = 1 (ContentChunker's sizes, masks, gear table) | entries u32
//   entry: path (u16 length + UTF-8) | size i64 | mtime ns i64 | inode u64 | ctime ns i64
//          | file BLAKE3 (32) | chunks u32 | chunks × (BLAKE3 (32) | length u32)
//   trailer: BLAKE3 of every byte before it (32)
// Saved to a new temp file (O_EXCL, never through a link) that is fsync'd, renamed over the old
// one and the folder fsync'd, so a crash leaves the old cache or the new one, never a mix.
// It is only a cache: Load of a missing, unreadable, oversized, truncated, corrupt or other-version
// file is an empty cache, never an exception; every count and length is checked against the bytes
// that remain before anything is allocated, and the chunk lists must satisfy FileChunks' invariants.
using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Protocol.Sync;

public sealed class ChunkCache
{
    /// <summary>A larger file is not read (about 15 million chunks: a mirror of about 1 TB).</summary>
    public const long MaxFileBytes = 512L << 20;

    /// <summary>Longest relative path kept, in UTF-8 bytes (PATH_MAX).</summary>
    public const int MaxPathBytes = 4096;

    private const uint Version = 1, ChunkerId = 1;
    private const int HeaderSize = 8 + 4 + 4 + 4, TrailerSize = 32, ChunkRecordSize = ContentHash.Size + 4;
    private const int FixedEntrySize = 2 + (4 * 8) + ContentHash.Size + 4;
    private static ReadOnlySpan<byte> Magic => "TALLOWCC"u8;

    private readonly string _file;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private bool _dirty = true; // the file on disk does not (or may not) hold what is in memory

    private ChunkCache(string file)
    {
        _file = file;
    }

    private readonly record struct Entry(FileStamp Stamp, FileChunks Chunks);

    public int Count => _entries.Count;

    /// <summary>Reads the cache file; whatever is wrong with it (missing, damaged, hostile, another version) gives an empty cache.</summary>
    public static ChunkCache Load(string cacheFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(cacheFile);
        var cache = new ChunkCache(cacheFile);
        byte[]? content = ReadBounded(cacheFile);
        if (content is not null && TryParse(content, cache._entries))
        {
            cache._dirty = false;
        }
        else
        {
            cache._entries.Clear();
        }

        return cache;
    }

    /// <summary>The chunks recorded for the path, if they were recorded for exactly this stamp (all four fields).</summary>
    public bool TryGet(string relativePath, FileStamp stamp, out FileChunks chunks)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        if (_entries.TryGetValue(relativePath, out Entry entry) && entry.Stamp == stamp)
        {
            chunks = entry.Chunks;
            return true;
        }

        chunks = null!;
        return false;
    }

    public void Set(string relativePath, FileStamp stamp, FileChunks chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (!IsWellFormedRelativePath(relativePath))
        {
            throw new ArgumentException("expected a relative path of '/'-separated names, without '.', '..' or empty names", nameof(relativePath));
        }

        if (chunks.Length != stamp.Size)
        {
            throw new ArgumentException("the chunks are of a file of another size than the stamp says", nameof(chunks));
        }

        if (_entries.TryGetValue(relativePath, out Entry old) && old.Stamp == stamp && old.Chunks.FileHash == chunks.FileHash)
        {
            return;
        }

        _entries[relativePath] = new Entry(stamp, chunks);
        _dirty = true;
    }

    /// <summary>Whether anything is recorded for the path (with whatever stamp): tallow wrote or read it before.</summary>
    public bool Contains(string relativePath) => _entries.ContainsKey(relativePath);

    public void Remove(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        _dirty |= _entries.Remove(relativePath);
    }

    /// <summary>Forgets every path not in <paramref name="relativePaths"/> (files that are gone from the mirror).</summary>
    public void RetainOnly(IReadOnlySet<string> relativePaths)
    {
        ArgumentNullException.ThrowIfNull(relativePaths);
        List<string> gone = [.. _entries.Keys.Where(path => !relativePaths.Contains(path))];
        foreach (string path in gone)
        {
            _entries.Remove(path);
        }

        _dirty |= gone.Count > 0;
    }

    /// <summary>Writes the cache atomically (creating its folder if needed); does nothing when the file already holds exactly this. IO errors are thrown.</summary>
    public void Save()
    {
        if (!_dirty)
        {
            return;
        }

        string full = Path.GetFullPath(_file);
        string directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                WriteTo(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
            NativePath.SyncDirectory(directory);
            _dirty = false;
        }
        finally
        {
            File.Delete(temp); // nothing there after the rename; the half-written file after a failure
        }
    }

    /// <summary>A '/'-separated relative path: not empty, no leading '/', no empty, '.' or '..' name, no NUL, at most <see cref="MaxPathBytes"/> UTF-8 bytes.</summary>
    internal static bool IsWellFormedRelativePath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path.Contains('\0', StringComparison.Ordinal) || Encoding.UTF8.GetByteCount(path) > MaxPathBytes)
        {
            return false;
        }

        foreach (Range range in path.AsSpan().Split('/'))
        {
            ReadOnlySpan<char> name = path.AsSpan(range);
            if (name.IsEmpty || name is "." || name is "..")
            {
                return false;
            }
        }

        return true;
    }

    private void WriteTo(Stream stream)
    {
        using var checksum = Blake3Hasher.New();
        byte[] header = new byte[HeaderSize];
        var headerWriter = new SpanWriter(header);
        headerWriter.WriteBytes(Magic);
        headerWriter.WriteUInt32(Version);
        headerWriter.WriteUInt32(ChunkerId);
        headerWriter.WriteUInt32((uint)_entries.Count);
        Emit(stream, checksum, header);

        byte[] record = ArrayPool<byte>.Shared.Rent(FixedEntrySize + MaxPathBytes + (ChunkRecordSize * 1024));
        try
        {
            foreach ((string path, Entry entry) in _entries)
            {
                int size = FixedEntrySize + Encoding.UTF8.GetByteCount(path) + (ChunkRecordSize * entry.Chunks.Chunks.Count);
                if (size > record.Length)
                {
                    ArrayPool<byte>.Shared.Return(record);
                    record = ArrayPool<byte>.Shared.Rent(size);
                }

                Emit(stream, checksum, record.AsSpan(0, Serialize(path, entry, record)));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(record);
        }

        Span<byte> trailer = stackalloc byte[TrailerSize];
        checksum.Digest(trailer);
        stream.Write(trailer);
    }

    private static void Emit(Stream stream, Blake3Hasher checksum, ReadOnlySpan<byte> bytes)
    {
        checksum.Update(bytes);
        stream.Write(bytes);
    }

    private static int Serialize(string path, Entry entry, Span<byte> destination)
    {
        var writer = new SpanWriter(destination);
        Span<byte> hash = stackalloc byte[ContentHash.Size];
        writer.WriteString(path);
        writer.WriteInt64(entry.Stamp.Size);
        writer.WriteInt64(entry.Stamp.ModifiedNs);
        writer.WriteUInt64(entry.Stamp.Inode);
        writer.WriteInt64(entry.Stamp.ChangedNs);
        entry.Chunks.FileHash.Write(hash);
        writer.WriteBytes(hash);
        writer.WriteUInt32((uint)entry.Chunks.Chunks.Count);
        foreach (ChunkRef chunk in entry.Chunks.Chunks)
        {
            chunk.Hash.Write(hash);
            writer.WriteBytes(hash);
            writer.WriteUInt32((uint)chunk.Length);
        }

        return writer.Written;
    }

    /// <summary>The whole file if it is a regular file (not a link or FIFO) of a plausible size that can be read; otherwise null.</summary>
    private static byte[]? ReadBounded(string path)
    {
        try
        {
            using SafeFileHandle? handle = NativePath.OpenRegularNoFollow(path);
            if (handle is null)
            {
                return null;
            }

            long length = RandomAccess.GetLength(handle);
            if (length is < HeaderSize + TrailerSize or > MaxFileBytes)
            {
                return null;
            }

            byte[] content = new byte[length];
            return NativePath.ReadUpTo(handle, content, 0) == content.Length ? content : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool TryParse(byte[] content, Dictionary<string, Entry> entries)
    {
        ReadOnlySpan<byte> body = content.AsSpan(0, content.Length - TrailerSize);
        Span<byte> checksum = stackalloc byte[TrailerSize];
        Blake3Hasher.Hash(body, checksum);
        if (!CryptographicOperations.FixedTimeEquals(checksum, content.AsSpan(body.Length)))
        {
            return false;
        }

        var reader = new SpanReader(body);
        if (!reader.TryReadBytes(Magic.Length, out ReadOnlySpan<byte> magic) || !magic.SequenceEqual(Magic)
            || !reader.TryReadUInt32(out uint version) || version != Version
            || !reader.TryReadUInt32(out uint chunker) || chunker != ChunkerId
            || !reader.TryReadUInt32(out uint count) || count > reader.Remaining / FixedEntrySize)
        {
            return false;
        }

        for (uint i = 0; i < count; i++)
        {
            if (!TryReadEntry(ref reader, out string path, out Entry entry) || !entries.TryAdd(path, entry))
            {
                return false;
            }
        }

        return reader.IsAtEnd;
    }

    private static bool TryReadEntry(ref SpanReader reader, out string path, out Entry entry)
    {
        entry = default;
        if (!reader.TryReadString(MaxPathBytes, out path) || !IsWellFormedRelativePath(path)
            || !reader.TryReadInt64(out long size) || !reader.TryReadInt64(out long modified)
            || !reader.TryReadUInt64(out ulong inode) || !reader.TryReadInt64(out long changed)
            || !reader.TryReadBytes(ContentHash.Size, out ReadOnlySpan<byte> fileHash)
            || !reader.TryReadUInt32(out uint chunkCount) || chunkCount > reader.Remaining / ChunkRecordSize)
        {
            return false;
        }

        var chunks = new ChunkRef[chunkCount];
        for (int i = 0; i < chunks.Length; i++)
        {
            reader.TryReadBytes(ContentHash.Size, out ReadOnlySpan<byte> hash); // both fit: checked against Remaining above
            reader.TryReadUInt32(out uint length);
            chunks[i] = new ChunkRef(ContentHash.Read(hash), length > ContentChunker.MaxSize ? 0 : (int)length);
        }

        FileChunks? parsed = FileChunks.TryCreate(ContentHash.Read(fileHash), size, chunks);
        if (parsed is null)
        {
            return false; // a length of 0 or above MaxSize, or lengths that do not sum to the size
        }

        entry = new Entry(new FileStamp(size, modified, inode, changed), parsed);
        return true;
    }
}
