// What a transfer reports while it runs; the CLI renders it as human text or JSON events.
namespace Tallow.Protocol.Transfer;

public interface ITransferObserver
{
    /// <summary>Bytes of file content moved in this session so far, out of total (null for a stream of unknown length).</summary>
    void OnProgress(long bytesDone, long? totalBytes);

    /// <summary>A file was verified (receiver) or fully sent (sender).</summary>
    void OnFileCompleted(FileReport file);

    /// <summary>
    /// The receiver already holds the first <paramref name="offset"/> bytes of a file and the
    /// transfer continues after them (<paramref name="offset"/> = size: the file is already complete).
    /// </summary>
    void OnResume(string path, long offset, long size);

    /// <summary>
    /// Sender: the receiver accepted the offer and content starts to flow. Durations and rates count
    /// from here, not from the offer (the receiver may read a prompt for a while first).
    /// </summary>
    void OnOfferAccepted()
    {
    }

    /// <summary>Something the user should know that is not an error (renamed output, skipped symlink).</summary>
    void OnNotice(string message);
}

/// <summary>
/// One completed file: its size and BLAKE3, the offset this session started from, and what
/// crossed the wire for it (content bytes in records, chunks, how many of them compressed). The
/// hash stays bytes until an observer wants it as text (most do not: one string per file of a
/// 100,000-file transfer).
/// </summary>
public readonly record struct FileReport(string Path, long Size, ReadOnlyMemory<byte> Blake3, long ResumedFrom, long WireBytes, int Chunks, int CompressedChunks)
{
    public string Blake3Hex => Convert.ToHexStringLower(Blake3.Span);
}
