// A piped stream's start, read while the receiver joins and answers (`tallow send - < x`): when
// the stream ends within the read-ahead, its length is known before any content moves, so a small
// stream stays on the relay instead of paying for a direct connection (OpenSession.UpgradeAsync).
// One read of the source is in flight at a time; the first read by the transfer stops the
// read-ahead after its current read, so a slow interactive stream is never held back.
namespace Tallow.Cli.Commands;

internal sealed class ReadAheadStream : Stream
{
    private readonly Stream _source;
    private readonly byte[] _head;
    private readonly Task _fill;
    private volatile bool _stop;
    private volatile bool _ended;
    private int _filled;
    private int _position;

    public ReadAheadStream(Stream source, int limit)
    {
        _source = source;
        _head = new byte[limit];
        _fill = Task.Run(FillAsync);
    }

    /// <summary>The stream's whole length when it ended within the read-ahead; null while that is not known.</summary>
    public long? KnownLength => _fill.IsCompletedSuccessfully && _ended ? _filled : null;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    private async Task FillAsync()
    {
        while (!_stop && _filled < _head.Length)
        {
            int read = await _source.ReadAsync(_head.AsMemory(_filled)).ConfigureAwait(false);
            if (read == 0)
            {
                _ended = true;
                return;
            }

            _filled += read;
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _stop = true;
        await _fill.WaitAsync(cancellationToken).ConfigureAwait(false); // at most the one read in flight
        if (_position < _filled)
        {
            int count = Math.Min(buffer.Length, _filled - _position);
            _head.AsSpan(_position, count).CopyTo(buffer.Span);
            _position += count;
            return count;
        }

        return _ended ? 0 : await _source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stop = true;
            _source.Dispose();
        }

        base.Dispose(disposing);
    }
}
