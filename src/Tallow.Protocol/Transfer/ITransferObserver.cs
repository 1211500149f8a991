// What a transfer reports while it runs; the CLI renders it as human text or JSON events.
namespace Tallow.Protocol.Transfer;

public interface ITransferObserver
{
    /// <summary>Bytes of file content moved so far, out of total (total is null for a stream of unknown length).</summary>
    void OnProgress(long bytesDone, long? totalBytes);

    /// <summary>A file was verified (receiver) or fully sent (sender).</summary>
    void OnFileCompleted(string path, long size, string blake3Hex);

    /// <summary>Something the user should know that is not an error (renamed output, skipped symlink).</summary>
    void OnNotice(string message);
}
