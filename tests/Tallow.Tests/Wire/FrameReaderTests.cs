// FrameReader (DESIGN.md §4): frames split across tiny reads, many frames per read, the exact
// size limit, oversized headers refused before any allocation, and EOF semantics.
using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tallow.Wire;

namespace Tallow.Tests.Wire;

public class FrameReaderTests
{
    /// <summary>Returns at most <c>chunk</c> bytes per read (1 = a byte at a time), and counts reads.</summary>
    private sealed class TrickleStream(byte[] data, Func<int> chunk) : Stream
    {
        private int _position;

        public TrickleStream(byte[] data, int chunk)
            : this(data, () => chunk)
        {
        }

        public int Reads { get; private set; }

        /// <summary>Called with the size of each read before it is served.</summary>
        public Action<int>? BeforeRead { get; init; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            BeforeRead?.Invoke(buffer.Length);
            Reads++;
            int n = Math.Min(Math.Min(Math.Max(1, chunk()), buffer.Length), data.Length - _position);
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer, offset, count));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static byte[] Concat(IEnumerable<byte[]> parts) => parts.SelectMany(p => p).ToArray();

    private static async Task<List<(FrameType Type, byte[] Payload)>> ReadAllAsync(FrameReader reader, int maxLength)
    {
        var frames = new List<(FrameType, byte[])>();
        while (true)
        {
            FrameReadResult result = await reader.ReadAsync(maxLength, CancellationToken.None);
            if (result.EndOfStream)
            {
                Assert.Equal(FrameStatus.Ok, result.Status); // clean EOF
                Assert.False(result.IsFrame);
                return frames;
            }

            Assert.True(result.IsFrame, $"unexpected status {result.Status}");
            Assert.Equal(result.HeaderAndPayloadLength, reader.CurrentFrame.Length);
            Assert.Equal((byte)result.Type, reader.CurrentFrame.Span[4]);
            frames.Add((result.Type, reader.CurrentPayload.ToArray()));
        }
    }

    [Fact]
    public async Task Reads_frames_delivered_one_byte_at_a_time()
    {
        byte[][] payloads = [[], [1], new byte[100], Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray(), [7, 7, 7]];
        byte[] wire = Concat(payloads.Select((p, i) => Frame.Encode((FrameType)(i + 1), p)));
        var stream = new TrickleStream(wire, 1);
        using var reader = new FrameReader(stream, initialBufferSize: 16);

        var frames = await ReadAllAsync(reader, Frame.MaxLength);

        Assert.Equal(payloads.Length, frames.Count);
        for (int i = 0; i < payloads.Length; i++)
        {
            Assert.Equal((FrameType)(i + 1), frames[i].Type);
            Assert.Equal(payloads[i], frames[i].Payload);
        }

        Assert.True(stream.Reads >= wire.Length);
    }

    [Fact]
    public async Task The_minimum_read_is_what_the_frame_in_progress_still_needs_up_to_the_cap_and_1_between_frames()
    {
        // What a socket's SO_RCVLOWAT would be set to: never more than the read may return (a
        // larger mark would wait for bytes the peer never sends), told only when it changes.
        byte[][] payloads = [new byte[10], new byte[(2 * FrameReader.MinimumReadMax) + 12345], [3], new byte[FrameReader.MinimumReadMax / 3]];
        byte[] wire = Concat(payloads.Select(p => Frame.Encode(FrameType.Record, p)));
        var told = new List<int>();
        int inForce = 1;
        var reads = new List<(int Asked, int Minimum)>();
        var stream = new TrickleStream(wire, 100_000) { BeforeRead = asked => reads.Add((asked, inForce)) };
        using var reader = new FrameReader(stream, 4096, minimum =>
        {
            told.Add(minimum);
            inForce = minimum;
        });

        var frames = await ReadAllAsync(reader, Frame.MaxLength);

        Assert.Equal(payloads.Length, frames.Count);
        Assert.All(reads, r => Assert.True(r.Minimum == 1 || r.Minimum == Math.Min(r.Asked, FrameReader.MinimumReadMax), $"asked {r.Asked}, minimum {r.Minimum}"));
        Assert.Contains(reads, r => r.Minimum == FrameReader.MinimumReadMax);
        Assert.Contains(reads, r => r.Minimum > 1 && r.Minimum < FrameReader.MinimumReadMax); // the end of a frame
        Assert.All(told.Zip(told.Skip(1)), pair => Assert.NotEqual(pair.First, pair.Second));
        Assert.Equal(1, reads[0].Minimum); // a header is read with any bytes at all
    }

