// Received text shown on a terminal must not be able to drive it: escape sequences and
// other control bytes are replaced with '?', keeping newlines and tabs.
namespace Tallow.Cli.Output;

internal sealed class TerminalSafeStream(Stream inner) : Stream
{
    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        byte[] copy = buffer.ToArray();
        Sanitize(copy);
        inner.Write(copy);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        byte[] copy = buffer.ToArray();
        Sanitize(copy);
        await inner.WriteAsync(copy, cancellationToken).ConfigureAwait(false);
    }

    internal static void Sanitize(Span<byte> bytes)
    {
        foreach (ref byte b in bytes)
        {
            if ((b < 0x20 && b != (byte)'\n' && b != (byte)'\t') || b == 0x7F)
            {
                b = (byte)'?';
            }
        }
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>A memory stream that refuses to grow past a limit (text collected for a JSON event).</summary>
internal sealed class BoundedBuffer(int limit) : MemoryStream
{
    // MemoryStream.Write(span) of a derived type calls Write(byte[], int, int), so the array
    // overload does the work and the span overload goes through it (not the other way round).
    public override void Write(ReadOnlySpan<byte> buffer) => Write(buffer.ToArray(), 0, buffer.Length);

    public override void Write(byte[] buffer, int offset, int count)
    {
        if (Length + count > limit)
        {
            throw new Tallow.Protocol.TallowException(Tallow.Protocol.FailureKind.Usage, $"the stream is larger than {limit / (1024 * 1024)} MiB: receive it without --json to write it to stdout.");
        }

        base.Write(buffer, offset, count);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }
}
