// Options shared by the commands that talk to a peer (DESIGN.md §12), and how they resolve
// against the environment (TALLOW_RELAY, TALLOW_RELAY_PASS, TALLOW_RELAY_FINGERPRINT, TALLOW_PROXY).
// A proxy (--proxy, --tor; DESIGN.md §11) always turns P2P off on this side. --throttle limits
// what this side sends (send) or reads (receive); see ByteRate and RateLimiter.
using System.CommandLine;
using Tallow.Net.Proxy;
using Tallow.Net.Session;
using Tallow.Protocol;
using Tallow.Protocol.Records;
using Tallow.Wire;

namespace Tallow.Cli.Commands;

internal sealed class CommonOptions
{
    public Option<string?> Relay { get; } = new("--relay") { Description = "Relay address host:port, or tls://host:port for TLS (default: $TALLOW_RELAY; the sender starts its own relay when none is set)" };

    public Option<string?> RelayFingerprint { get; } = new("--relay-fingerprint")
    {
        Description = "SHA-256 fingerprint of a tls:// relay's certificate, as the relay prints it; replaces the system trust store (default: $TALLOW_RELAY_FINGERPRINT)",
    };

    public Option<string?> RelayPass { get; } = new("--relay-pass") { Description = "Password of the relay (default: $TALLOW_RELAY_PASS)" };

    public Option<string?> Code { get; } = new("--code") { Description = "Use this code phrase instead of a generated one" };

