// `tallow chat --multi` and joining a room (protocol.md "Chat rooms"), once the room connection
// is open: what the user types goes to every member joined at that moment (ChatRoom seals it once
// per member); members' messages, joins and leaves come from the ChatRoom.
//
//   input:  text → message to everyone   /members → who is here   /verify NAME → safety number
//           /quit (Ctrl-C) → leave now   end of input → leave      /help
//   room:   the relay connection lost → network error (exit 4); a wrong code on joining → exit 6
using Tallow.Net.Room;
using Tallow.Protocol;

namespace Tallow.Cli.Chat;

internal sealed class RoomChatSession(ChatRoom room, IRoomView view)
{
    private const string Help = "/members lists who is here; /verify NAME shows your safety number with NAME; /quit leaves; start a message with // to begin it with /.";

    public async Task RunAsync(CancellationToken ct)
    {
        view.Entered(room.DisplayName, room.Members);
        try
        {
            while (true)
            {
                Task<string?> line = view.ReadLineAsync(ct);
                if (await Task.WhenAny(line, room.Ended).ConfigureAwait(false) != line)
                {
                    throw await room.Ended.ConfigureAwait(false);
                }

                string? text = await line.ConfigureAwait(false);
                if (text is null || text == ChatSession.QuitCommand)
                {
                    using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await room.LeaveAsync(string.Empty, grace.Token).ConfigureAwait(false);
                    return;
                }

                Handle(text);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));
            await room.LeaveAsync("interrupted", grace.Token).ConfigureAwait(false);
            throw;
        }
    }

    private void Handle(string line)
    {
        string trimmed = line.Trim();
        if (trimmed.Length == 0)
        {
            return;
        }

        if (trimmed == "/members")
        {
            view.Members(room.DisplayName, room.Members);
        }
        else if (trimmed == "/verify" || trimmed.StartsWith("/verify ", StringComparison.Ordinal))
        {
            Verify(trimmed["/verify".Length..].Trim());
        }
        else if (trimmed == "/help")
        {
            view.Info(Help);
        }
        else if (trimmed.StartsWith("/send", StringComparison.Ordinal))
        {
            view.Info("files cannot be sent in a chat room yet: send them with 'tallow send' (or a 1:1 'tallow chat').");
        }
        else if (trimmed.StartsWith('/') && !trimmed.StartsWith("//", StringComparison.Ordinal))
        {
            view.Info($"unknown command '{trimmed.Split(' ')[0]}'. {Help}");
        }
        else
        {
            string text = line.StartsWith("//", StringComparison.Ordinal) ? line[1..] : line;
            try
            {
                if (room.Send(text) == 0)
                {
                    view.Info("no one else is in the room yet: the message was not sent.");
                }
            }
            catch (TallowException e) when (e.Kind == FailureKind.Usage)
            {
                view.Info(e.Message);
            }
        }
    }

    private void Verify(string name)
    {
        if (name.Length == 0)
        {
            view.Info("/verify NAME: say whose safety number to show (/members lists the names).");
            return;
        }

        if (room.Find(name) is RoomMember member)
        {
            view.Safety(member);
        }
        else
        {
            view.Info($"no member is called '{name}': /members lists who is here.");
        }
    }
}
