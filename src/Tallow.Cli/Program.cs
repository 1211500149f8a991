// tallow: end-to-end encrypted, post-quantum file transfer. Program stays tiny: it builds
// the command tree and maps parse errors to the usage exit code (2).
using System.CommandLine;
using Tallow.Cli.Commands;

var root = new RootCommand("tallow: send files, folders, text and streams end-to-end encrypted with a short code phrase")
{
    SendCommand.Create(),
    ReceiveCommand.Create(),
    RelayServeCommand.Create(),
    VersionCommand.Create(),
};

ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (System.CommandLine.Parsing.ParseError error in parsed.Errors)
    {
        Console.Error.WriteLine($"error: {error.Message}");
    }

    Console.Error.WriteLine("Run 'tallow --help' for usage.");
    return 2;
}

return await parsed.InvokeAsync().ConfigureAwait(false);
