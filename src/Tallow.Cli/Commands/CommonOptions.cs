// Options shared by the commands that talk to a peer (DESIGN.md §12), and the one place they
// resolve against the environment (TALLOW_RELAY, TALLOW_RELAY_PASS, TALLOW_RELAY_FINGERPRINT,
// TALLOW_PROXY) and the config file (ClientSettings: flag > environment > file > default).
// A proxy (--proxy, --tor; DESIGN.md §11) always turns P2P off on this side. --throttle limits
// what this side sends (send) or reads (receive); see ByteRate and RateLimiter.
using System.CommandLine;
using Tallow.Crypto;
using Tallow.Net.Proxy;
using Tallow.Net.Session;
using Tallow.Protocol;
using Tallow.Protocol.Records;
using Tallow.Wire;

namespace Tallow.Cli.Commands;

internal sealed class CommonOptions
{
    public Option<string?> Relay { get; } = new("--relay") { Description = "Relay address host:port, or tls://host:port for TLS (default: $TALLOW_RELAY, else relay in the config file; the sender starts its own relay when none is set)" };

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
        command.Options.Add(Config);
    }

    /// <summary>
    /// The options that make up the settings (for `tallow config` and `tallow doctor`): relay, its
    /// fingerprint and password, proxy/--tor, --no-p2p, --config, --json, and --words and --out.
    /// </summary>
    public void AddSettingsTo(Command command)
    {
        command.Options.Add(Relay);
        command.Options.Add(RelayPass);
        command.Options.Add(RelayFingerprint);
        command.Options.Add(Proxy);
        command.Options.Add(Tor);
        command.Options.Add(NoP2P);
        command.Options.Add(CreateOut("Folder received files are saved into"));
        command.Options.Add(CreateWords());
        command.Options.Add(Config);
        command.Options.Add(Json);
    }

    /// <summary>--no-history, for the commands that move content (send, receive, sync, watch), and its effect once parsed.</summary>
    public void AddHistoryTo(Command command) => command.Options.Add(NoHistory);

    /// <summary>Sets the history switch from --no-history and the config file's `history` key (TALLOW_NO_HISTORY is read by HistorySettings).</summary>
    public void ApplyHistory(ParseResult result)
    {
        History.HistorySettings.CommandRecords = true;
        History.HistorySettings.DisabledByFlag = result.GetValue(NoHistory);
        try
        {
            History.HistorySettings.ConfigEnabled = Settings(result).History.Value;
        }
        catch (TallowException)
        {
            // A bad config file: the command reports it (exit 2) when it reads its settings.
        }
    }

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
            DirectEnabled = !Settings(result).NoP2P.Value && proxy is null,
            Punch = new Tallow.Net.Direct.PunchOptions
            {
                OverallTimeout = TimeSpan.FromSeconds(overall),
                CandidateTimeout = TimeSpan.FromSeconds(Math.Min(perCandidate, overall)),
                FirstSynTtl = ttl,
            },
        };
    }

    /// <summary>The relay to use, or null when none is configured.</summary>
    public RelayAddress? ResolveRelay(ParseResult result) => Settings(result).Relay.Value;

    /// <summary>
    /// The pinned fingerprint for <paramref name="relay"/> in its printed form, or null. The option
    /// needs a tls:// relay; the environment variable and the file apply only to their tls:// relay.
    /// </summary>
    public string? ResolveFingerprint(ParseResult result, RelayAddress relay)
    {
        Setting<string?> pin = Settings(result).RelayFingerprint;
        if (pin.Source == SettingSource.Flag && !relay.Tls)
        {
            throw new TallowException(FailureKind.Usage, $"--relay-fingerprint needs a TLS relay: use --relay tls://{relay}.");
        }

        return relay.Tls && (pin.Source == SettingSource.Flag || Settings(result).Relay.Value == relay) ? pin.Value : null;
    }

    /// <summary>The SOCKS5 proxy to use (--tor, --proxy, TALLOW_PROXY, the config file), or null. The value is never echoed (it may hold a password).</summary>
    public ProxyAddress? ResolveProxy(ParseResult result) => Settings(result).Proxy.Value;

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

    public string? ResolvePassword(ParseResult result) => Settings(result).RelayPass.Value;

    /// <summary>
    /// --config PATH: the client config file (default: $TALLOW_CONFIG, else $XDG_CONFIG_HOME/tallow/config.toml).
    /// </summary>
    public Option<string?> Config { get; } = new("--config")
    {
        Description = "Config file to read (default: $TALLOW_CONFIG, else $XDG_CONFIG_HOME/tallow/config.toml or ~/.config/tallow/config.toml)",
        HelpName = "PATH",
    };

    /// <summary>The command's --words, when it generates codes (registered by CreateWords).</summary>
    public Option<int>? Words { get; private set; }

    /// <summary>The command's --out, when it saves files (registered by CreateOut).</summary>
    public Option<string>? Out { get; private set; }

    /// <summary>Reads environment variables; tests may replace it.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    private ClientSettings? _settings;

    /// <summary>--words for a command that generates a code: its default comes from the config file.</summary>
    public Option<int> CreateWords() => Words = new Option<int>("--words")
    {
        Description = "Number of words in the generated code (default: words in the config file, else 3)",
        DefaultValueFactory = _ => CodePhrase.DefaultWordCount,
    };

    /// <summary>--out for a command that saves files: its default comes from the config file.</summary>
    public Option<string> CreateOut(string description) => Out = new Option<string>("--out", "-o")
    {
        HelpName = "FOLDER", // shell completion offers folders
        Description = description + " (default: out in the config file, else the current folder)",
        DefaultValueFactory = _ => ".",
    };

    /// <summary>
    /// The effective settings of this command line (flags > environment > config file > defaults),
    /// resolved once. A bad config file is a usage error naming the file, key and line.
    /// </summary>
    public ClientSettings Settings(ParseResult result) => _settings ??= ClientSettings.Resolve(Flags(result), ClientConfigFile.Locate(Given(result, Config), Environment), Environment);

    /// <summary>The words of a generated code: --words, else the config file, else the default.</summary>
    public int ResolveWords(ParseResult result) => Settings(result).Words.Value;

    /// <summary>The folder to save into: --out, else the config file, else the current folder.</summary>
    public string ResolveOut(ParseResult result) => Settings(result).Out.Value;

    private ClientFlags Flags(ParseResult result) => new(
        Given(result, Relay),
        Given(result, RelayFingerprint),
        Given(result, RelayPass),
        Given(result, Proxy),
        result.GetResult(Tor) is { Implicit: false } && result.GetValue(Tor),
        result.GetResult(NoP2P) is { Implicit: false } ? result.GetValue(NoP2P) : null,
        Out is not null ? Given(result, Out) : null,
        Words is not null && result.GetResult(Words) is { Implicit: false } ? result.GetValue(Words) : null,
        result.GetResult(NoHistory) is { Implicit: false } && result.GetValue(NoHistory) ? false : null);

    private static T? Given<T>(ParseResult result, Option<T> option) =>
        result.GetResult(option) is { Implicit: false } ? result.GetValue(option) : default;
}
