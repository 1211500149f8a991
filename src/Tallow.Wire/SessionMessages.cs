// Session-level record bodies (DESIGN.md §13, protocol.md "Flow control", "Chat"):
//   WindowUpdate{u8 stream, u32 bytes}   the receiver freed that many bytes of the stream's window
//   ChatMessage{i64 unix ms, text}        one chat message (UTF-8, at most MaxTextBytes)
// Leave reuses ReasonMessage. Parsers never throw and reject trailing bytes.
namespace Tallow.Wire;

public readonly record struct WindowUpdateMessage(FlowStream Stream, uint Bytes)
{
    public const int Size = 1 + 4;

    public void Write(Span<byte> destination)
    {
        var w = new SpanWriter(destination);
        w.WriteByte((byte)Stream);
        w.WriteUInt32(Bytes);
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out WindowUpdateMessage message)
    {
        message = default;
        var r = new SpanReader(body);
        if (!r.TryReadByte(out byte stream) || stream is < (byte)FlowStream.Transfer or > (byte)FlowStream.Clip
            || !r.TryReadUInt32(out uint bytes) || bytes == 0 || !r.IsAtEnd)
        {
            return false;
        }

        message = new WindowUpdateMessage((FlowStream)stream, bytes);
        return true;
    }
}

public readonly record struct ChatTextMessage(long UnixMilliseconds, string Text)
{
    /// <summary>Longest message text in UTF-8 bytes (a long paste; files go through /send).</summary>
    public const int MaxTextBytes = 16 * 1024;

    public int GetSize() => 8 + SpanWriter.StringSize(Text);

    public int Write(Span<byte> destination)
    {
        var w = new SpanWriter(destination);
        w.WriteInt64(UnixMilliseconds);
        w.WriteString(Text);
        return w.Written;
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out ChatTextMessage message)
    {
        message = default;
        var r = new SpanReader(body);
        if (!r.TryReadInt64(out long ms) || !r.TryReadString(MaxTextBytes, out string text) || !r.IsAtEnd)
        {
            return false;
        }

        message = new ChatTextMessage(ms, text);
        return true;
    }
}
