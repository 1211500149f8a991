// Extra lines at the end of one command's --help (clip: where the clipboard comes from and the
// exit codes), written after System.CommandLine's own help, so the command list of
// `tallow --help` keeps one short line per command. Program installs it on the root's help option.
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Tallow.Cli.Commands;

internal sealed class HelpFooters(HelpAction inner) : SynchronousCommandLineAction
{
    private static readonly Dictionary<string, string> Footers = new(StringComparer.Ordinal);

    /// <summary>Registers <paramref name="footer"/> for the top-level command <paramref name="name"/>.</summary>
    public static void Add(string name, string footer) => Footers[name] = footer;

    /// <summary>Wraps the root's help action (once).</summary>
    public static void Install(RootCommand root)
    {
        HelpOption help = root.Options.OfType<HelpOption>().Single();
        if (help.Action is HelpAction action)
        {
            help.Action = new HelpFooters(action);
        }
    }

    public override int Invoke(ParseResult parseResult)
    {
        int exitCode = inner.Invoke(parseResult);
        Command command = parseResult.CommandResult.Command;
        if (command.Parents.OfType<RootCommand>().Any() && Footers.TryGetValue(command.Name, out string? footer))
        {
            parseResult.InvocationConfiguration.Output.WriteLine(footer);
            parseResult.InvocationConfiguration.Output.WriteLine();
        }

        return exitCode;
    }
}
