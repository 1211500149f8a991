// One member of a routing room as a byte stream (protocol.md "Chat rooms"): what is written goes
// to that member as Route frames, what the relay delivers from it (Routed) is read back in order.
// The 1:1 handshake and record layer run over it unchanged. Inbound payloads queue in a bounded
// channel, so a pair that stops reading slows the room's read loop instead of growing memory;
// a stream the room refused (Discard) drops what arrives. The end of the member is the end of stream.
using System.Threading.Channels;

namespace Tallow.Net.Room;

public sealed class RoutedStream : Stream
{
    /// <summary>Payloads (≤ 64 KiB each) held for a pair that has not read them yet.</summary>
    private const int InboundCapacity = 64;

    private readonly RoomConnection _room;
    private readonly Channel<byte[]> _inbound = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(InboundCapacity) { SingleReader = true, SingleWriter = true });
    private byte[] _current = [];
    private int _offset;
    private volatile bool _discard;

    internal RoutedStream(RoomConnection room, byte member)
    {
        _room = room;
        Member = member;
    }

    /// <summary>The member id on the other end.</summary>
    public byte Member { get; }

    /// <summary>True once the member left the room (or the room connection ended): reads end, writes fail.</summary>
    public bool Ended { get; private set; }

    /// <summary>The room's read loop: one Routed payload from this member (waits while the queue is full).</summary>
    internal async ValueTask DeliverAsync(byte[] payload, CancellationToken ct)
    {
        if (_discard || Ended)
        {
            return;
        }

        try
        {
            await _inbound.Writer.WriteAsync(payload, ct).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // Ended meanwhile: nothing reads this member any more.
        }
    }

    /// <summary>The member left: readers see the end of stream after what was already delivered.</summary>
    internal void End()
    {
        Ended = true;
        _inbound.Writer.TryComplete();
    }

    /// <summary>This side will never talk to the member: drop what arrives from it.</summary>
    public void Discard()
    {
        _discard = true;
        End();
        while (_inbound.Reader.TryRead(out _))
        {
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_offset == _current.Length)
        {
            if (!await _inbound.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }

            if (_inbound.Reader.TryRead(out byte[]? next))
            {
                _current = next;
                _offset = 0;
            }
        }

        int count = Math.Min(buffer.Length, _current.Length - _offset);
        _current.AsMemory(_offset, count).CopyTo(buffer);
        _offset += count;
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Ended)
        {
            throw new IOException("the member left the room");
        }

        await _room.RouteAsync(Member, buffer, cancellationToken).ConfigureAwait(false);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _room.Forget(Member);
            Discard();
        }

        base.Dispose(disposing);
    }
}
