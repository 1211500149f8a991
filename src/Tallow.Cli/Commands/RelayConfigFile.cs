// The relay's TOML config file (`tallow relay serve --config PATH`): one top-level key per
// `relay serve` option, named like the flag without its dashes (bind, pass, metrics, web, web-root, probe-port,
// max-connections, max-rooms, rate-per-ip, max-connections-per-ip, max-unpaired-per-ip,
// max-failed-claims, failed-claim-window, failed-claim-block, room-capacity, room-rate, room-burst,
// unpaired-timeout, idle-timeout).
// Read by TomlSettingsReader (shared with the client's config.toml) so every error names the key
// and its line. Unknown keys, tables, duplicate keys and wrong types are usage errors (exit 2). tls, cert and key are reserved for the relay's TLS options and only
// carried here. Every value is optional: unset means "not configured by the file".
using Tallow.Wire;

namespace Tallow.Cli.Commands;

internal sealed record RelayConfigFile
{
    /// <summary>Config files are tiny; anything larger is a mistake (and is not read into memory).</summary>
    public const long MaxFileBytes = 64 * 1024;

    private const string KnownKeys = "bind, pass, metrics, web, web-root, probe-port, max-connections, max-rooms, rate-per-ip, max-connections-per-ip, "
        + "max-unpaired-per-ip, max-failed-claims, failed-claim-window, failed-claim-block, room-capacity, room-rate, room-burst, "
        + "unpaired-timeout, idle-timeout, tls, cert, key";

    public string? Path { get; init; }

    public string? Bind { get; init; }

    public string? Pass { get; init; }

    public string? Metrics { get; init; }

    public int? ProbePort { get; init; }

    /// <summary>Address of the web page and its WebSocket endpoint (--web).</summary>
    public string? Web { get; init; }

    /// <summary>Folder served instead of the built-in page (--web-root).</summary>
    public string? WebRoot { get; init; }

    public int? MaxConnections { get; init; }

    public int? MaxRooms { get; init; }

    public double? RatePerIp { get; init; }

    public int? MaxConnectionsPerIp { get; init; }

    public int? MaxUnpairedPerIp { get; init; }

    public int? MaxFailedClaims { get; init; }

    public double? FailedClaimWindow { get; init; }

    public double? FailedClaimBlock { get; init; }

    public int? RoomCapacity { get; init; }

    public double? RoomRate { get; init; }

    public int? RoomBurst { get; init; }

    public double? UnpairedTimeout { get; init; }

    public double? IdleTimeout { get; init; }

    /// <summary>Reserved for the relay's TLS options (DESIGN.md §5.8): carried, applied only where the build supports them.</summary>
    public bool? Tls { get; init; }

    public string? Cert { get; init; }

    public string? Key { get; init; }

    /// <summary>The line (1-based) of each key that was set, for later messages about a value.</summary>
    public IReadOnlyDictionary<string, int> Lines { get; init; } = new Dictionary<string, int>();

    /// <summary>Reads and parses <paramref name="path"/>; a missing or unreadable file is a usage error too.</summary>
    public static RelayConfigFile Load(string path) =>
        Parse(TomlSettingsReader.ReadBounded(path, MaxFileBytes, "--config", "a relay config"), path);

    /// <summary>Parses config text; <paramref name="path"/> only names the source in messages.</summary>
    public static RelayConfigFile Parse(string text, string path)
    {
        var toml = new TomlSettingsReader($"--config {path}", "the relay config");
        var config = new RelayConfigFile { Path = path };
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (TomlEntry e in toml.Entries(text))
        {
            lines[e.Name] = e.Line;
            config = e.Name switch
            {
                "bind" => config with { Bind = toml.String(e) },
                "pass" => config with { Pass = toml.NonEmpty(e, "remove the line for no password, or set one") },
                "metrics" => config with { Metrics = toml.String(e) },
                "web" => config with { Web = toml.String(e) },
                "web-root" => config with { WebRoot = toml.NonEmpty(e, "remove the line to serve the built-in page") },
                "probe-port" => config with { ProbePort = toml.Integer(e, 0, 65535) },
                "max-connections" => config with { MaxConnections = toml.Integer(e, 1, int.MaxValue) },
                "max-rooms" => config with { MaxRooms = toml.Integer(e, 1, int.MaxValue) },
                "rate-per-ip" => config with { RatePerIp = Number(toml, e, allowZero: true) },
                "max-connections-per-ip" => config with { MaxConnectionsPerIp = toml.Integer(e, 0, int.MaxValue) },
                "max-unpaired-per-ip" => config with { MaxUnpairedPerIp = toml.Integer(e, 0, int.MaxValue) },
                "max-failed-claims" => config with { MaxFailedClaims = toml.Integer(e, 0, int.MaxValue) },
                "failed-claim-window" => config with { FailedClaimWindow = Number(toml, e, allowZero: false) },
                "failed-claim-block" => config with { FailedClaimBlock = Number(toml, e, allowZero: false) },
                "room-capacity" => config with { RoomCapacity = toml.Integer(e, 2, RelayProtocol.MaxRoomCapacity) },
                "room-rate" => config with { RoomRate = Number(toml, e, allowZero: true) },
                "room-burst" => config with { RoomBurst = toml.Integer(e, 1, int.MaxValue) },
                "unpaired-timeout" => config with { UnpairedTimeout = Number(toml, e, allowZero: false) },
                "idle-timeout" => config with { IdleTimeout = Number(toml, e, allowZero: false) },
                "tls" => config with { Tls = toml.Boolean(e) },
                "cert" => config with { Cert = toml.String(e) },
                "key" => config with { Key = toml.String(e) },
                _ => throw toml.Unknown(e, KnownKeys),
            };
        }

        return config with { Lines = lines };
    }

    private static double Number(TomlSettingsReader toml, TomlEntry e, bool allowZero)
    {
        double number = toml.Number(e);
        if (!double.IsFinite(number) || number < 0 || (!allowZero && number == 0))
        {
            throw toml.Error(e.Line, $"'{e.Name}' = {number} must be a {(allowZero ? "non-negative" : "positive")} number of {Unit(e.Name)}");
        }

        return number;
    }

    private static string Unit(string key) => key switch
    {
        "rate-per-ip" => "connections per second",
        "room-rate" => "frames per second",
        _ => "seconds",
    };
}
