// Options shared by the commands that talk to a peer (DESIGN.md §12), and how they resolve
// against the environment (TALLOW_RELAY, TALLOW_RELAY_PASS, TALLOW_RELAY_FINGERPRINT).
using System.CommandLine;
using Tallow.Net.Session;
using Tallow.Protocol;
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
        command.Options.Add(P2PTimeout);
        command.Options.Add(P2PCandidateTimeout);
        command.Options.Add(P2PTtl);
    }

    /// <summary>Session options for <paramref name="relay"/> with this command line's P2P settings.</summary>
    public SessionOptions SessionOptions(ParseResult result, RelayAddress relay, string? password)
    {
        double overall = result.GetValue(P2PTimeout);
        double perCandidate = result.GetValue(P2PCandidateTimeout);
        int ttl = result.GetValue(P2PTtl);
        if (overall is <= 0 or > 600 || perCandidate is <= 0 or > 600)
        {
            throw new TallowException(FailureKind.Usage, "--p2p-timeout and --p2p-candidate-timeout must be between 0 and 600 seconds.");
        }

        if (ttl is < 0 or > 255)
        {
            throw new TallowException(FailureKind.Usage, "--p2p-ttl must be between 0 and 255.");
        }

        return new SessionOptions
        {
            Relay = relay,
            RelayPassword = password,
            RelayFingerprint = ResolveFingerprint(result, relay),
            DirectEnabled = !result.GetValue(NoP2P),
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

    public string? ResolvePassword(ParseResult result)
    {
        string? pass = result.GetValue(RelayPass) ?? Environment.GetEnvironmentVariable("TALLOW_RELAY_PASS");
        return string.IsNullOrEmpty(pass) ? null : pass;
    }
}
