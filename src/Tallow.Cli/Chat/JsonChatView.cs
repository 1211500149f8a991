// The scriptable chat (--json, or stdin not a terminal): each stdin line is one message (or a
// /command), and stdout carries one JSON event per line: peer_joined, message{from, text, ts},
// peer_left, offer, the transfer events of send/receive (progress, file_sent, file_received,
// transfer_complete with a direction), notice and error.
using Tallow.Cli.Output;
using Tallow.Net.Room;
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Cli.Chat;

internal sealed class JsonChatView(Reporter reporter) : IChatView, IRoomView
{
    private readonly Reporter _sending = new(json: true, reporter.Quiet, "file_sent");
    private readonly Reporter _receiving = new(json: true, reporter.Quiet, "file_received");
    private readonly TextReader _input = Console.In;

    public Task<string?> ReadLineAsync(CancellationToken ct) => Task.Run(() => _input.ReadLine(), ct);

    public void Joined() => reporter.Event("peer_joined");

    public void Message(ChatTextMessage message) =>
        reporter.Event("message", ("from", "peer"), ("text", message.Text), ("ts", message.UnixMilliseconds / 1000.0));

    public void Sent(string text)
    {
    }

    public void PeerLeft(string reason) => reporter.Event("peer_left", ("reason", reason));

    public void Info(string text) => reporter.Event("notice", ("message", text));

    public void Offer(TransferOffer offer, string summary, bool ask)
    {
        _receiving.StartTransferClock(); // rates count from the offer, not from the start of the chat
        reporter.Event("offer", ("kind", offer.Kind.ToString().ToLowerInvariant()), ("files", offer.Entries.Count(e => e.Type == EntryType.File)), ("bytes", (long)offer.TotalSize), ("summary", summary));
    }

    public ITransferObserver TransferObserver(bool sending)
    {
        if (sending)
        {
            _sending.StartTransferClock();
        }

        return sending ? _sending : _receiving;
    }

    public void TransferCompleted(bool sending, TransferSummary summary, TimeSpan elapsed) =>
        reporter.Event("transfer_complete", ("direction", sending ? "sent" : "received"), ("bytes", summary.Bytes), ("wire_bytes", summary.WireBytes), ("files", summary.Files), ("seconds", elapsed.TotalSeconds));

    public void Entered(string self, IReadOnlyList<RoomMember> members) => reporter.Event("room_entered", ("name", self), ("members", Describe(members)));

    public void Members(string self, IReadOnlyList<RoomMember> members) => reporter.Event("members", ("name", self), ("members", Describe(members)));

    public void Safety(RoomMember member) =>
        reporter.Event("safety_number", ("name", member.Name), ("id", (int)member.Id), ("digits", member.SafetyDigits), ("emoji", member.SafetyEmoji));

    public void MemberJoined(RoomMember member) => reporter.Event("peer_joined", ("name", member.Name), ("id", (int)member.Id));

    public void MemberLeft(RoomMember member, string reason) => reporter.Event("peer_left", ("name", member.Name), ("id", (int)member.Id), ("reason", reason));

    public void Message(RoomMember member, ChatTextMessage message) =>
        reporter.Event("message", ("from", member.Name), ("id", (int)member.Id), ("text", message.Text), ("ts", message.UnixMilliseconds / 1000.0));

    public void Notice(string text) => Info(text);

    public void Warning(string text) => reporter.Event("warning", ("message", text));

    private static IEnumerable<(string Key, object? Value)[]> Describe(IReadOnlyList<RoomMember> members) =>
        members.Select(m => new (string Key, object? Value)[] { ("name", m.Name), ("id", (int)m.Id) }).ToList();

    public void Dispose()
    {
    }
}
