// The client's TOML config file: $XDG_CONFIG_HOME/tallow/config.toml (~/.config/tallow/config.toml
// without XDG_CONFIG_HOME), or the file named by --config / $TALLOW_CONFIG. Top-level keys: relay,
// relay-fingerprint, relay-pass, proxy, no-p2p, out, words, history. Read strictly through
// TomlSettingsReader: unknown keys, tables, duplicates, wrong types and bad values are usage
// errors (exit 2) naming the file, key and line, never a value's text. A file that holds
// relay-pass must be readable by its owner only (like ssh's private keys): otherwise it is refused.
// The default location may be missing (no file = no settings); a named file must exist.
using Tallow.Crypto;
using Tallow.Net.Proxy;
using Tallow.Net.Session;
using Tallow.Protocol;
using Tallow.Wire;

namespace Tallow.Cli.Commands;

internal sealed record ClientConfigFile
{
    /// <summary>Config files are tiny; anything larger is a mistake (and is not read into memory).</summary>
    public const long MaxFileBytes = 64 * 1024;

    public const string PathVariable = "TALLOW_CONFIG";

    private const string KnownKeys = "relay, relay-fingerprint, relay-pass, proxy, no-p2p, out, words, history";

    /// <summary>Where the settings were looked for; null when no location could be named (no HOME).</summary>
    public string? Path { get; init; }

    /// <summary>True when the file exists and was read.</summary>
    public bool Exists { get; init; }

    public RelayAddress? Relay { get; init; }

    /// <summary>The pinned fingerprint in its printed form (AB:CD:…).</summary>
    public string? RelayFingerprint { get; init; }

    public string? RelayPass { get; init; }

    public ProxyAddress? Proxy { get; init; }

    public bool? NoP2P { get; init; }

    public string? Out { get; init; }

    public int? Words { get; init; }

    public bool? History { get; init; }

    /// <summary>The line (1-based) of each key that was set.</summary>
    public IReadOnlyDictionary<string, int> Lines { get; init; } = new Dictionary<string, int>();

    /// <summary>"path:line" of <paramref name="key"/>, the source shown for a setting from the file.</summary>
    public string SourceOf(string key) => $"{Path}:{Lines[key]}";

    /// <summary>
    /// The config file to use: <paramref name="flagPath"/> (--config), else $TALLOW_CONFIG (both must
    /// exist), else the default location (may be missing).
    /// </summary>
    public static ClientConfigFile Locate(string? flagPath, Func<string, string?> environment)
    {
        if (!string.IsNullOrEmpty(flagPath))
        {
            return Load(flagPath, "--config", environment);
        }

        if (environment(PathVariable) is { Length: > 0 } fromEnvironment)
        {
            return Load(fromEnvironment, PathVariable, environment);
        }

        string? path = DefaultPath(environment);
        return path is not null && File.Exists(path) ? Load(path, path, environment) : new ClientConfigFile { Path = path };
    }

    /// <summary>$XDG_CONFIG_HOME/tallow/config.toml (an absolute XDG_CONFIG_HOME only, as the XDG spec says), else ~/.config/tallow/config.toml.</summary>
    public static string? DefaultPath(Func<string, string?> environment)
    {
        string? xdg = environment("XDG_CONFIG_HOME");
        if (!string.IsNullOrEmpty(xdg) && System.IO.Path.IsPathRooted(xdg))
        {
            return System.IO.Path.Combine(xdg, "tallow", "config.toml");
        }

        string? home = environment("HOME");
        return string.IsNullOrEmpty(home) ? null : System.IO.Path.Combine(home, ".config", "tallow", "config.toml");
    }

    private static ClientConfigFile Load(string path, string label, Func<string, string?> environment)
    {
        string text = TomlSettingsReader.ReadBounded(path, MaxFileBytes, label, "a tallow config file");
        ClientConfigFile file = Parse(text, path, environment("HOME"));
        if (file.RelayPass is not null)
        {
            RefuseIfReadableByOthers(path, file.Lines["relay-pass"]);
        }

        return file;
    }

    /// <summary>Parses config text; <paramref name="path"/> names the source in messages; a leading "~/" in out is <paramref name="environmentHome"/>.</summary>
    public static ClientConfigFile Parse(string text, string path, string? environmentHome = null)
    {
        var toml = new TomlSettingsReader(path, "the tallow config file");
        var config = new ClientConfigFile { Path = path, Exists = true };
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (TomlEntry e in toml.Entries(text))
        {
            lines[e.Name] = e.Line;
            config = e.Name switch
            {
                "relay" => config with { Relay = ParseRelay(toml, e) },
                "relay-fingerprint" => config with { RelayFingerprint = ParseFingerprint(toml, e) },
                "relay-pass" => config with { RelayPass = toml.NonEmpty(e, "remove the line for a relay without a password") },
                "proxy" => config with { Proxy = ParseProxy(toml, e) },
                "no-p2p" => config with { NoP2P = toml.Boolean(e) },
                "out" => config with { Out = ParseOut(toml, e, environmentHome) },
                "words" => config with { Words = toml.Integer(e, CodePhrase.MinWordCount, CodePhrase.MaxWordCount) },
                "history" => config with { History = toml.Boolean(e) },
                _ => throw toml.Unknown(e, KnownKeys),
            };
        }

        if (config.RelayFingerprint is not null && config.Relay is { Tls: false } plain)
        {
            throw toml.Error(lines["relay-fingerprint"], $"'relay-fingerprint' needs a TLS relay: write relay = \"tls://{plain}\"");
        }

        return config with { Lines = lines };
    }

    private static RelayAddress ParseRelay(TomlSettingsReader toml, TomlEntry e) =>
        RelayAddress.TryParse(toml.String(e), out RelayAddress address)
            ? address
            : throw toml.Error(e.Line, "'relay' is not a relay address: use \"host:port\" or \"tls://host:port\", e.g. \"relay.example.org:4433\"");

    private static string ParseFingerprint(TomlSettingsReader toml, TomlEntry e) =>
        CertificateFingerprint.TryParse(toml.String(e), out byte[] pin)
            ? CertificateFingerprint.Format(pin)
            : throw toml.Error(e.Line, "'relay-fingerprint' is not a SHA-256 fingerprint: give the 64 hex digits (colons allowed) the relay prints");

    private static ProxyAddress ParseProxy(TomlSettingsReader toml, TomlEntry e) =>
        ProxyAddress.TryParse(toml.String(e), out ProxyAddress? proxy)
            ? proxy!
            : throw toml.Error(e.Line, "'proxy' is not a SOCKS5 proxy address: use \"socks5://host:port\" or \"socks5://user:pass@host:port\"");

    private static string ParseOut(TomlSettingsReader toml, TomlEntry e, string? home)
    {
        string value = toml.NonEmpty(e, "remove the line to save into the current folder");
        return value.StartsWith("~/", StringComparison.Ordinal) && !string.IsNullOrEmpty(home) ? System.IO.Path.Combine(home, value[2..]) : value;
    }

    /// <summary>Like ssh with a private key: a password in a file others can read is refused, with the fix.</summary>
    private static void RefuseIfReadableByOthers(string path, int line)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        UnixFileMode mode = File.GetUnixFileMode(path);
        if ((mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            throw new TallowException(FailureKind.Usage,
                $"{path}, line {line}: 'relay-pass' is in a file other users can read or change: run 'chmod 600 {path}' (or remove relay-pass and set TALLOW_RELAY_PASS).");
        }
    }
}
