// The effective client settings and where each came from: a flag given on the command line wins
// over an environment variable (TALLOW_RELAY, TALLOW_RELAY_FINGERPRINT, TALLOW_RELAY_PASS,
// TALLOW_PROXY), which wins over the config file (ClientConfigFile), which wins over the built-in
// default. Resolved once per command (CommonOptions.Settings) so send, receive, chat, sync, watch,
// `tallow config` and `tallow doctor` all agree. The file's relay-fingerprint and relay-pass belong
// to the file's relay: they are used only when the relay in effect is that relay (a relay given by
// flag or environment never receives the file's password).
using Tallow.Crypto;
using Tallow.Net.Proxy;
using Tallow.Net.Session;
using Tallow.Protocol;
using Tallow.Wire;

namespace Tallow.Cli.Commands;

internal enum SettingSource
{
    Default,
    File,
    Environment,
    Flag,
}

/// <summary>A value and its origin: <paramref name="Where"/> is the flag, the variable, "path:line", or "default".</summary>
internal sealed record Setting<T>(T Value, SettingSource Source, string Where);

/// <summary>What the command line gave (null: not given), for <see cref="ClientSettings.Resolve"/>.</summary>
internal sealed record ClientFlags(
    string? Relay = null, string? RelayFingerprint = null, string? RelayPass = null, string? Proxy = null, bool Tor = false,
    bool? NoP2P = null, string? Out = null, int? Words = null, bool? History = null);

internal sealed record ClientSettings
{
    public const string RelayVariable = "TALLOW_RELAY";
    public const string FingerprintVariable = "TALLOW_RELAY_FINGERPRINT";
    public const string PasswordVariable = "TALLOW_RELAY_PASS";
    public const string ProxyVariable = "TALLOW_PROXY";

    public required ClientConfigFile File { get; init; }

    /// <summary>The relay, or null: the sender starts its own relay for the LAN, the receiver looks for it by mDNS.</summary>
    public required Setting<RelayAddress?> Relay { get; init; }

    /// <summary>The pinned certificate fingerprint of a tls:// relay (AB:CD:… form), or null.</summary>
    public required Setting<string?> RelayFingerprint { get; init; }

    /// <summary>The relay password (a secret: shown only as "(set)").</summary>
    public required Setting<string?> RelayPass { get; init; }

    public required Setting<ProxyAddress?> Proxy { get; init; }

    public required Setting<bool> NoP2P { get; init; }

    /// <summary>The folder received files go to.</summary>
    public required Setting<string> Out { get; init; }

    /// <summary>Words of a generated code.</summary>
    public required Setting<int> Words { get; init; }

    /// <summary>Whether transfers are recorded in the local history (the history feature reads this).</summary>
    public required Setting<bool> History { get; init; }

    public static ClientSettings Resolve(ClientFlags flags, ClientConfigFile file, Func<string, string?> environment)
    {
        Setting<RelayAddress?> relay = ResolveRelay(flags, file, environment);
        bool fileRelay = relay.Value is RelayAddress chosen && file.Relay == chosen;
        bool tls = relay.Value is { Tls: true };
        return new ClientSettings
        {
            File = file,
            Relay = relay,
            RelayFingerprint = ResolveFingerprint(flags, file, environment, tls, fileRelay),
            RelayPass = Pick(NonEmpty(flags.RelayPass), "--relay-pass", NonEmpty(environment(PasswordVariable)), PasswordVariable,
                fileRelay ? file.RelayPass : null, file, "relay-pass", null),
            Proxy = ResolveProxy(flags, file, environment),
            NoP2P = PickValue(flags.NoP2P, "--no-p2p", file.NoP2P, file, "no-p2p", false),
            Out = NotNull(Pick(flags.Out, "--out", null, null, file.Out, file, "out", ".")),
            Words = PickValue(flags.Words, "--words", file.Words, file, "words", CodePhrase.DefaultWordCount),
            History = PickValue(flags.History, "--no-history", file.History, file, "history", true),
        };
    }

