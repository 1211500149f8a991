// The relay's TOML config file (`tallow relay serve --config PATH`): one top-level key per
// `relay serve` option, named like the flag without its dashes (bind, pass, metrics, probe-port,
// max-connections, max-rooms, rate-per-ip, max-connections-per-ip, max-unpaired-per-ip,
// max-failed-claims, failed-claim-window, failed-claim-block, unpaired-timeout, idle-timeout).
// Parsed with Tomlyn's syntax tree so every error names the key and its line (but for the two
// inputs Tomlyn throws on, see ParseSyntax). Unknown keys, tables, duplicate keys and wrong types
// are usage errors (exit 2). tls, cert and key are reserved for the relay's TLS options and only
// carried here. Every value is optional: unset means "not configured by the file".
using Tallow.Protocol;
using Tomlyn;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Tallow.Cli.Commands;

internal sealed record RelayConfigFile
{
    /// <summary>Config files are tiny; anything larger is a mistake (and is not read into memory).</summary>
    public const long MaxFileBytes = 64 * 1024;

    private const string KnownKeys = "bind, pass, metrics, probe-port, max-connections, max-rooms, rate-per-ip, max-connections-per-ip, "
        + "max-unpaired-per-ip, max-failed-claims, failed-claim-window, failed-claim-block, unpaired-timeout, idle-timeout, tls, cert, key";

    public string? Path { get; init; }

    public string? Bind { get; init; }

    public string? Pass { get; init; }

    public string? Metrics { get; init; }

    public int? ProbePort { get; init; }

    public int? MaxConnections { get; init; }

    public int? MaxRooms { get; init; }

    public double? RatePerIp { get; init; }

    public int? MaxConnectionsPerIp { get; init; }

    public int? MaxUnpairedPerIp { get; init; }

    public int? MaxFailedClaims { get; init; }

    public double? FailedClaimWindow { get; init; }

    public double? FailedClaimBlock { get; init; }

    public double? UnpairedTimeout { get; init; }

    public double? IdleTimeout { get; init; }

    /// <summary>Reserved for the relay's TLS options (DESIGN.md §5.8): carried, applied only where the build supports them.</summary>
    public bool? Tls { get; init; }

    public string? Cert { get; init; }

    public string? Key { get; init; }

    /// <summary>The line (1-based) of each key that was set, for later messages about a value.</summary>
    public IReadOnlyDictionary<string, int> Lines { get; init; } = new Dictionary<string, int>();

    /// <summary>Reads and parses <paramref name="path"/>; a missing or unreadable file is a usage error too.</summary>
    public static RelayConfigFile Load(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new TallowException(FailureKind.Usage, $"--config: the file '{path}' does not exist.");
        }

        if (info.Length > MaxFileBytes)
        {
            throw new TallowException(FailureKind.Usage, $"--config: '{path}' is {info.Length} bytes; a relay config is at most {MaxFileBytes} bytes.");
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TallowException(FailureKind.Usage, $"--config: cannot read '{path}': {e.Message}", e);
        }

