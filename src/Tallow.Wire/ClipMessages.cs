// Clipboard records (tallow clip; protocol.md "Clipboard"). One clipboard content travels as a run
// of ClipContent records on the Clip stream, each {u8 flags, u32 total size, u8 type length,
// type, piece}: every piece repeats the header, so a receiver checks the type and the size on the
// first one (before it allocates anything) and that later pieces belong to the same content.
// The receiver answers each content with ClipAnswer {u8 status, text}. A MIME type is accepted
// only from a short list (ClipMime): no control characters, nothing a clipboard tool would run.
namespace Tallow.Wire;

/// <summary>The clipboard types tallow moves; anything else is refused by both sides.</summary>
public static class ClipMime
{
    public const string Text = "text/plain;charset=utf-8";

    /// <summary>Longest type on the wire (the list's longest is far shorter).</summary>
    public const int MaxLength = 64;

    /// <summary>Accepted types, in the order a sender prefers them when the clipboard offers several.</summary>
    public static readonly IReadOnlyList<string> Known =
        ["image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff", Text];

    public static bool IsKnown(string type) => Known.Contains(type, StringComparer.Ordinal);

    public static bool IsText(string type) => type == Text;
}

/// <summary>ClipContent's flags byte.</summary>
[Flags]
public enum ClipPieceFlags : byte
{
    None = 0,

    /// <summary>The last piece of this content.</summary>
    Final = 1,
}

/// <summary>The header every ClipContent piece carries, then the piece's bytes.</summary>
public readonly record struct ClipPieceHeader(ClipPieceFlags Flags, uint TotalSize, string Type)
{
    public bool IsFinal => (Flags & ClipPieceFlags.Final) != 0;

    public int Size => 1 + 4 + 1 + Type.Length;

    /// <summary>Writes the header (the type is ASCII from ClipMime.Known); the piece follows at the returned offset.</summary>
    public int Write(Span<byte> destination)
    {
        var w = new SpanWriter(destination);
        w.WriteByte((byte)Flags);
        w.WriteUInt32(TotalSize);
        w.WriteByte((byte)Type.Length);
        foreach (char c in Type)
        {
            w.WriteByte((byte)c);
        }

        return w.Written;
    }

    /// <summary>
    /// Parses a piece: false for unknown flags, a type not in ClipMime.Known, or a header cut short.
    /// Never throws; <paramref name="piece"/> is the rest of the body.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out ClipPieceHeader header, out ReadOnlySpan<byte> piece)
    {
        header = default;
        piece = default;
        var r = new SpanReader(body);
        if (!r.TryReadByte(out byte flags) || (flags & ~(byte)ClipPieceFlags.Final) != 0
            || !r.TryReadUInt32(out uint total) || !r.TryReadByte(out byte typeLength)
            || typeLength == 0 || typeLength > ClipMime.MaxLength || !r.TryReadBytes(typeLength, out ReadOnlySpan<byte> typeBytes))
        {
            return false;
        }

        foreach (byte b in typeBytes)
        {
            if (b is < 0x21 or > 0x7e)
            {
                return false; // controls, spaces and non-ASCII are never part of a known type
            }
        }

        string type = System.Text.Encoding.ASCII.GetString(typeBytes);
        if (!ClipMime.IsKnown(type))
        {
            return false;
        }

        header = new ClipPieceHeader((ClipPieceFlags)flags, total, type);
        piece = body[(1 + 4 + 1 + typeLength)..];
        return true;
    }
}

public enum ClipAnswerStatus : byte
{
    /// <summary>The content is in the receiver's clipboard.</summary>
    Stored = 0,

    /// <summary>The receiver did not take it (too large, a type its clipboard cannot hold, its clipboard tool failed).</summary>
    Refused = 1,
}

/// <summary>ClipAnswer {u8 status, u16-prefixed UTF-8 text ≤ 512 bytes}: the receiver's word on one content.</summary>
public readonly record struct ClipAnswerMessage(ClipAnswerStatus Status, string Text)
{
    public const int MaxTextBytes = 512;

    private string Bounded => Text.Length > MaxTextBytes / 4 ? Text[..(MaxTextBytes / 4)] : Text;

    public int GetSize() => 1 + SpanWriter.StringSize(Bounded);

    public int Write(Span<byte> destination)
    {
        var w = new SpanWriter(destination);
        w.WriteByte((byte)Status);
        w.WriteString(Bounded);
        return w.Written;
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out ClipAnswerMessage message)
    {
        message = default;
        var r = new SpanReader(body);
        if (!r.TryReadByte(out byte status) || status > (byte)ClipAnswerStatus.Refused || !r.TryReadString(MaxTextBytes, out string text) || !r.IsAtEnd)
        {
            return false;
        }

        message = new ClipAnswerMessage((ClipAnswerStatus)status, text);
        return true;
    }
}
