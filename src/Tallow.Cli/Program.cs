// tallow: end-to-end encrypted, post-quantum file transfer. Program stays tiny: it builds
// the command tree and maps parse errors to the usage exit code (2), worded by UsageErrors.
using System.CommandLine;
using System.CommandLine.Parsing;
using Tallow.Cli.Commands;

var root = new RootCommand("tallow: send files, folders, text and streams end-to-end encrypted with a short code phrase")
{
    SendCommand.Create(),
    ReceiveCommand.Create(),
    ChatCommand.Create(),
    ClipCommand.Create(),
    DropBoxCommand.Create(),
    SshCommand.Create(),
    SyncCommand.CreateSync(),
    SyncCommand.CreateWatch(),
    HistoryCommand.Create(),
    RelayServeCommand.Create(),
    ConfigCommand.Create(),
    DoctorCommand.Create(),
    VersionCommand.Create(),
    CompletionCommand.Create(),
    CompletionCommand.CreateManPage(),
};

HelpFooters.Install(root);

// Bare `tallow` and `tallow help [COMMAND]` show the help (UsageErrors: issue 15, item 12).
if (args.Length == 0 || args[0] == "help")
{
    args = [.. args.Skip(1), "--help"];
}

ParseResult parsed = root.Parse(args);
string? unknownOption = UnknownOption(parsed);
if (parsed.Errors.Count > 0 || unknownOption is not null)
{
    foreach (string line in UsageErrors.Describe(parsed, unknownOption))
    {
        Console.Error.WriteLine(line);
    }

    return 2;
}

CommandRunner.CommandPath = UsageErrors.CommandPath(parsed.CommandResult);
int exitCode = await parsed.InvokeAsync().ConfigureAwait(false);
Tallow.Cli.Output.JsonEvents.Flush(); // per-file events may still wait (JsonEvents)
return exitCode;

// System.CommandLine hands an unknown "--flag" to a variadic argument (send's paths, receive's
// code) as a plain value. A dash-led value before "--" is an unknown option, not a path or a word.
static string? UnknownOption(ParseResult parsed)
{
    int doubleDash = parsed.Tokens.Count;
    for (int i = 0; i < parsed.Tokens.Count; i++)
    {
        if (parsed.Tokens[i].Type == TokenType.DoubleDash)
        {
            doubleDash = i;
            break;
        }
    }

    foreach (SymbolResult child in parsed.CommandResult.Children)
    {
        if (child is not ArgumentResult argument)
        {
            continue;
        }

        foreach (Token token in argument.Tokens)
        {
            int index = -1;
            for (int i = 0; i < parsed.Tokens.Count; i++)
            {
                if (ReferenceEquals(parsed.Tokens[i], token))
                {
                    index = i;
                    break;
                }
            }

            if (token.Value.Length > 1 && token.Value[0] == '-' && index >= 0 && index < doubleDash)
            {
                return token.Value;
            }
        }
    }

    return null;
}