    [Fact]
    public async Task Reads_many_frames_delivered_in_one_read()
    {
        byte[][] payloads = Enumerable.Range(0, 500).Select(i => Enumerable.Repeat((byte)i, i % 37).ToArray()).ToArray();
        byte[] wire = Concat(payloads.Select(p => Frame.Encode(FrameType.Record, p)));
        var stream = new TrickleStream(wire, wire.Length);
        using var reader = new FrameReader(stream, initialBufferSize: wire.Length + 16);

        var frames = await ReadAllAsync(reader, Frame.MaxLength);

        Assert.Equal(payloads, frames.Select(f => f.Payload));
        Assert.Equal(2, stream.Reads); // everything, then EOF
    }

    [Property(MaxTest = 60)]
    public Property Any_chunking_of_any_frame_sequence_reads_back_the_same_frames() => Prop.ForAll(
        (from payloads in Gen.Choose(0, 20).SelectMany(n => Gen.ArrayOf(WireGen.BytesBetween(0, 700), n))
         from seed in Gen.Choose(0, 10_000)
         from maxChunk in Gen.Elements(1, 2, 3, 7, 64, 4096)
         from initial in Gen.Elements(1, 16, 100, 65536)
         select (payloads, seed, maxChunk, initial)).ToArbitrary(),
        t =>
        {
            byte[] wire = Concat(t.payloads.Select(p => Frame.Encode(FrameType.Record, p)));
            var random = new Random(t.seed);
            var stream = new TrickleStream(wire, () => random.Next(1, t.maxChunk + 1));
            using var reader = new FrameReader(stream, t.initial);
            var frames = ReadAllAsync(reader, 701).GetAwaiter().GetResult();
            return frames.Count == t.payloads.Length
                && frames.Zip(t.payloads).All(p => p.First.Type == FrameType.Record && p.First.Payload.AsSpan().SequenceEqual(p.Second));
        });

    [Fact]
    public async Task Reads_a_frame_of_exactly_the_max_length()
    {
        byte[] payload = new byte[Frame.MaxLength - 1];
        new Random(1).NextBytes(payload);
        byte[] wire = [.. Frame.Encode(FrameType.Record, payload), .. Frame.Encode(FrameType.Ping, [])];
        using var reader = new FrameReader(new TrickleStream(wire, 1 << 20));

        FrameReadResult first = await reader.ReadAsync(Frame.MaxLength, CancellationToken.None);
        Assert.True(first.IsFrame);
        Assert.Equal(Frame.HeaderSize + Frame.MaxLength - 1, first.HeaderAndPayloadLength);
        Assert.True(reader.CurrentPayload.Span.SequenceEqual(payload));

        FrameReadResult second = await reader.ReadAsync(Frame.MaxLength, CancellationToken.None);
        Assert.True(second.IsFrame);
        Assert.Equal(FrameType.Ping, second.Type);
    }

    [Fact]
    public async Task A_frame_one_byte_over_the_limit_is_TooLarge()
    {
        byte[] wire = Frame.Encode(FrameType.Record, new byte[100]);
        using var reader = new FrameReader(new MemoryStream(wire));
        FrameReadResult result = await reader.ReadAsync(100, CancellationToken.None);
        Assert.Equal(FrameStatus.TooLarge, result.Status);
        Assert.False(result.IsFrame);
        Assert.False(result.EndOfStream);
    }

