// Options shared by the commands that talk to a peer (DESIGN.md §12), and how they resolve
// against the environment (TALLOW_RELAY, TALLOW_RELAY_PASS).
using System.CommandLine;
using Tallow.Net.Session;
using Tallow.Protocol;

namespace Tallow.Cli.Commands;

internal sealed class CommonOptions
{
    public Option<string?> Relay { get; } = new("--relay") { Description = "Relay address host:port (default: $TALLOW_RELAY; the sender starts its own relay when none is set)" };

    public Option<string?> RelayPass { get; } = new("--relay-pass") { Description = "Password of the relay (default: $TALLOW_RELAY_PASS)" };

    public Option<string?> Code { get; } = new("--code") { Description = "Use this code phrase instead of a generated one" };

    public Option<bool> Json { get; } = new("--json") { Description = "Print one JSON event per line on stdout" };

    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "Print only results and errors" };

    public void AddTo(Command command)
    {
        command.Options.Add(Relay);
        command.Options.Add(RelayPass);
        command.Options.Add(Json);
        command.Options.Add(Quiet);
    }

    /// <summary>The relay to use, or null when none is configured.</summary>
    public RelayAddress? ResolveRelay(ParseResult result)
    {
        string? text = result.GetValue(Relay) ?? Environment.GetEnvironmentVariable("TALLOW_RELAY");
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (!RelayAddress.TryParse(text, out RelayAddress address))
        {
            throw new TallowException(FailureKind.Usage, $"'{text}' is not a relay address: use host:port, e.g. relay.example.org:4433.");
        }

        return address;
    }

    public string? ResolvePassword(ParseResult result)
    {
        string? pass = result.GetValue(RelayPass) ?? Environment.GetEnvironmentVariable("TALLOW_RELAY_PASS");
        return string.IsNullOrEmpty(pass) ? null : pass;
    }
}
