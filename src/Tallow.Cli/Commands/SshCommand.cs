// `tallow ssh invite` / `tallow ssh accept CODE`: hand an SSH public key to another computer's
// authorized_keys over a tallow session (issue 17; protocol.md "SSH key exchange"). This file only
// defines the commands and their options; the two sides live in Ssh/SshInvite.cs and Ssh/SshAccept.cs.
using System.CommandLine;
using Tallow.Cli.Output;
using Tallow.Cli.Ssh;

namespace Tallow.Cli.Commands;

internal static class SshCommand
{
    public static Command Create() => new("ssh", "Let someone log in with ssh: exchange a public key for authorized_keys (invite here, accept there)")
    {
        CreateInvite(),
        CreateAccept(),
    };

    private static Command CreateInvite()
    {
        var common = new CommonOptions();
        Option<int> words = common.CreateWords();
        var user = new Option<string?>("--user") { Description = "Install into this user's ~/.ssh/authorized_keys (from /etc/passwd; root only)", HelpName = "NAME" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Install the key without asking (it is still checked and shown)" };
        var verify = SafetyCheck.CreateOption();
        var command = new Command("invite", "Print a code and wait for a public key to add to ~/.ssh/authorized_keys (exit 0 installed or already there, 2 usage, 3 declined or refused, 5 file problem, 6 wrong code)")
        {
            words, user, yes, verify,
        };
        command.Options.Add(common.Code);
        common.AddTo(command);
        command.SetAction((result, ct) =>
        {
            var reporter = new Reporter(result.GetValue(common.Json), result.GetValue(common.Quiet));
            return CommandRunner.RunAsync(reporter, () =>
            {
                string? code = CodeSource.ForCreator(result.GetValue(common.Code), reporter, readEnvironment: false);
                var request = new CreateRequest("ssh accept", "SSH invite: waiting for the other side to send its public key.", result.GetValue(words), code);
                return SshInvite.RunAsync(result, common, reporter, request, result.GetValue(user), result.GetValue(yes), result.GetValue(verify), ct);
            });
        });
        return command;
    }

    private static Command CreateAccept()
    {
        var common = new CommonOptions();
        var code = new Argument<string[]>("code") { Arity = ArgumentArity.ZeroOrMore, Description = "The code the inviting side shows (none: $TALLOW_CODE, or type it when asked)" };
        var key = new Option<string?>("--key", "-k") { Description = "The public key file to send (default: the one in ~/.ssh/*.pub; asked when there are several)", HelpName = "FILE" };
        var verify = SafetyCheck.CreateOption();
        var command = new Command("accept", "Send your SSH public key to the side that ran 'tallow ssh invite' (exit 0 installed or already there, 2 usage, 3 declined or refused, 6 wrong code)")
        {
            code, key, verify,
        };
        common.AddTo(command);
        command.SetAction((result, ct) =>
        {
            var reporter = new Reporter(result.GetValue(common.Json), result.GetValue(common.Quiet));
            return CommandRunner.RunAsync(reporter, () =>
                SshAccept.RunAsync(result, common, reporter, result.GetValue(code) ?? [], result.GetValue(key), result.GetValue(verify), ct));
        });
        return command;
    }
}
