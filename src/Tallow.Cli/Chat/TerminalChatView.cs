// The chat on a terminal: ChatConsole keeps the line being typed intact while messages, status
// lines and transfer progress are printed above it. Everything the peer sent (text, names) is
// cleaned by ChatConsole (TerminalText.Clean: no C0/C1 controls, escapes or bidi overrides).
using Tallow.Cli.Output;
using Tallow.Net.Room;
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Cli.Chat;

internal sealed class TerminalChatView : IChatView, IRoomView
{
    private readonly ChatConsole _console = new(new ConsoleKeySource(), Console.Out, "> ") { EchoPrefix = "you: " };

    /// <summary>A terminal on stdin and stdout (otherwise the chat is line-based JSON).</summary>
    public static bool Available => ConsoleKeySource.TerminalAvailable;

    /// <summary>Ctrl-C leaves at once, like /quit; Ctrl-D on an empty line ends the input (transfers under way finish first).</summary>
    public async Task<string?> ReadLineAsync(CancellationToken ct)
    {
        string? line = await _console.ReadLineAsync(ct).ConfigureAwait(false);
        return line is null && _console.WasInterrupted ? ChatSession.QuitCommand : line;
    }

    public void Joined() => Info("Connected. Type a message and press Enter. /send PATH offers a file or folder; /quit leaves.");

    public void Message(ChatTextMessage message) => _console.WriteLine("peer: ", message.Text);

    public void Sent(string text)
    {
        // ChatConsole leaves the submitted line on screen as "you: text".
    }

    public void PeerLeft(string reason) => Info(reason.Length > 0 ? $"The peer left the chat ({reason})." : "The peer left the chat.");

    public void Info(string text) => _console.WriteLine("-- ", text);

    public void Offer(TransferOffer offer, string summary, bool ask) =>
        Info(ask ? $"The peer offers {summary}. Type /accept to receive it or /decline." : $"The peer offers {summary}.");

    public ITransferObserver TransferObserver(bool sending) => new Progress(this, sending ? "sending" : "receiving");

    public void TransferCompleted(bool sending, TransferSummary summary, TimeSpan elapsed) =>
        Info(summary.Files == 0
            ? (sending ? "The peer already had all of it: nothing was sent." : "All of it was already here: nothing was received.")
            : $"{(sending ? "Sent" : "Received")} {summary.Files} file(s), {Units.Bytes(summary.Bytes)} in {elapsed.TotalSeconds:0.0} s.");

    public void Dispose() => _console.Dispose();

    public void Entered(string self, IReadOnlyList<RoomMember> members) =>
        Info((members.Count == 0 ? $"You are in the room as {self}; no one else yet." : $"You are in the room as {self}, with {Names(members)}.")
            + " Type a message and press Enter. /members lists who is here, /verify NAME shows your safety number with them, /quit leaves.");

    public void Members(string self, IReadOnlyList<RoomMember> members) =>
        Info(members.Count == 0 ? $"Only you ({self}) are in the room." : $"In the room: you ({self}), {Names(members)}.");

    public void Safety(RoomMember member) =>
        Info($"Safety number with {member.Name}: {member.SafetyDigits}  {member.SafetyEmoji} (they see the same one when no one is in the middle)");

    public void MemberJoined(RoomMember member) => Info($"{member.Name} joined.");

    public void MemberLeft(RoomMember member, string reason) => Info(reason == "left" ? $"{member.Name} left." : $"{member.Name} left ({reason}).");

    public void Message(RoomMember member, ChatTextMessage message) => _console.WriteLine($"{member.Name}: ", message.Text);

    public void Notice(string text) => Info(text);

    public void Warning(string text) => Info("warning: " + text);

    private static string Names(IReadOnlyList<RoomMember> members) => string.Join(", ", members.Select(m => m.Name));

    /// <summary>Transfer progress as a status line every few seconds (a bar would fight the input line).</summary>
    private sealed class Progress(TerminalChatView view, string verb) : ITransferObserver
    {
        private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
        private readonly System.Diagnostics.Stopwatch _clock = new(); // from the first data, not from the offer
        private TimeSpan _last;

        public void OnProgress(long bytesDone, long? totalBytes)
        {
            if (!_clock.IsRunning)
            {
                _clock.Start();
            }

            if (_clock.Elapsed - _last < Interval)
            {
                return;
            }

            _last = _clock.Elapsed;
            string of = totalBytes is long total && total > 0 ? $" of {Units.Bytes(total)} ({100.0 * bytesDone / total:0}%)" : string.Empty;
            view.Info($"{verb}: {Units.Bytes(bytesDone)}{of}, {Units.Bytes(bytesDone / Math.Max(0.001, _clock.Elapsed.TotalSeconds))}/s");
        }

        public void OnFileCompleted(FileReport file) => view.Info($"{verb}: '{file.Path}' done ({Units.Bytes(file.Size)}, verified)");

        public void OnResume(string path, long offset, long size) => view.Info($"{verb}: '{path}' resumes at {Units.Bytes(offset)} of {Units.Bytes(size)}");

        public void OnNotice(string message) => view.Info(message);
    }
}
