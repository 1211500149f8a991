// Helpers that build seed inputs with the code's own encoders (message Write methods, Frame).
using Tallow.Wire;

namespace Tallow.Fuzz.Targets.Support;

public delegate int SpanWrite(Span<byte> destination);

public static class Encoded
{
    /// <summary>The bytes a message's Write method produces into a buffer of <paramref name="capacity"/>.</summary>
    public static byte[] Message(int capacity, SpanWrite write)
    {
        byte[] buffer = new byte[capacity];
        int written = write(buffer);
        return buffer[..written];
    }

    /// <summary>Whole frames one after the other, as a connection carries them.</summary>
    public static byte[] Frames(params (FrameType Type, byte[] Payload)[] frames) =>
        [.. frames.SelectMany(f => Frame.Encode(f.Type, f.Payload))];

    /// <summary>A selector byte followed by a body: the layout of targets that cover several message types.</summary>
    public static byte[] Tagged(byte tag, byte[] body) => [tag, .. body];
}
