// `tallow completion bash|zsh|fish`: prints a shell completion script written from the running
// binary's own command tree (CompletionTree), so it lists exactly the commands and options this
// version has. `tallow manpage` (hidden) prints the manual page the packages install, the same way.
using System.CommandLine;
using System.Reflection;
using Tallow.Cli.Completion;
using Tallow.Crypto;

namespace Tallow.Cli.Commands;

internal static class CompletionCommand
{
    public static Command Create()
    {
        var shell = new Argument<string>("shell") { Description = "The shell to write the script for: bash, zsh or fish" };
        shell.AcceptOnlyFromAmong("bash", "zsh", "fish");
        var command = new Command("completion", "Print a shell completion script (bash: source <(tallow completion bash); zsh and fish: see README)") { shell };
        command.SetAction(result =>
        {
            CompletionNode tree = CompletionTree.Read(result.RootCommandResult.Command);
            string script = result.GetValue(shell) switch
            {
                "zsh" => ZshCompletion.Write(tree, CodePhrase.Words),
                "fish" => FishCompletion.Write(tree, CodePhrase.Words),
                _ => BashCompletion.Write(tree, CodePhrase.Words),
            };
            Console.Out.Write(script);
            return 0;
        });
        return command;
    }

    public static Command CreateManPage()
    {
        var command = new Command("manpage", "Print the tallow(1) manual page (roff)") { Hidden = true };
        command.SetAction(result =>
        {
            string version = typeof(CompletionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
            int plus = version.IndexOf('+', StringComparison.Ordinal);
            Console.Out.Write(ManPage.Write(CompletionTree.Read(result.RootCommandResult.Command), plus < 0 ? version : version[..plus]));
            return 0;
        });
        return command;
    }
}