    [Theory]
    [InlineData(0x8000_0000u)]
    [InlineData(0x0100_0000u)]
    [InlineData(0xFFFF_FFFFu)]
    public async Task A_huge_length_prefix_is_TooLarge_without_allocating(uint length)
    {
        byte[] wire = new byte[64];
        BinaryPrimitives.WriteUInt32BigEndian(wire, length);
        wire[4] = (byte)FrameType.Record;
        var stream = new TrickleStream(wire, wire.Length);
        using var reader = new FrameReader(stream, initialBufferSize: 16);

        long before = GC.GetAllocatedBytesForCurrentThread();
        FrameReadResult result = await reader.ReadAsync(Frame.MaxUnpairedLength, CancellationToken.None);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(FrameStatus.TooLarge, result.Status);
        Assert.True(allocated < 4096, $"allocated {allocated} bytes");
    }

    [Fact]
    public async Task Zero_length_header_is_Invalid()
    {
        using var reader = new FrameReader(new MemoryStream(new byte[10]));
        FrameReadResult result = await reader.ReadAsync(Frame.MaxLength, CancellationToken.None);
        Assert.Equal(FrameStatus.Invalid, result.Status);
        Assert.False(result.EndOfStream);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(50)]
    public async Task EOF_mid_frame_is_Invalid_end_of_stream(int cut)
    {
        byte[] wire = Frame.Encode(FrameType.Record, new byte[100])[..cut];
        using var reader = new FrameReader(new TrickleStream(wire, 3));
        FrameReadResult result = await reader.ReadAsync(Frame.MaxLength, CancellationToken.None);
        Assert.True(result.EndOfStream);
        Assert.Equal(FrameStatus.Invalid, result.Status);
        Assert.False(result.IsFrame);
    }

    [Fact]
    public async Task EOF_after_a_complete_frame_is_clean()
    {
        byte[] wire = Frame.Encode(FrameType.Ping, [1, 2, 3]);
        using var reader = new FrameReader(new MemoryStream(wire));
        Assert.True((await reader.ReadAsync(Frame.MaxLength, CancellationToken.None)).IsFrame);
        FrameReadResult end = await reader.ReadAsync(Frame.MaxLength, CancellationToken.None);
        Assert.True(end.EndOfStream);
        Assert.Equal(FrameStatus.Ok, end.Status);
        Assert.False(end.IsFrame);

        using var empty = new FrameReader(new MemoryStream());
        FrameReadResult nothing = await empty.ReadAsync(Frame.MaxLength, CancellationToken.None);
        Assert.True(nothing.EndOfStream);
        Assert.Equal(FrameStatus.Ok, nothing.Status);
    }

    [Fact]
    public async Task Buffered_holds_the_bytes_after_the_current_frame()
    {
        byte[] first = Frame.Encode(FrameType.Ping, [9]);
        byte[] rest = [1, 2, 3, 4, 5, 6, 7];
        using var reader = new FrameReader(new MemoryStream([.. first, .. rest]));
        Assert.True((await reader.ReadAsync(Frame.MaxLength, CancellationToken.None)).IsFrame);
        Assert.Equal(rest, reader.Buffered.ToArray());
    }

    [Fact]
    public async Task Small_frames_after_a_large_one_reuse_the_grown_buffer()
    {
        byte[] big = Frame.Encode(FrameType.Record, new byte[200_000]);
        byte[] small = Frame.Encode(FrameType.Ping, [1]);
        byte[] wire = [.. small, .. big, .. small, .. big, .. small];
        using var reader = new FrameReader(new TrickleStream(wire, 999), initialBufferSize: 32);
        var frames = await ReadAllAsync(reader, Frame.MaxLength);
        Assert.Equal([1, 200_000, 1, 200_000, 1], frames.Select(f => f.Payload.Length));
    }