    private static Setting<RelayAddress?> ResolveRelay(ClientFlags flags, ClientConfigFile file, Func<string, string?> environment)
    {
        (string? text, string source) = !string.IsNullOrWhiteSpace(flags.Relay) ? (flags.Relay, "--relay")
            : environment(RelayVariable) is { } variable && !string.IsNullOrWhiteSpace(variable) ? (variable, RelayVariable)
            : (null, string.Empty);
        if (text is null)
        {
            return file.Relay is RelayAddress fromFile
                ? new Setting<RelayAddress?>(fromFile, SettingSource.File, file.SourceOf("relay"))
                : new Setting<RelayAddress?>(null, SettingSource.Default, "default");
        }

        if (!RelayAddress.TryParse(text, out RelayAddress address))
        {
            throw new TallowException(FailureKind.Usage, $"'{text}' is not a relay address: use host:port or tls://host:port, e.g. relay.example.org:4433.");
        }

        return new Setting<RelayAddress?>(address, source == "--relay" ? SettingSource.Flag : SettingSource.Environment, source);
    }

    private static Setting<string?> ResolveFingerprint(ClientFlags flags, ClientConfigFile file, Func<string, string?> environment, bool tls, bool fileRelay)
    {
        // The flag is checked against the relay later (CommonOptions.ResolveFingerprint): it needs a tls:// relay.
        string? variable = tls && environment(FingerprintVariable) is { } v && !string.IsNullOrWhiteSpace(v) ? v : null;
        (string? text, SettingSource source, string where) = flags.RelayFingerprint is not null ? (flags.RelayFingerprint, SettingSource.Flag, "--relay-fingerprint")
            : variable is not null ? (variable, SettingSource.Environment, FingerprintVariable)
            : (null, SettingSource.Default, "default");
        if (text is null)
        {
            return tls && fileRelay && file.RelayFingerprint is not null
                ? new Setting<string?>(file.RelayFingerprint, SettingSource.File, file.SourceOf("relay-fingerprint"))
                : new Setting<string?>(null, SettingSource.Default, "default");
        }

        return CertificateFingerprint.TryParse(text, out byte[] fingerprint)
            ? new Setting<string?>(CertificateFingerprint.Format(fingerprint), source, where)
            : throw new TallowException(FailureKind.Usage,
                $"'{text}' is not a SHA-256 fingerprint: give the 64 hex digits (colons allowed) the relay prints, e.g. AB:CD:…");
    }

    /// <summary>--tor, --proxy, TALLOW_PROXY, the file. The value is never echoed (it may hold a password).</summary>
    private static Setting<ProxyAddress?> ResolveProxy(ClientFlags flags, ClientConfigFile file, Func<string, string?> environment)
    {
        if (flags.Tor)
        {
            return flags.Proxy is null
                ? new Setting<ProxyAddress?>(ProxyAddress.Tor, SettingSource.Flag, "--tor")
                : throw new TallowException(FailureKind.Usage, "--tor and --proxy cannot be used together: --tor is --proxy socks5://127.0.0.1:9050.");
        }

        (string? text, string where) = flags.Proxy is not null ? (flags.Proxy, "--proxy")
            : environment(ProxyVariable) is { } v && !string.IsNullOrWhiteSpace(v) ? (v, ProxyVariable)
            : (null, string.Empty);
        if (text is null || (where == "--proxy" && string.IsNullOrWhiteSpace(text)))
        {
            return file.Proxy is not null
                ? new Setting<ProxyAddress?>(file.Proxy, SettingSource.File, file.SourceOf("proxy"))
                : new Setting<ProxyAddress?>(null, SettingSource.Default, "default");
        }

        return ProxyAddress.TryParse(text, out ProxyAddress? proxy)
            ? new Setting<ProxyAddress?>(proxy, where == "--proxy" ? SettingSource.Flag : SettingSource.Environment, where)
            : throw new TallowException(FailureKind.Usage,
                $"{where} is not a SOCKS5 proxy address: use socks5://host:port or socks5://user:pass@host:port (URL-encode special characters in user and password).");
    }

    private static Setting<string> NotNull(Setting<string?> setting) => new(setting.Value ?? ".", setting.Source, setting.Where);

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static Setting<string?> Pick(string? flag, string flagName, string? variable, string? variableName, string? fromFile, ClientConfigFile file, string key, string? fallback) =>
        flag is not null ? new(flag, SettingSource.Flag, flagName)
        : variable is not null ? new(variable, SettingSource.Environment, variableName!)
        : fromFile is not null ? new(fromFile, SettingSource.File, file.SourceOf(key))
        : new(fallback, SettingSource.Default, "default");

    private static Setting<T> PickValue<T>(T? flag, string flagName, T? fromFile, ClientConfigFile file, string key, T fallback)
        where T : struct =>
        flag is T f ? new(f, SettingSource.Flag, flagName)
        : fromFile is T v ? new(v, SettingSource.File, file.SourceOf(key))
        : new(fallback, SettingSource.Default, "default");
}
