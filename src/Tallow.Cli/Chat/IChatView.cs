// What a chat shows and reads (DESIGN.md §12): a terminal line UI (TerminalChatView) or, with
// --json or when stdin is not a terminal, stdin lines in and NDJSON events out (JsonChatView).
// ChatSession drives either one the same way.
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Cli.Chat;

internal interface IChatView : IDisposable
{
    /// <summary>The next line the user entered; null at the end of input (or Ctrl-C on the terminal).</summary>
    Task<string?> ReadLineAsync(CancellationToken ct);

    /// <summary>The peer is connected: peer_joined, and how to use the chat.</summary>
    void Joined();

    void Message(ChatTextMessage message);

    void Sent(string text);

    void PeerLeft(string reason);

    /// <summary>A status line (not a message).</summary>
    void Info(string text);

    /// <summary>The peer offers files; <paramref name="ask"/>: the user answers with /accept or /decline.</summary>
    void Offer(TransferOffer offer, string summary, bool ask);

    /// <summary>Progress and file events of the transfer this side sends (or receives).</summary>
    ITransferObserver TransferObserver(bool sending);

    void TransferCompleted(bool sending, TransferSummary summary, TimeSpan elapsed);
}
