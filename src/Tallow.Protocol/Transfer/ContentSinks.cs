// Where received content goes: a part file (plain writes for small files, PartWriter's
// write-behind for large ones) or a stream (text and stdin transfers, to stdout).
namespace Tallow.Protocol.Transfer;

internal interface IContentSink : IDisposable
{
    /// <summary>Writes the next bytes of the content; <paramref name="offset"/> is where they belong in the file.</summary>
    ValueTask WriteAsync(ReadOnlyMemory<byte> data, long offset, CancellationToken ct);

    /// <summary>The first <paramref name="length"/> bytes have arrived and hash as <paramref name="prefix"/> so far.</summary>
    void Checkpoint(long length, Blake3Hasher prefix);

    /// <summary>Everything written has reached the file (or stream).</summary>
    ValueTask CompleteAsync(CancellationToken ct);
}

internal static class ContentSinks
{
    /// <summary>The sink for a part file that receives bytes <paramref name="start"/>..<paramref name="size"/>.</summary>
    public static IContentSink ForPart(PartFile part, long start, long size) =>
        size - start >= PartWriter.MinimumSize ? new PartWriter(part, start) : new PartSink(part);

    internal static TallowException WriteFailed(PartFile part, IOException ex) =>
        new(FailureKind.FileSystem, $"writing '{PathSanitizer.Printable(part.PartPath)}' failed: {ex.Message}", ex);
}

/// <summary>Plain positioned writes through the page cache, each finished before the next record.</summary>
internal sealed class PartSink(PartFile part) : IContentSink
{
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, long offset, CancellationToken ct)
    {
        try
        {
            await RandomAccess.WriteAsync(part.Handle, data, offset, ct).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw ContentSinks.WriteFailed(part, ex);
        }
    }

    public void Checkpoint(long length, Blake3Hasher prefix) => part.Checkpoint(length, prefix);

    public ValueTask CompleteAsync(CancellationToken ct) => ValueTask.CompletedTask;

    public void Dispose()
    {
    }
}

internal sealed class StreamSink(Stream stream) : IContentSink
{
    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, long offset, CancellationToken ct) => stream.WriteAsync(data, ct);

    public void Checkpoint(long length, Blake3Hasher prefix)
    {
    }

    public ValueTask CompleteAsync(CancellationToken ct) => ValueTask.CompletedTask; // flushed once the content is verified

    public void Dispose()
    {
    }
}
