// `send` options that choose what leaves a folder and whether anything is sent at all
// (DESIGN.md §12): --exclude GLOB (repeatable, gitignore syntax, relative to each folder named),
// --git (skip .git, honour .gitignore and info/exclude) and --dry-run (list, connect to nothing).
using System.CommandLine;
using Tallow.Protocol;
using Tallow.Protocol.Transfer.Selection;

namespace Tallow.Cli.Commands;

internal sealed class SendSelectionOptions
{
    public Option<string[]> Exclude { get; } = new("--exclude")
    {
        Description = "Leave out of folders what matches this gitignore-style pattern, relative to each folder sent (repeatable; '!' re-includes)",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<bool> Git { get; } = new("--git") { Description = "Leave out .git folders and what .gitignore files and .git/info/exclude ignore" };

    public Option<bool> DryRun { get; } = new("--dry-run") { Description = "List what would be sent, with sizes, and exit without connecting" };

    public void AddTo(Command command)
    {
        command.Options.Add(Exclude);
        command.Options.Add(Git);
        command.Options.Add(DryRun);
    }

    /// <summary>The parsed selection; a bad pattern is a usage error.</summary>
    public SendSelection Resolve(ParseResult result)
    {
        string[] patterns = result.GetValue(Exclude) ?? [];
        if (!PathFilter.TryCreate(patterns, result.GetValue(Git), out PathFilter? filter, out string error))
        {
            throw new TallowException(FailureKind.Usage, error + " Quote it so the shell leaves it alone, and escape [ ] * ? ! with '\\' to match them literally.");
        }

        return new SendSelection(filter!, result.GetValue(DryRun));
    }
}

internal sealed record SendSelection(PathFilter Filter, bool DryRun)
{
    /// <summary>--exclude and --git choose files inside folders: they make no sense for --text or stdin.</summary>
    public void CheckApplicable(bool sendingFiles)
    {
        if (!sendingFiles && !Filter.IsEmpty)
        {
            throw new TallowException(FailureKind.Usage, "--exclude and --git choose files inside folders: name a folder to send, or leave them out with --text and stdin.");
        }
    }
}
