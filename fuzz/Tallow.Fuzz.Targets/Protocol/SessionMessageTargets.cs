// Target "session-messages": the session-level record bodies of DESIGN.md §13 (protocol.md
// "Flow control", "Chat"): WindowUpdate and ChatMessage. A selector byte picks the parser.
// Parsers return false on bad input and never throw; what parses encodes back to its bytes.
using Tallow.Fuzz.Targets.Support;
using Tallow.Wire;

namespace Tallow.Fuzz.Targets.Protocol;

public static class SessionMessageTargets
{
    public static readonly FuzzTarget SessionMessages = new("session-messages", "WindowUpdateMessage/ChatTextMessage.TryParse", Fuzz, Seeds);

    public static void Fuzz(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        ReadOnlySpan<byte> body = data[1..];
        if ((data[0] & 1) == 0)
        {
            if (WindowUpdateMessage.TryParse(body, out WindowUpdateMessage update))
            {
                FuzzInvariantException.Check(update.Bytes > 0 && Enum.IsDefined(update.Stream), "WindowUpdate: zero bytes or unknown stream accepted");
                FuzzInvariantException.Check(Encoded.Message(WindowUpdateMessage.Size, d => { update.Write(d); return WindowUpdateMessage.Size; }).AsSpan().SequenceEqual(body), "WindowUpdate: does not encode back");
            }
        }
        else if (ChatTextMessage.TryParse(body, out ChatTextMessage chat))
        {
            FuzzInvariantException.Check(chat.GetSize() == body.Length, "Chat: GetSize differs from the parsed length");
            FuzzInvariantException.Check(Encoded.Message(body.Length, chat.Write).AsSpan().SequenceEqual(body), "Chat: does not encode back to its bytes");
        }
    }

    public static IEnumerable<byte[]> Seeds()
    {
        yield return Encoded.Tagged(0, Encoded.Message(WindowUpdateMessage.Size, d => { new WindowUpdateMessage(FlowStream.Transfer, 1 << 20).Write(d); return WindowUpdateMessage.Size; }));
        var chat = new ChatTextMessage(1_700_000_000_123, "héllo 👋 — see you");
        yield return Encoded.Tagged(1, Encoded.Message(chat.GetSize(), chat.Write));
    }
}
