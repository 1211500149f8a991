// Received text shown on a terminal must not be able to drive it: C0 controls (but newline and
// tab), DEL, the C1 controls U+0080–U+009F (in UTF-8, C2 80–C2 9F: C2 9B is a CSI) and the bidi
// controls (U+061C, U+200E/F, U+202A–E, U+2066–9) become '?', one per byte, the same families
// PathSanitizer.Printable removes from names. A sequence split across two writes is held back
// until the next write completes it (at most two bytes).
namespace Tallow.Cli.Output;

internal sealed class TerminalSafeStream(Stream inner) : Stream
{
    private readonly byte[] _carry = new byte[2];
    private int _carryLength;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(Prepare(buffer));

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        await inner.WriteAsync(Prepare(buffer.Span), cancellationToken).ConfigureAwait(false);

    /// <summary>The carried bytes and <paramref name="buffer"/>, sanitised, less a tail that may start a control.</summary>
    private byte[] Prepare(ReadOnlySpan<byte> buffer)
    {
        byte[] data = new byte[_carryLength + buffer.Length];
        _carry.AsSpan(0, _carryLength).CopyTo(data);
        buffer.CopyTo(data.AsSpan(_carryLength));
        int held = IncompleteTail(data);
        int ready = data.Length - held;
        data.AsSpan(ready).CopyTo(_carry);
        _carryLength = held;
        Sanitize(data.AsSpan(0, ready));
        return ready == data.Length ? data : data[..ready];
    }

    internal static void Sanitize(Span<byte> bytes)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            byte b = bytes[i];
            int length = b switch
            {
                (< 0x20 and not (byte)'\n' and not (byte)'\t') or 0x7F => 1,
                0xC2 when Next(bytes, i, 1) is >= 0x80 and <= 0x9F => 2, // C1 control
                0xD8 when Next(bytes, i, 1) == 0x9C => 2, // U+061C arabic letter mark
                0xE2 when Next(bytes, i, 1) == 0x80 && Next(bytes, i, 2) is 0x8E or 0x8F or (>= 0xAA and <= 0xAE) => 3, // LRM, RLM, embeddings, overrides
                0xE2 when Next(bytes, i, 1) == 0x81 && Next(bytes, i, 2) is >= 0xA6 and <= 0xA9 => 3, // isolates
                _ => 0,
            };
            bytes.Slice(i, length).Fill((byte)'?');
            i += Math.Max(length, 1) - 1;
        }
    }

    private static int Next(ReadOnlySpan<byte> bytes, int i, int ahead) => i + ahead < bytes.Length ? bytes[i + ahead] : -1;

    /// <summary>Trailing bytes that could be the start of a control sequence the next write completes.</summary>
    private static int IncompleteTail(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 1 && data[^1] is 0xC2 or 0xD8 or 0xE2)
        {
            return 1;
        }

        return data.Length >= 2 && data[^2] == 0xE2 && data[^1] is 0x80 or 0x81 ? 2 : 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _carryLength > 0)
        {
            inner.Write("??"u8[.._carryLength]); // an unfinished sequence at the very end is not valid text
            _carryLength = 0;
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_carryLength > 0)
        {
            await inner.WriteAsync(new byte[] { (byte)'?', (byte)'?' }.AsMemory(0, _carryLength)).ConfigureAwait(false);
            _carryLength = 0;
        }

        await base.DisposeAsync().ConfigureAwait(false);
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
