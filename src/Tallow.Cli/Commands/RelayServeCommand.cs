// `tallow relay serve`: runs a relay until interrupted (SIGINT/SIGTERM close it cleanly).
// --probe-port (DESIGN.md §5.7): the NAT probe port on the --bind address; default bind port + 1
// (an ephemeral port when --bind uses port 0), 0 disables it.
// --config PATH: a TOML file with the same settings (RelayConfigFile); flags given on the command
// line override it, and it overrides $TALLOW_RELAY_PASS (RelayServeSettings).
using System.CommandLine;
using System.Net;
using Tallow.Cli.Output;
using Tallow.Protocol;
using Tallow.Relay;

namespace Tallow.Cli.Commands;

internal static class RelayServeCommand
{
    public static Command Create()
    {
        var bind = new Option<string>("--bind") { Description = "Address and port to listen on", DefaultValueFactory = _ => "0.0.0.0:4433" };
        var pass = new Option<string?>("--pass") { Description = "Require this password from clients (default: $TALLOW_RELAY_PASS)" };
        var probePort = new Option<int?>("--probe-port")
        {
            Description = "Port (on the --bind address) that answers NAT probes; default: the bind port + 1, 0 disables it",
        };
        var metrics = new Option<string?>("--metrics") { Description = "Serve Prometheus metrics on this address, e.g. 127.0.0.1:9090" };
        var maxConnections = new Option<int>("--max-connections") { DefaultValueFactory = _ => 1000, Description = "Most simultaneous connections" };
        var maxRooms = new Option<int>("--max-rooms") { DefaultValueFactory = _ => 10_000, Description = "Most simultaneous rooms" };
        var rate = new Option<double>("--rate-per-ip") { DefaultValueFactory = _ => 20, Description = "New connections per second per client address" };
        var unpaired = new Option<double>("--unpaired-timeout") { DefaultValueFactory = _ => 600, Description = "Seconds a room waits for its second peer" };
        var idle = new Option<double>("--idle-timeout") { DefaultValueFactory = _ => 1800, Description = "Seconds a paired session may stay silent" };
        var json = new Option<bool>("--json") { Description = "Print the listening addresses as a JSON event" };
        var config = new Option<string?>("--config") { Description = "Read settings from this TOML file (flags given on the command line override it)" };

        var serve = new Command("serve", "Run a relay server") { bind, probePort, pass, metrics, maxConnections, maxRooms, rate, unpaired, idle, json, config };
        serve.SetAction((result, ct) =>
        {
            var reporter = new Reporter(result.GetValue(json), quiet: false);
            return CommandRunner.RunAsync(reporter, async () =>
            {
                RelayOptions options = RelayServeSettings.Resolve(result, Environment.GetEnvironmentVariable, reporter.Warn);
                await using var server = new RelayServer(options, message => Console.Error.WriteLine($"relay: {message}"));
                try
                {
                    await server.StartAsync(ct).ConfigureAwait(false);
                }
                catch (System.Net.Sockets.SocketException ex)
                {
                    throw new TallowException(FailureKind.Network, options.ProbeBind is null
                        ? $"cannot listen on {options.Bind}: {ex.Message}. Choose another --bind address or port."
                        : $"cannot listen on {options.Bind} and its probe port {options.ProbeBind.Port}: {ex.Message}. Choose another --bind address or port, or another --probe-port (0 disables it).", ex);
                }

                reporter.Event("relay_listening", ("address", server.LocalEndPoint.ToString()), ("probe", server.ProbeEndPoint?.ToString()),
                    ("metrics", server.MetricsEndPoint?.ToString()), ("auth", options.Password is not null));
                reporter.Info($"Relay listening on {server.LocalEndPoint}{(server.ProbeEndPoint is { } pe ? $", probe port {pe.Port}" : string.Empty)}{(server.MetricsEndPoint is { } me ? $", metrics on http://{me}/metrics" : string.Empty)}{(options.Password is null ? string.Empty : ", password required")}");
                try
                {
                    await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    reporter.Info("Relay shutting down.");
                }
            });
        });
        return new Command("relay", "Relay server commands") { serve };
    }

    /// <summary>The probe listener: <paramref name="requested"/> on the bind address; null (unset) = bind port + 1, or ephemeral for port 0.</summary>
    internal static IPEndPoint? ProbeEndPoint(IPEndPoint bind, int? requested)
    {
        if (requested is int port)
        {
            if (port < 0 || port > IPEndPoint.MaxPort)
            {
                throw new TallowException(FailureKind.Usage, $"--probe-port {port} is not a port number (1-65535, or 0 to disable the probe port).");
            }

            if (port != 0 && port == bind.Port)
            {
                throw new TallowException(FailureKind.Usage, $"--probe-port {port} is the relay's own port: choose another one, or 0 to disable the probe port.");
            }

            return port == 0 ? null : new IPEndPoint(bind.Address, port);
        }

        // Default: the next port; an ephemeral one when the relay itself uses one (or has no next port).
        return new IPEndPoint(bind.Address, bind.Port is 0 or IPEndPoint.MaxPort ? 0 : bind.Port + 1);
    }

    internal static IPEndPoint ParseEndpoint(string text, string option)
    {
        if (IPEndPoint.TryParse(text, out IPEndPoint? endpoint) && endpoint.Port != 0 || text.EndsWith(":0", StringComparison.Ordinal) && IPEndPoint.TryParse(text, out endpoint))
        {
            return endpoint!;
        }

        throw new TallowException(FailureKind.Usage, $"{option} '{text}' is not an address:port such as 127.0.0.1:4433.");
    }
}
