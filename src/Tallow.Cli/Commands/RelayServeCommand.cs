// `tallow relay serve`: runs a relay until interrupted (SIGINT/SIGTERM close it cleanly).
// --probe-port (DESIGN.md §5.7): the NAT probe port on the --bind address; default bind port + 1
// (an ephemeral port when --bind uses port 0), 0 disables it.
// --tls (DESIGN.md §5.8): TLS on the main port with --cert/--key (PEM; --cert implies --tls) or
// a self-signed certificate made at start (saved with --cert-out DIR); its SHA-256 fingerprint
// is printed for clients to pin with --relay-fingerprint.
// --config PATH: a TOML file with the same settings (RelayConfigFile); flags given on the command
// line override it, and it overrides $TALLOW_RELAY_PASS (RelayServeSettings).
// Per-address limits (--max-connections-per-ip, --max-unpaired-per-ip, --max-failed-claims with
// --failed-claim-window/--failed-claim-block) take their defaults from RelayOptions, where the
// reasoning behind each default is written. Chat rooms (docs/protocol.md "Chat rooms"): --room-capacity
// caps their members, --room-rate/--room-burst pace each member's frames.
// --web ADDR (issue 19): also serve the browser page and its WebSocket endpoint there (HTTPS with
// the relay's certificate under --tls); --web-root DIR serves that directory instead of the page
// embedded in the binary.
using System.CommandLine;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tallow.Cli.Output;
using Tallow.Protocol;
using Tallow.Relay;
using Tallow.Wire;

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
        var web = new Option<string?>("--web")
        {
            HelpName = "ADDR",
            Description = "Serve the browser page and its WebSocket endpoint on this address, e.g. [::]:443 (HTTPS with --tls/--cert)",
        };
        var webRoot = new Option<string?>("--web-root")
        {
            HelpName = "FOLDER",
            Description = "With --web: serve the page from this folder instead of the copy built into tallow (self-hosting, development)",
        };
        var maxConnections = new Option<int>("--max-connections") { DefaultValueFactory = _ => 1000, Description = "Most simultaneous connections" };
        var maxRooms = new Option<int>("--max-rooms") { DefaultValueFactory = _ => 10_000, Description = "Most simultaneous rooms" };
        var rate = new Option<double>("--rate-per-ip") { DefaultValueFactory = _ => 20, Description = "New connections per second per client address" };
        var perIp = new Option<int>("--max-connections-per-ip")
        {
            DefaultValueFactory = _ => RelayOptions.DefaultMaxConnectionsPerAddress,
            Description = "Most simultaneous connections from one client address (IPv6: one /64); 0 = no limit",
        };
        var unpairedPerIp = new Option<int>("--max-unpaired-per-ip")
        {
            DefaultValueFactory = _ => RelayOptions.DefaultMaxUnpairedRoomsPerAddress,
            Description = "Most rooms waiting for their peer created from one client address; 0 = no limit",
        };
        var failedClaims = new Option<int>("--max-failed-claims")
        {
            DefaultValueFactory = _ => RelayOptions.DefaultMaxFailedClaimsPerAddress,
            Description = "Failed claims (unknown or full code number, wrong password) from one address within --failed-claim-window before its claims are refused for --failed-claim-block; 0 = no limit",
        };
        var failedWindow = new Option<double>("--failed-claim-window")
        {
            DefaultValueFactory = _ => RelayOptions.DefaultFailedClaimWindow.TotalSeconds,
            Description = "Seconds in which --max-failed-claims are counted",
        };
        var failedBlock = new Option<double>("--failed-claim-block")
        {
            DefaultValueFactory = _ => RelayOptions.DefaultFailedClaimBlock.TotalSeconds,
            Description = "Seconds an address's claims are refused after --max-failed-claims failures",
        };
        var roomCapacity = new Option<int>("--room-capacity")
        {
            DefaultValueFactory = _ => RelayProtocol.MaxRoomCapacity,
            Description = $"Most members of one chat room (tallow chat --multi), 3-{RelayProtocol.MaxRoomCapacity}; 2 serves no chat rooms",
        };
        var roomRate = new Option<double>("--room-rate")
        {
            DefaultValueFactory = _ => RelayOptions.DefaultRoomFramesPerSecond,
            Description = "Frames per second one chat-room member may send (faster ones are read more slowly, nothing is dropped); 0 = no limit",
        };
        var roomBurst = new Option<int>("--room-burst")
        {
            DefaultValueFactory = _ => RelayOptions.DefaultRoomFrameBurst,
            Description = "Frames a chat-room member may send in a burst above --room-rate",
        };
        var unpaired = new Option<double>("--unpaired-timeout") { DefaultValueFactory = _ => 600, Description = "Seconds a room waits for its second peer" };
        var idle = new Option<double>("--idle-timeout") { DefaultValueFactory = _ => 1800, Description = "Seconds a paired session may stay silent" };
        var json = new Option<bool>("--json") { Description = "Print the listening addresses as a JSON event" };
        var tls = new Option<bool>("--tls") { Description = "Serve TLS on the main port (a self-signed certificate unless --cert is given); clients use --relay tls://host:port" };
        var cert = new Option<string?>("--cert") { HelpName = "FILE", Description = "TLS certificate (PEM) to serve; implies --tls; needs --key" };
        var key = new Option<string?>("--key") { HelpName = "FILE", Description = "Private key (PEM) of --cert" };
        var certOut = new Option<string?>("--cert-out") { HelpName = "FOLDER", Description = "Save the self-signed certificate as relay.crt and relay.key in this directory (reuse them with --cert/--key)" };
        var config = new Option<string?>("--config") { HelpName = "FILE", Description = "Read settings from this TOML file (flags given on the command line override it)" };

        var serve = new Command("serve", "Run a relay server")
        {
            bind, probePort, pass, metrics, web, webRoot, maxConnections, maxRooms, rate, perIp, unpairedPerIp, failedClaims, failedWindow, failedBlock,
            roomCapacity, roomRate, roomBurst, unpaired, idle, tls, cert, key, certOut, json, config,
        };
        serve.SetAction((result, ct) =>
        {
            var reporter = new Reporter(result.GetValue(json), quiet: false);
            return CommandRunner.RunAsync(reporter, async () =>
            {
                string? configPath = result.GetValue(config);
                RelayConfigFile file = configPath is null ? new RelayConfigFile() : RelayConfigFile.Load(configPath);
                RelayOptions settings = RelayServeSettings.Resolve(result, file, Environment.GetEnvironmentVariable, reporter.Warn);
                using X509Certificate2? certificate = LoadCertificate(
                    result.GetValue(tls) || file.Tls == true,
                    result.GetValue(cert) ?? file.Cert,
                    result.GetValue(key) ?? file.Key,
                    result.GetValue(certOut),
                    settings.Bind.Address);
                RelayOptions options = settings with { TlsCertificate = certificate };
                await using var server = new RelayServer(options, message => Console.Error.WriteLine(message.StartsWith("relay:", StringComparison.Ordinal) ? message : $"relay: {message}"));
                try
                {
                    await server.StartAsync(ct).ConfigureAwait(false);
                }
                catch (DirectoryNotFoundException ex)
                {
                    throw new TallowException(FailureKind.Usage, $"--web-root: {ex.Message}.", ex);
                }
                catch (System.Net.Sockets.SocketException ex)
                {
                    string web = options.WebBind is null ? string.Empty : $" (or the --web address {options.WebBind})";
                    throw new TallowException(FailureKind.Network, options.ProbeBind is null
                        ? $"cannot listen on {options.Bind}{web}: {ex.Message}. Choose another --bind address or port."
                        : $"cannot listen on {options.Bind} and its probe port {options.ProbeBind.Port}{web}: {ex.Message}. Choose another --bind address or port, or another --probe-port (0 disables it).", ex);
                }

                reporter.Event("relay_listening", ("address", server.LocalEndPoint.ToString()), ("probe", server.ProbeEndPoint?.ToString()),
                    ("metrics", server.MetricsEndPoint?.ToString()), ("auth", options.Password is not null),
                    ("tls", certificate is not null), ("fingerprint", server.TlsFingerprint), ("web", server.WebEndPoint?.ToString()));
                reporter.Info($"Relay listening on {(certificate is null ? string.Empty : "tls://")}{server.LocalEndPoint}{(server.ProbeEndPoint is { } pe ? $", probe port {pe.Port}" : string.Empty)}{(server.MetricsEndPoint is { } me ? $", metrics on http://{me}/metrics" : string.Empty)}{(options.Password is null ? string.Empty : ", password required")}");
                if (server.TlsFingerprint is { } fingerprint)
                {
                    reporter.Info($"TLS certificate SHA-256 fingerprint: {fingerprint}");
                }

                if (server.WebEndPoint is { } webEndPoint)
                {
                    reporter.Info($"Web page on {(certificate is null ? "http" : "https")}://{webEndPoint}/"
                        + (options.WebRoot is null ? string.Empty : $" (from {options.WebRoot})")
                        + (certificate is null && !webEndPoint.Address.Equals(IPAddress.Loopback) && !webEndPoint.Address.Equals(IPAddress.IPv6Loopback)
                            ? "; browsers need HTTPS off localhost: add --tls (or --cert/--key)" : string.Empty));
                }

                if (server.WebEndPoint is not null && options.WebRoot is null && !RelayServer.HasEmbeddedPage)
                {
                    reporter.Warn("this tallow was built without the web page (web/dist was empty): the page answers 404 until you build it (web/build.sh) or give --web-root; the WebSocket endpoint works.");
                }
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

    /// <summary>The certificate to serve TLS with, or null for a plaintext relay.</summary>
    private static X509Certificate2? LoadCertificate(bool tls, string? certPath, string? keyPath, string? certOut, IPAddress bind)
    {
        if (certPath is null != (keyPath is null))
        {
            throw new TallowException(FailureKind.Usage, "--cert and --key go together: give the certificate and its private key (PEM files).");
        }

        if (certPath is not null)
        {
            if (certOut is not null)
            {
                throw new TallowException(FailureKind.Usage, "--cert-out saves a self-signed certificate: it cannot be combined with --cert.");
            }

            try
            {
                return RelayCertificate.LoadPem(certPath, keyPath!);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                throw new TallowException(FailureKind.FileSystem, $"cannot load the TLS certificate {certPath} with key {keyPath}: {e.Message}", e);
            }
        }

        if (!tls)
        {
            return certOut is null ? null : throw new TallowException(FailureKind.Usage, "--cert-out needs --tls.");
        }

        X509Certificate2 created = RelayCertificate.CreateSelfSigned(bind, TimeProvider.System);
        if (certOut is not null)
        {
            try
            {
                Directory.CreateDirectory(certOut);
                RelayCertificate.SavePem(created, Path.Combine(certOut, "relay.crt"), Path.Combine(certOut, "relay.key"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                created.Dispose();
                throw new TallowException(FailureKind.FileSystem, $"cannot save the certificate in {certOut}: {e.Message}", e);
            }
        }

        return created;
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