        return Parse(text, path);
    }

    /// <summary>Parses config text; <paramref name="path"/> only names the source in messages.</summary>
    public static RelayConfigFile Parse(string text, string path)
    {
        DocumentSyntax document = ParseSyntax(text, path);
        if (document.HasErrors)
        {
            DiagnosticMessage first = document.Diagnostics.First(d => d.Kind == DiagnosticMessageKind.Error);
            throw Error(path, first.Span.Start.Line, $"not valid TOML: {first.Message}");
        }

        if (document.Tables.ChildrenCount > 0)
        {
            SyntaxNode table = document.Tables.GetChild(0)!;
            throw Error(path, table.Span.Start.Line, "tables ([...]) are not used by the relay config: put every key at the top level");
        }

        var config = new RelayConfigFile { Path = path };
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        int count = document.KeyValues.ChildrenCount;
        for (int i = 0; i < count; i++)
        {
            KeyValueSyntax entry = document.KeyValues.GetChild(i)!;
            int line = entry.Span.Start.Line;
            string name = KeyName(entry.Key);
            if (!lines.TryAdd(name, line + 1))
            {
                throw Error(path, line, $"key '{name}' is set twice (first on line {lines[name]})");
            }

            ValueSyntax? value = entry.Value;
            config = name switch
            {
                "bind" => config with { Bind = String(path, line, name, value) },
                "pass" => config with { Pass = NonEmpty(path, line, name, String(path, line, name, value)) },
                "metrics" => config with { Metrics = String(path, line, name, value) },
                "probe-port" => config with { ProbePort = Integer(path, line, name, value, 0, 65535) },
                "max-connections" => config with { MaxConnections = Integer(path, line, name, value, 1, int.MaxValue) },
                "max-rooms" => config with { MaxRooms = Integer(path, line, name, value, 1, int.MaxValue) },
                "rate-per-ip" => config with { RatePerIp = Number(path, line, name, value, allowZero: true) },
                "max-connections-per-ip" => config with { MaxConnectionsPerIp = Integer(path, line, name, value, 0, int.MaxValue) },
                "max-unpaired-per-ip" => config with { MaxUnpairedPerIp = Integer(path, line, name, value, 0, int.MaxValue) },
                "max-failed-claims" => config with { MaxFailedClaims = Integer(path, line, name, value, 0, int.MaxValue) },
                "failed-claim-window" => config with { FailedClaimWindow = Number(path, line, name, value, allowZero: false) },
                "failed-claim-block" => config with { FailedClaimBlock = Number(path, line, name, value, allowZero: false) },
                "unpaired-timeout" => config with { UnpairedTimeout = Number(path, line, name, value, allowZero: false) },
                "idle-timeout" => config with { IdleTimeout = Number(path, line, name, value, allowZero: false) },
                "tls" => config with { Tls = Boolean(path, line, name, value) },
                "cert" => config with { Cert = String(path, line, name, value) },
                "key" => config with { Key = String(path, line, name, value) },
                _ => throw Error(path, line, $"unknown key '{name}'. Known keys: {KnownKeys}"),
            };
        }

        return config with { Lines = lines };
    }

    /// <summary>
    /// Tomlyn's syntax tree; the two inputs for which Tomlyn 2.10.2 throws instead of reporting a
    /// diagnostic (found by fuzz/relay-config) become usage errors too: a string whose escaping
    /// backslash is the last character of the file (its error text formats the end of input as
    /// a character) and arrays or inline tables nested more than 64 levels deep.
    /// </summary>
    private static DocumentSyntax ParseSyntax(string text, string path)
    {
        try
        {
            return SyntaxParser.Parse(text, path);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new TallowException(FailureKind.Usage, $"--config {path}: not valid TOML (a string ends in an unfinished escape sequence).", e);
        }
        catch (TomlException e)
        {
            throw new TallowException(FailureKind.Usage, $"--config {path}: not valid TOML (arrays or inline tables nested more than 64 levels deep).", e);
        }
    }

    private static string KeyName(KeySyntax? key)
    {
        // Dotted keys (a.b = 1) are never relay keys: keep the dots so the message shows what was written.
        string text = key?.ToString().Trim() ?? string.Empty;
        return text.Length >= 2 && text[0] is '"' or '\'' && text[^1] == text[0] ? text[1..^1] : text;
    }

    private static string String(string path, int line, string name, ValueSyntax? value) =>
        value is StringValueSyntax { Value: string s } ? s : throw WrongType(path, line, name, "a string", value);

    private static string NonEmpty(string path, int line, string name, string value) =>
        value.Length > 0 ? value : throw Error(path, line, $"'{name}' is empty: remove the line for no password, or set one");

    private static bool Boolean(string path, int line, string name, ValueSyntax? value) =>
        value is BooleanValueSyntax b ? b.Value : throw WrongType(path, line, name, "true or false", value);

    private static int Integer(string path, int line, string name, ValueSyntax? value, int min, int max)
    {
        if (value is not IntegerValueSyntax integer)
        {
            throw WrongType(path, line, name, "an integer", value);
        }

        return integer.Value >= min && integer.Value <= max
            ? (int)integer.Value
            : throw Error(path, line, $"'{name}' = {integer.Value} is out of range ({min}-{max})");
    }

    private static double Number(string path, int line, string name, ValueSyntax? value, bool allowZero)
    {
        double number = value switch
        {
            IntegerValueSyntax i => i.Value,
            FloatValueSyntax f => f.Value,
            _ => throw WrongType(path, line, name, "a number", value),
        };
        if (!double.IsFinite(number) || number < 0 || (!allowZero && number == 0))
        {
            throw Error(path, line, $"'{name}' = {number} must be a {(allowZero ? "non-negative" : "positive")} number of {(name == "rate-per-ip" ? "connections per second" : "seconds")}");
        }

        return number;
    }

    private static TallowException WrongType(string path, int line, string name, string expected, ValueSyntax? value) =>
        Error(path, line, $"'{name}' must be {expected}, not {Describe(value)}");

    private static string Describe(ValueSyntax? value) => value switch
    {
        StringValueSyntax => "a string",
        IntegerValueSyntax => "an integer",
        FloatValueSyntax => "a float",
        BooleanValueSyntax => "a boolean",
        ArraySyntax => "an array",
        InlineTableSyntax => "a table",
        null => "nothing",
        _ => "a " + value.Kind.ToString().ToLowerInvariant(),
    };

    private static TallowException Error(string path, int zeroBasedLine, string message) =>
        new(FailureKind.Usage, $"--config {path}, line {zeroBasedLine + 1}: {message}.");
}
