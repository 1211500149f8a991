// `tallow chat` opens a chat and prints its code; `tallow chat CODE` joins one (DESIGN.md §12–13).
// Same relay, proxy, --no-p2p and --verify options as send and receive; files offered with
// /send land in --out (accepted with --yes, or by /accept on a terminal). `tallow chat --multi`
// opens a chat room for up to --capacity people (protocol.md "Chat rooms"); `tallow chat CODE`
// joins whichever the code belongs to.
using System.CommandLine;
using Tallow.Cli.Chat;
using Tallow.Cli.Output;
using Tallow.Crypto;
using Tallow.Net.Room;
using Tallow.Wire;

namespace Tallow.Cli.Commands;

internal static class ChatCommand
{
    private const int DefaultCapacity = 10;

    public static Command Create()
    {
        var common = new CommonOptions();
        var code = new Argument<string[]>("code") { Arity = ArgumentArity.ZeroOrMore, Description = "Join the chat with this code (none: open a new chat and print its code)" };
        Option<string> output = common.CreateOut("Folder for files the peer sends");
        var yes = new Option<bool>("--yes", "-y") { Description = "Accept files the peer offers without asking (not hidden names going into folders that exist here: see --allow-hidden)" };
        var allowHidden = new Option<bool>("--allow-hidden") { Description = "With --yes, also accept hidden names (starting with '.') going into the output folder or a folder already in it" };
        Option<int> words = common.CreateWords();
        var verify = SafetyCheck.CreateOption();
        var multi = new Option<bool>("--multi") { Description = "Open a chat room for several people (they join with tallow chat CODE)" };
        var capacity = new Option<int>("--capacity") { DefaultValueFactory = _ => DefaultCapacity, Description = $"With --multi: most people in the room, you included ({RoomProtocol.MinCapacity}-{RelayProtocol.MaxRoomCapacity})" };
        var name = new Option<string?>("--name") { Description = "In a chat room: the name the others see (default: your user name)" };
        var command = new Command("chat", "Chat with one peer (and send files), or in a room of up to 20, over end-to-end encrypted sessions") { code, output, yes, allowHidden, words, verify, multi, capacity, name };
        command.Options.Add(common.Code);
        common.AddTo(command);
        command.SetAction((result, ct) =>
        {
            bool interactive = !result.GetValue(common.Json) && TerminalChatView.Available;
            var reporter = new Reporter(json: !interactive, result.GetValue(common.Quiet));
            string joinCode = string.Join('-', result.GetValue(code) ?? []);
            return CommandRunner.RunAsync(reporter, async () =>
            {
                RoomSettings? room = RoomSettings.From(result, multi, capacity, name, joinCode.Length > 0);
                if (result.GetValue(multi))
                {
                    await using OpenRoom created = await SessionSetup.CreateChatRoomAsync(result, common, reporter, RoomRequest(result, common, reporter, result.GetValue(words), room!.Capacity), room.Capacity, ct).ConfigureAwait(false);
                    await RunRoomAsync(created, room, reporter, interactive, ct).ConfigureAwait(false);
                    return;
                }

                OpenSession session;
                if (joinCode.Length > 0)
                {
                    SessionSetup.Joined joined = await SessionSetup.JoinChatAsync(result, common, reporter, joinCode, result.GetValue(verify), ct).ConfigureAwait(false);
                    if (joined.Room is OpenRoom entered)
                    {
                        await using (entered)
                        {
                            await RunRoomAsync(entered, room!, reporter, interactive, ct).ConfigureAwait(false);
                        }

                        return;
                    }

                    session = joined.Session!;
                }
                else
                {
                    session = await SessionSetup.CreateAsync(result, common, reporter, OpenRequest(result, common, reporter, result.GetValue(words)), result.GetValue(verify), ct).ConfigureAwait(false);
                }

                await using OpenSession disposing = session;
                var options = new ChatOptions(common.ResolveOut(result), result.GetValue(yes), interactive, result.GetValue(allowHidden));
                Tallow.Protocol.Records.RateLimiter? throttle = common.ResolveThrottle(result);
                await session.UpgradeAsync(reporter, bytesLeft: null, ct).ConfigureAwait(false); // a chat lasts: always worth a direct path
                session.Records.Channel.SendThrottle = throttle; // --throttle limits what this side sends and what it takes in
                session.Records.Port(Tallow.Wire.RecordGroup.IncomingTransfer).ReceiveThrottle = throttle;
                using IChatView view = interactive ? new TerminalChatView() : new JsonChatView(reporter);
                if (interactive)
                {
                    reporter.Lines = view.Info; // later P2P news (a fallback, a new direct path) is printed above the input line
                }

                try
                {
                    await new ChatSession(session, view, options).RunAsync(ct).ConfigureAwait(false);
                }
                finally
                {
                    reporter.Lines = null;
                }
            });
        });
        return command;
    }

    /// <summary>Runs a chat room on its open connection until this side leaves; the code is handed to ChatRoom and zeroed here.</summary>
    private static async Task RunRoomAsync(OpenRoom open, RoomSettings settings, Reporter reporter, bool interactive, CancellationToken ct)
    {
        byte[] password = System.Text.Encoding.UTF8.GetBytes(open.Code);
        IRoomView view = interactive ? new TerminalChatView() : new JsonChatView(reporter);
        try
        {
            await using var room = new ChatRoom(open.Connection, password, settings.Name, view);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(password);
            await room.EnteredAsync(ct).ConfigureAwait(false);
            reporter.Event("peer_connected");
            await new RoomChatSession(room, view).RunAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(password);
            view.Dispose();
        }
    }

    private static CreateRequest RoomRequest(System.CommandLine.ParseResult result, CommonOptions common, Reporter reporter, int words, int capacity) =>
        new("chat", $"Chat room opened for up to {capacity} people: others join with the command below, while you are in the room.", words,
            CodeSource.ForCreator(result.GetValue(common.Code), reporter, readEnvironment: false));

    private static CreateRequest OpenRequest(System.CommandLine.ParseResult result, CommonOptions common, Reporter reporter, int words) =>
        new("chat", "Chat opened: waiting for the other side to join.", words, CodeSource.ForCreator(result.GetValue(common.Code), reporter, readEnvironment: false));
}
