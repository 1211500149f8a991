// `tallow relay serve`: runs a relay until interrupted (SIGINT/SIGTERM close it cleanly).
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
        var metrics = new Option<string?>("--metrics") { Description = "Serve Prometheus metrics on this address, e.g. 127.0.0.1:9090" };
        var maxConnections = new Option<int>("--max-connections") { DefaultValueFactory = _ => 1000, Description = "Most simultaneous connections" };
        var maxRooms = new Option<int>("--max-rooms") { DefaultValueFactory = _ => 10_000, Description = "Most simultaneous rooms" };
        var rate = new Option<double>("--rate-per-ip") { DefaultValueFactory = _ => 20, Description = "New connections per second per client address" };
        var unpaired = new Option<double>("--unpaired-timeout") { DefaultValueFactory = _ => 600, Description = "Seconds a room waits for its second peer" };
        var idle = new Option<double>("--idle-timeout") { DefaultValueFactory = _ => 1800, Description = "Seconds a paired session may stay silent" };
        var json = new Option<bool>("--json") { Description = "Print the listening addresses as a JSON event" };

        var serve = new Command("serve", "Run a relay server") { bind, pass, metrics, maxConnections, maxRooms, rate, unpaired, idle, json };
        serve.SetAction((result, ct) =>
        {
            var reporter = new Reporter(result.GetValue(json), quiet: false);
            return CommandRunner.RunAsync(reporter, async () =>
            {
                var options = new RelayOptions
                {
                    Bind = ParseEndpoint(result.GetValue(bind)!, "--bind"),
                    Password = result.GetValue(pass) ?? NullIfEmpty(Environment.GetEnvironmentVariable("TALLOW_RELAY_PASS")),
                    MetricsBind = result.GetValue(metrics) is string m ? ParseEndpoint(m, "--metrics") : null,
                    MaxConnections = result.GetValue(maxConnections),
                    MaxRooms = result.GetValue(maxRooms),
                    ConnectionsPerSecondPerIp = result.GetValue(rate),
                    UnpairedTimeout = TimeSpan.FromSeconds(result.GetValue(unpaired)),
                    IdleTimeout = TimeSpan.FromSeconds(result.GetValue(idle)),
                };
                await using var server = new RelayServer(options, message => Console.Error.WriteLine($"relay: {message}"));
                try
                {
                    await server.StartAsync(ct).ConfigureAwait(false);
                }
                catch (System.Net.Sockets.SocketException ex)
                {
                    throw new TallowException(FailureKind.Network, $"cannot listen on {options.Bind}: {ex.Message}. Choose another --bind address or port.", ex);
                }

                reporter.Event("relay_listening", ("address", server.LocalEndPoint.ToString()), ("metrics", server.MetricsEndPoint?.ToString()), ("auth", options.Password is not null));
                reporter.Info($"Relay listening on {server.LocalEndPoint}{(server.MetricsEndPoint is { } me ? $", metrics on http://{me}/metrics" : string.Empty)}{(options.Password is null ? string.Empty : ", password required")}");
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

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static IPEndPoint ParseEndpoint(string text, string option)
    {
        if (IPEndPoint.TryParse(text, out IPEndPoint? endpoint) && endpoint.Port != 0 || text.EndsWith(":0", StringComparison.Ordinal) && IPEndPoint.TryParse(text, out endpoint))
        {
            return endpoint!;
        }

        throw new TallowException(FailureKind.Usage, $"{option} '{text}' is not an address:port such as 127.0.0.1:4433.");
    }
}
