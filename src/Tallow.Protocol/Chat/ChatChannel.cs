// Chat on a session (protocol.md "Chat"): each message is one sealed ChatMessage record
// {i64 sender's unix ms, UTF-8 text ≤ 16 KiB} on the session's Chat stream, which has its own
// flow-control window, so a chat never waits behind a file and a file never waits behind chat.
using System.Text;
using Tallow.Protocol.Session;
using Tallow.Wire;

namespace Tallow.Protocol.Chat;

public sealed class ChatChannel(RecordPort port, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Sends one message; text longer than the limit is a usage error (files go through /send).</summary>
    public async Task SendAsync(string text, CancellationToken ct)
    {
        if (Encoding.UTF8.GetByteCount(text) > ChatTextMessage.MaxTextBytes)
        {
            throw new TallowException(FailureKind.Usage, $"a message may be at most {ChatTextMessage.MaxTextBytes / 1024} KiB: send longer text as a file (/send PATH).");
        }

        var message = new ChatTextMessage(_time.GetUtcNow().ToUnixTimeMilliseconds(), text);
        byte[] body = new byte[message.GetSize()];
        message.Write(body);
        await port.SendAsync(RecordKind.ChatMessage, body, ct).ConfigureAwait(false);
    }

    /// <summary>The peer's next message; a malformed one ends the session's chat with a protocol error.</summary>
    public async Task<ChatTextMessage> ReceiveAsync(CancellationToken ct)
    {
        Protocol.Records.Record record = await port.ReceiveAsync(ct).ConfigureAwait(false);
        return ChatTextMessage.TryParse(record.Body.Span, out ChatTextMessage message)
            ? message
            : throw new TallowException(FailureKind.Error, "the peer sent a malformed chat message: the chat was stopped.");
    }
}