    [Fact]
    public async Task After_the_last_frame_the_end_of_stream_leaves_an_empty_current_frame()
    {
        byte[] data = [.. Frame.Encode(FrameType.Record, new byte[100_000]), .. Frame.Encode(FrameType.Record, new byte[10])];
        using var reader = new FrameReader(new TrickleStream(data, 70_000));
        Assert.True((await reader.ReadAsync(Frame.MaxLength, CancellationToken.None)).IsFrame);
        Assert.Equal(Frame.HeaderSize + 100_000, reader.CurrentFrame.Length);
        Assert.True((await reader.ReadAsync(Frame.MaxLength, CancellationToken.None)).IsFrame);
        Assert.Equal(Frame.HeaderSize + 10, reader.CurrentFrame.Length);

        FrameReadResult end = await reader.ReadAsync(Frame.MaxLength, CancellationToken.None);
        Assert.True(end.EndOfStream);
        Assert.Equal(0, reader.CurrentFrame.Length); // and no exception: the buffer was reset for the read
    }

    [Fact]
    public async Task A_large_frame_alone_in_the_buffer_is_taken_with_it_and_reading_goes_on_in_the_replacement()
    {
        byte[][] payloads = [Enumerable.Range(0, 200_000).Select(i => (byte)(i * 7)).ToArray(), [5], Enumerable.Range(0, 150_000).Select(i => (byte)i).ToArray()];
        byte[] wire = Concat(payloads.Select(p => Frame.Encode(FrameType.Record, p)));
        using var reader = new FrameReader(new TrickleStream(wire, 70_000), initialBufferSize: 32);
        var replacements = new List<int>();
        byte[] Replacement(int length)
        {
            replacements.Add(length);
            return new byte[length];
        }

        Assert.True((await reader.ReadAsync(Frame.MaxLength, CancellationToken.None)).IsFrame);
        Assert.Null(reader.TakeFrame(Frame.HeaderSize + 200_000, Replacement)); // not above the minimum asked for
        byte[] first = reader.TakeFrame(64 * 1024, Replacement)!;
        Assert.Equal(payloads[0], first.AsSpan(Frame.HeaderSize, 200_000).ToArray()); // the frame, from offset 0
        Assert.Equal([first.Length], replacements);
        Assert.Equal(0, reader.CurrentFrame.Length); // taken: the reader no longer shows it
        Assert.Null(reader.TakeFrame(0, Replacement)); // nothing left to take

        // A small frame (in the replacement), then a large one read after it: both intact.
        Assert.True((await reader.ReadAsync(Frame.MaxLength, CancellationToken.None)).IsFrame);
        Assert.Null(reader.TakeFrame(64 * 1024, Replacement));
        Assert.Equal(payloads[1], reader.CurrentPayload.ToArray());
        Assert.True((await reader.ReadAsync(Frame.MaxLength, CancellationToken.None)).IsFrame);
        Assert.Equal(payloads[2], reader.CurrentPayload.ToArray());
        Assert.Equal(payloads[0], first.AsSpan(Frame.HeaderSize, 200_000).ToArray()); // the taken array was not written to again
        Assert.True((await reader.ReadAsync(Frame.MaxLength, CancellationToken.None)).EndOfStream);
    }

    [Fact]
    public async Task A_frame_with_bytes_read_past_it_is_not_taken()
    {
        byte[] wire = [.. Frame.Encode(FrameType.Record, new byte[100_000]), .. Frame.Encode(FrameType.Ping, [1])];
        using var reader = new FrameReader(new TrickleStream(wire, wire.Length), initialBufferSize: wire.Length);
        Assert.True((await reader.ReadAsync(Frame.MaxLength, CancellationToken.None)).IsFrame);
        Assert.Null(reader.TakeFrame(64 * 1024, n => new byte[n])); // the Ping is in the same buffer
        Assert.True((await reader.ReadAsync(Frame.MaxLength, CancellationToken.None)).IsFrame);
        Assert.Equal(FrameType.Ping, (FrameType)reader.CurrentFrame.Span[4]);
    }
}
