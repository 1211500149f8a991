// What a chat room shows and reads (protocol.md "Chat rooms"): the same two views as a 1:1 chat
// (TerminalChatView, JsonChatView), with members named: joins and leaves, who sent each message,
// the member list and a member's safety number. RoomChatSession drives either one.
using Tallow.Net.Room;

namespace Tallow.Cli.Chat;

internal interface IRoomView : IRoomObserver, IDisposable
{
    /// <summary>The next line the user entered; null at the end of input (or Ctrl-C on the terminal).</summary>
    Task<string?> ReadLineAsync(CancellationToken ct);

    /// <summary>This side is in the room: who is there, and how to use it.</summary>
    void Entered(string self, IReadOnlyList<RoomMember> members);

    /// <summary>/members: this side and every member joined now.</summary>
    void Members(string self, IReadOnlyList<RoomMember> members);

    /// <summary>/verify NAME: the safety number this side shares with that member (the member sees the same one).</summary>
    void Safety(RoomMember member);

    /// <summary>A status line (not a message).</summary>
    void Info(string text);
}
