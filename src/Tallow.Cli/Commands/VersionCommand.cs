// `tallow version`: the build's version and protocol versions.
using System.CommandLine;
using System.Reflection;
using Tallow.Wire;

namespace Tallow.Cli.Commands;

internal static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print version information");
        command.SetAction(_ =>
        {
            string version = typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
            Console.WriteLine($"tallow {version} (relay protocol {RelayProtocol.Version}, handshake {HandshakeLayout.Version})");
            return 0;
        });
        return command;
    }
}
