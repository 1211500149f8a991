// `tallow chat` opens a chat and prints its code; `tallow chat CODE` joins one (DESIGN.md §12–13).
// Same relay, proxy, --no-p2p and --verify options as send and receive; files offered with
// /send land in --out (accepted with --yes, or by /accept on a terminal).
using System.CommandLine;
using Tallow.Cli.Chat;
using Tallow.Cli.Output;
using Tallow.Crypto;

namespace Tallow.Cli.Commands;

internal static class ChatCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var code = new Argument<string[]>("code") { Arity = ArgumentArity.ZeroOrMore, Description = "Join the chat with this code (none: open a new chat and print its code)" };
        Option<string> output = common.CreateOut("Folder for files the peer sends");
        var yes = new Option<bool>("--yes", "-y") { Description = "Accept files the peer offers without asking (not hidden names going into folders that exist here: see --allow-hidden)" };
        var allowHidden = new Option<bool>("--allow-hidden") { Description = "With --yes, also accept hidden names (starting with '.') going into the output folder or a folder already in it" };
        Option<int> words = common.CreateWords();
        var verify = SafetyCheck.CreateOption();
        var command = new Command("chat", "Chat with one peer (and send files) over an end-to-end encrypted session") { code, output, yes, allowHidden, words, verify };
        command.Options.Add(common.Code);
        common.AddTo(command);
        command.SetAction((result, ct) =>
        {
            bool interactive = !result.GetValue(common.Json) && TerminalChatView.Available;
            var reporter = new Reporter(json: !interactive, result.GetValue(common.Quiet));
            string joinCode = string.Join('-', result.GetValue(code) ?? []);
            return CommandRunner.RunAsync(reporter, async () =>
            {
                var options = new ChatOptions(common.ResolveOut(result), result.GetValue(yes), interactive, result.GetValue(allowHidden));
                Tallow.Protocol.Records.RateLimiter? throttle = common.ResolveThrottle(result);
                await using OpenSession session = joinCode.Length > 0
                    ? await SessionSetup.JoinAsync(result, common, reporter, joinCode, result.GetValue(verify), ct).ConfigureAwait(false)
                    : await SessionSetup.CreateAsync(result, common, reporter, OpenRequest(result, common, reporter, result.GetValue(words)), result.GetValue(verify), ct).ConfigureAwait(false);
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

    private static CreateRequest OpenRequest(System.CommandLine.ParseResult result, CommonOptions common, Reporter reporter, int words) =>
        new("chat", "Chat opened: waiting for the other side to join.", words, CodeSource.ForCreator(result.GetValue(common.Code), reporter, readEnvironment: false));
}