    public Option<bool> Json { get; } = new("--json") { Description = "Print one JSON event per line on stdout" };

    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "Print only results and errors" };

    public Option<bool> NoP2P { get; } = new("--no-p2p") { Description = "Never connect directly to the peer: no local address is sent, everything goes through the relay" };

    public Option<string?> Proxy { get; } = new("--proxy") { Description = "Reach the relay through a SOCKS5 proxy: socks5://[user:pass@]host:port (default: $TALLOW_PROXY); turns P2P off, names are resolved by the proxy" };

    public Option<bool> Tor { get; } = new("--tor") { Description = "Reach the relay through Tor (SOCKS5 at 127.0.0.1:9050); turns P2P off" };

    public Option<string?> Throttle { get; } = new("--throttle")
    {
        Description = "Limit the transfer to RATE per second, e.g. 10MB, 5MiB, 500KB or 100Mbit (KB/MB/GB = 1000^n bytes, KiB/MiB/GiB = 1024^n, bit/bps = bits)",
        HelpName = "RATE",
    };

    public Option<bool> NoHistory { get; } = new("--no-history") { Description = "Do not record this transfer in the local history ('tallow history'; also TALLOW_NO_HISTORY=1)" };

    public Option<double> P2PTimeout { get; } = new("--p2p-timeout") { Description = "Seconds the direct connection attempt may take in all", DefaultValueFactory = _ => 10 };

    public Option<double> P2PCandidateTimeout { get; } = new("--p2p-candidate-timeout") { Description = "Seconds each peer address is tried", DefaultValueFactory = _ => 5 };

    public Option<int> P2PTtl { get; } = new("--p2p-ttl") { Description = "TTL of the first SYN toward a NAT-mapped address (0: normal TTL)", DefaultValueFactory = _ => 2, Hidden = true };

    public void AddTo(Command command)
    {
        command.Options.Add(Relay);
        command.Options.Add(RelayPass);
        command.Options.Add(RelayFingerprint);
        command.Options.Add(Json);
        command.Options.Add(Quiet);
        command.Options.Add(NoP2P);
        command.Options.Add(Proxy);
        command.Options.Add(Tor);
        command.Options.Add(Throttle);
        command.Options.Add(P2PTimeout);
        command.Options.Add(P2PCandidateTimeout);
        command.Options.Add(P2PTtl);
    }

    /// <summary>--no-history, for the commands that move content (send, receive, sync, watch), and its effect once parsed.</summary>
    public void AddHistoryTo(Command command) => command.Options.Add(NoHistory);

    public void ApplyHistory(ParseResult result) => History.HistorySettings.DisabledByFlag = result.GetValue(NoHistory);

    /// <summary>Session options for <paramref name="relay"/> with this command line's P2P settings.</summary>
    public SessionOptions SessionOptions(ParseResult result, RelayAddress relay, string? password)
    {
        double overall = result.GetValue(P2PTimeout);
        double perCandidate = result.GetValue(P2PCandidateTimeout);
        int ttl = result.GetValue(P2PTtl);
        if (overall is <= 0 or > 600 || perCandidate is <= 0 or > 600)
        {
            throw new TallowException(FailureKind.Usage, "--p2p-timeout and --p2p-candidate-timeout must be greater than 0 and at most 600 seconds.");
        }

        if (ttl is < 0 or > 255)
        {
            throw new TallowException(FailureKind.Usage, "--p2p-ttl must be between 0 and 255.");
        }

        ProxyAddress? proxy = ResolveProxy(result);
        return new SessionOptions
        {
            Relay = relay,
            RelayPassword = password,
            RelayFingerprint = ResolveFingerprint(result, relay),
            Proxy = proxy,
            DirectEnabled = !result.GetValue(NoP2P) && proxy is null,
            Punch = new Tallow.Net.Direct.PunchOptions
            {
                OverallTimeout = TimeSpan.FromSeconds(overall),
                CandidateTimeout = TimeSpan.FromSeconds(Math.Min(perCandidate, overall)),
                FirstSynTtl = ttl,
            },
        };
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
            throw new TallowException(FailureKind.Usage, $"'{text}' is not a relay address: use host:port or tls://host:port, e.g. relay.example.org:4433.");
        }

        return address;
    }

    /// <summary>
    /// The pinned fingerprint for <paramref name="relay"/> in its printed form, or null. The option
    /// needs a tls:// relay; the environment variable only applies to tls:// relays.
    /// </summary>
    public string? ResolveFingerprint(ParseResult result, RelayAddress relay)
    {
        string? option = result.GetValue(RelayFingerprint);
        if (option is not null && !relay.Tls)
        {
            throw new TallowException(FailureKind.Usage, $"--relay-fingerprint needs a TLS relay: use --relay tls://{relay}.");
        }

        string? text = option ?? (relay.Tls ? Environment.GetEnvironmentVariable("TALLOW_RELAY_FINGERPRINT") : null);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return CertificateFingerprint.TryParse(text, out byte[] fingerprint)
            ? CertificateFingerprint.Format(fingerprint)
            : throw new TallowException(FailureKind.Usage,
                $"'{text}' is not a SHA-256 fingerprint: give the 64 hex digits (colons allowed) the relay prints, e.g. AB:CD:…");
    }

    /// <summary>The SOCKS5 proxy to use (--tor, --proxy, TALLOW_PROXY), or null. The value is never echoed (it may hold a password).</summary>
    public ProxyAddress? ResolveProxy(ParseResult result)
    {
        string? option = result.GetValue(Proxy);
        if (result.GetValue(Tor))
        {
            return option is null
                ? ProxyAddress.Tor
                : throw new TallowException(FailureKind.Usage, "--tor and --proxy cannot be used together: --tor is --proxy socks5://127.0.0.1:9050.");
        }

        string? text = option ?? Environment.GetEnvironmentVariable("TALLOW_PROXY");
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (!ProxyAddress.TryParse(text, out ProxyAddress? proxy))
        {
            string source = option is null ? "TALLOW_PROXY" : "--proxy";
            throw new TallowException(FailureKind.Usage, $"{source} is not a SOCKS5 proxy address: use socks5://host:port or socks5://user:pass@host:port (URL-encode special characters in user and password).");
        }

        return proxy;
    }

    /// <summary>The --throttle limiter, or null without the option; a bad RATE is a usage error.</summary>
    public RateLimiter? ResolveThrottle(ParseResult result)
    {
        string? text = result.GetValue(Throttle);
        if (text is null)
        {
            return null;
        }

        return ByteRate.TryParse(text, out ByteRate rate, out string error)
            ? new RateLimiter(rate.BytesPerSecond)
            : throw new TallowException(FailureKind.Usage, error);
    }

    public string? ResolvePassword(ParseResult result)
    {
        string? pass = result.GetValue(RelayPass) ?? Environment.GetEnvironmentVariable("TALLOW_RELAY_PASS");
        return string.IsNullOrEmpty(pass) ? null : pass;
    }
}
