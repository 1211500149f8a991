// The clipboard part of a session (RecordGroup.Clip; protocol.md "Clipboard"): sends a content as
// ClipContent pieces of at most 256 KiB on the flow-controlled Clip stream (so a 16 MiB image
// never is one record, and never more than the stream's window is in flight), reassembles the
// peer's pieces, and carries the ClipAnswer for each content. The receiver checks the size on
// the first piece against its own limit before it allocates; a content over it is read to its
// end and dropped (ClipIncoming.TooLarge). Both directions share the port: in --watch each side
// sends and receives, so answers may arrive between the pieces of an incoming content.
using Tallow.Protocol.Records;
using Tallow.Protocol.Session;
using Tallow.Wire;

namespace Tallow.Protocol.Clip;

/// <summary>What ClipChannel.ReceiveAsync returns: a whole content, one refused for its size, or an answer.</summary>
public readonly record struct ClipIncoming(ClipContent? Content, string? TooLargeType, long TooLargeSize, ClipAnswerMessage? Answer);

public sealed class ClipChannel(RecordPort port)
{
    public const int PieceSize = 256 * 1024;

    /// <summary>The largest --max-size: the protocol's own bound on one content.</summary>
    public const long MaxContentBytes = 256L * 1024 * 1024;

    private Assembly? _current;

    private sealed class Assembly(string type, uint total, byte[]? buffer)
    {
        public string Type { get; } = type;
        public uint Total { get; } = total;
        public byte[]? Buffer { get; } = buffer; // null: over the limit, pieces are counted and dropped
        public long Received { get; set; }
    }

    public async Task SendAsync(ClipContent content, CancellationToken ct)
    {
        if (content.Bytes.LongLength > MaxContentBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(content), "content over the protocol's limit");
        }

        int offset = 0;
        do
        {
            int piece = Math.Min(PieceSize, content.Bytes.Length - offset);
            bool final = offset + piece == content.Bytes.Length;
            var header = new ClipPieceHeader(final ? ClipPieceFlags.Final : ClipPieceFlags.None, (uint)content.Bytes.Length, content.Type);
            using var buffer = new RecordBuffer(header.Size + piece);
            int written = header.Write(buffer.Body.Span);
            content.Bytes.AsSpan(offset, piece).CopyTo(buffer.Body.Span[written..]);
            await port.SendAsync(buffer, RecordKind.ClipContent, written + piece, ct).ConfigureAwait(false);
            offset += piece;
        }
        while (offset < content.Bytes.Length);
    }

    public async Task AnswerAsync(ClipAnswerStatus status, string text, CancellationToken ct)
    {
        var answer = new ClipAnswerMessage(status, text);
        byte[] body = new byte[answer.GetSize()];
        answer.Write(body);
        await port.SendAsync(RecordKind.ClipAnswer, body, ct).ConfigureAwait(false);
    }

    /// <summary>The next whole content or answer from the peer; contents over <paramref name="maxBytes"/> come back as TooLarge.</summary>
    public async Task<ClipIncoming> ReceiveAsync(long maxBytes, CancellationToken ct)
    {
        while (true)
        {
            Record record = await port.ReceiveAsync(ct).ConfigureAwait(false);
            if (record.Kind == RecordKind.ClipAnswer)
            {
                return ClipAnswerMessage.TryParse(record.Body.Span, out ClipAnswerMessage answer)
                    ? new ClipIncoming(null, null, 0, answer)
                    : throw Broken("a malformed answer");
            }

            if (record.Kind != RecordKind.ClipContent)
            {
                throw Broken($"a malformed or unexpected {record.Kind}");
            }

            if (Take(record.Body.Span, maxBytes) is ClipIncoming done)
            {
                return done;
            }
        }
    }

    /// <summary>Adds one piece; the whole content (or its refusal) once the final piece is in.</summary>
    private ClipIncoming? Take(ReadOnlySpan<byte> body, long maxBytes)
    {
        if (!ClipPieceHeader.TryParse(body, out ClipPieceHeader header, out ReadOnlySpan<byte> piece))
        {
            throw Broken($"a malformed {RecordKind.ClipContent}");
        }

        if (_current is null)
        {
            bool fits = header.TotalSize <= Math.Min(maxBytes, MaxContentBytes);
            _current = new Assembly(header.Type, header.TotalSize, fits ? new byte[header.TotalSize] : null);
        }
        else if (_current.Type != header.Type || _current.Total != header.TotalSize)
        {
            throw Broken("a piece of another content before the last one ended");
        }

        Assembly current = _current;
        long end = current.Received + piece.Length;
        if (end > current.Total || header.IsFinal != (end == current.Total))
        {
            throw Broken("pieces that do not add up to the content's size");
        }

        if (current.Buffer is not null)
        {
            piece.CopyTo(current.Buffer.AsSpan((int)current.Received));
        }

        current.Received = end;
        if (!header.IsFinal)
        {
            return null;
        }

        _current = null;
        return current.Buffer is null
            ? new ClipIncoming(null, current.Type, current.Total, null)
            : new ClipIncoming(new ClipContent(current.Type, current.Buffer), null, 0, null);
    }

    private static TallowException Broken(string what) => new(
        FailureKind.Error, $"the peer broke the clipboard protocol ({what}): the session was stopped. Both sides may need the same tallow version.");
}
