// Target "relay-config": the relay's TOML config file (`tallow relay serve --config`), decoded
// as File.ReadAllText would, through RelayConfigFile.Parse and then RelayServeSettings.Resolve
// with no flags given, as `relay serve` does. Documented rejection: TallowException (usage).
using System.CommandLine;
using System.Text;
using Tallow.Cli.Commands;
using Tallow.Protocol;

namespace Tallow.Fuzz.Targets.Cli;

public static class RelayConfigTarget
{
    public static readonly FuzzTarget RelayConfig = new("relay-config", "RelayConfigFile.Parse, RelayServeSettings.Resolve", Fuzz, Seeds);

    private static readonly ParseResult NoFlags = new RootCommand { RelayServeCommand.Create() }.Parse(["relay", "serve"]);

    public static void Fuzz(ReadOnlySpan<byte> data)
    {
        string text;
        using (var reader = new StreamReader(new MemoryStream(data.ToArray()), Encoding.UTF8, detectEncodingFromByteOrderMarks: true))
        {
            text = reader.ReadToEnd();
        }

        try
        {
            RelayConfigFile file = RelayConfigFile.Parse(text, "fuzz.toml");
            _ = RelayServeSettings.Resolve(NoFlags, file, _ => null, _ => { });
        }
        catch (TallowException e)
        {
            FuzzInvariantException.Check(e.Kind == FailureKind.Usage, "relay config: a refusal that is not a usage error");
        }
    }

    public static IEnumerable<byte[]> Seeds()
    {
        yield return """
            # Tallow relay settings
            bind = "0.0.0.0:4433"
            metrics = "127.0.0.1:9090"
            max-connections = 1000       # simultaneous connections
            max-rooms = 10000
            rate-per-ip = 20.5
            unpaired-timeout = 600
            idle-timeout = 1800
            probe-port = 4434
            tls = true
            cert = "/etc/tallow/cert.pem"
            key = "/etc/tallow/key.pem"
            pass = "change-me"
            """u8.ToArray();
        yield return "bind = '[::1]:5000'\n\"max-rooms\" = 5\n[table]\nx = 1\n"u8.ToArray();
        yield return "idle-timeout = 1e300\nrate-per-ip = inf\nmax-rooms = 99999999999\n"u8.ToArray();
    }
}
