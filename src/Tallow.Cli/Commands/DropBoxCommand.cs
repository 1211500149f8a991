// `tallow drop-box [--out DIR] [--max N] [--expire DURATION] [--max-failures N] [--max-senders N]`:
// a receiver that stays up and takes transfers from several senders (`tallow send FILES --to`),
// one after another or at the same time, all with one long code printed once (DropBoxHost).
using System.CommandLine;
using Tallow.Cli.DropBox;
using Tallow.Cli.Output;
using Tallow.Protocol;

namespace Tallow.Cli.Commands;

internal static class DropBoxCommand
{
    private const string HelpFooter = """
        Senders:
          tallow send FILES --to         the code from $TALLOW_CODE, else asked for (or --to CODE)
          each transfer lands in OUT/<UTC yyyyMMdd-HHmmss>-<sender>; hidden top-level names are refused

        Exit codes:
          0    --max transfers received, or --expire passed
          2    usage
          4    the relay could not be reached again for 10 minutes
          5    the folder cannot be written
          6    --max-failures attempts with a wrong code: someone may be guessing it
          130  Ctrl-C (senders still sending are told)
        """;

    public static Command Create()
    {
        var common = new CommonOptions();
        HelpFooters.Add("drop-box", HelpFooter);
        Option<string> output = common.CreateOut("Folder the transfers land in, each in its own new folder named by the time and the sender");
        var max = new Option<int>("--max") { HelpName = "N", Description = "Stop after N transfers were received (default: no limit)" };
        var expire = new Option<string?>("--expire") { HelpName = "DURATION", Description = "Stop after this long: 90s, 30m, 2h, 1d, 1h30m (default: no limit)" };
        var maxFailures = new Option<int>("--max-failures") { HelpName = "N", DefaultValueFactory = _ => DropBoxSettings.DefaultMaxFailures, Description = "Stop after N attempts with a wrong code (someone guessing it)" };
        var maxSenders = new Option<int>("--max-senders") { HelpName = "N", DefaultValueFactory = _ => DropBoxSettings.DefaultMaxSenders, Description = "Senders served at the same time (more are told the drop box is full)" };
        var words = new Option<int>("--words") { DefaultValueFactory = _ => DropBoxSettings.MinWords, Description = $"Words in the code ({DropBoxSettings.MinWords} or more: the code stays valid for the drop box's lifetime)" };
        var command = new Command("drop-box", "Receive transfers from several senders (tallow send FILES --to) with one long code, until stopped")
        {
            output, max, expire, maxFailures, maxSenders, words,
        };
        common.AddTo(command);
        command.SetAction((result, ct) =>
        {
            var reporter = new Reporter(result.GetValue(common.Json), result.GetValue(common.Quiet));
            return CommandRunner.RunAsync(reporter, async () =>
            {
                DropBoxSettings settings = DropBoxSettings.Create(common.ResolveOut(result), result.GetValue(max), result.GetValue(expire), result.GetValue(maxFailures), result.GetValue(maxSenders))
                    with { Throttle = common.ResolveThrottle(result) };
                int wordCount = result.GetValue(words);
                if (wordCount < DropBoxSettings.MinWords)
                {
                    throw new TallowException(FailureKind.Usage, $"--words must be {DropBoxSettings.MinWords} or more for a drop box: its code can be tried for as long as it runs.");
                }

                Directory.CreateDirectory(settings.OutRoot);
                OutputFolderCheck.EnsureWritable(settings.OutRoot);
                var request = new CreateRequest("send FILES --to", $"Drop box open: transfers land in '{settings.OutRoot}'.", wordCount, JoinerAsksForCode: true);
                await using OpenRoom room = await SessionSetup.CreateChatRoomAsync(result, common, reporter, request, settings.Capacity, ct).ConfigureAwait(false);
                byte[] password = System.Text.Encoding.UTF8.GetBytes(room.Code);
                try
                {
                    reporter.Event("dropbox_open", ("code", room.Code), ("out", settings.OutRoot), ("max_senders", settings.MaxSenders));
                    uint nameplate = room.Connection.Nameplate;
                    room.PermitReopen();
                    Func<CancellationToken, Task<Tallow.Net.Room.RoomConnection>> reopen =
                        token => SessionSetup.ReopenRoutingRoomAsync(result, common, room.EmbeddedRelay, nameplate, settings.Capacity, token);
                    await new DropBoxHost(room.Connection, password, settings, reporter, reopen).RunAsync(ct).ConfigureAwait(false);
                }
                finally
                {
                    System.Security.Cryptography.CryptographicOperations.ZeroMemory(password);
                }
            });
        });
        return command;
    }
}
