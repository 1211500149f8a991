// Strict reading of a flat TOML settings file, shared by the relay's `relay serve --config` file
// (RelayConfigFile) and the client's config.toml (ClientConfigFile). Tomlyn's syntax tree keeps
// each key's line, so every error names the file, the key and the line; unknown keys, tables,
// duplicate keys and wrong types are usage errors (exit 2). Messages describe a bad value by its
// type, never by its text (a value may be a password). The file is read only up to a size bound.
using Tallow.Protocol;
using Tomlyn;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Tallow.Cli.Commands;

/// <summary>One top-level key = value: its name as written (quotes removed), 1-based line, and value.</summary>
internal readonly record struct TomlEntry(string Name, int Line, ValueSyntax? Value);

/// <summary>
/// Reads one settings file. <paramref name="label"/> starts every message (e.g. "--config relay.toml"
/// or a config file's path); <paramref name="kind"/> names the file in the table error ("the relay config").
/// </summary>
internal sealed class TomlSettingsReader(string label, string kind)
{
    /// <summary>Reads <paramref name="path"/> (at most <paramref name="maxBytes"/>); missing, oversized or unreadable files are usage errors.</summary>
    public static string ReadBounded(string path, long maxBytes, string label, string kind)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new TallowException(FailureKind.Usage, $"{label}: the file '{path}' does not exist.");
        }

        if (info.Length > maxBytes)
        {
            throw new TallowException(FailureKind.Usage, $"{label}: '{path}' is {info.Length} bytes; {kind} is at most {maxBytes} bytes.");
        }

        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TallowException(FailureKind.Usage, $"{label}: cannot read '{path}': {e.Message}", e);
        }
    }

    /// <summary>The top-level entries of <paramref name="text"/>, in file order; throws a usage error on syntax errors, tables or a key set twice.</summary>
    public IReadOnlyList<TomlEntry> Entries(string text)
    {
        DocumentSyntax document = ParseSyntax(text.StartsWith('\uFEFF') ? text[1..] : text);
        if (document.HasErrors)
        {
            _ = Collect(document); // a key set twice is reported as such (Tomlyn's message would quote both lines, values included)
            DiagnosticMessage first = document.Diagnostics.First(d => d.Kind == DiagnosticMessageKind.Error);
            throw Error(first.Span.Start.Line + 1, $"not valid TOML at column {first.Span.Start.Column + 1}: {Redact(first.Message)}");
        }

        if (document.Tables.ChildrenCount > 0)
        {
            SyntaxNode table = document.Tables.GetChild(0)!;
            throw Error(table.Span.Start.Line + 1, $"tables ([...]) are not used by {kind}: put every key at the top level");
        }

        return Collect(document);
    }

    /// <summary>
    /// Tomlyn's message without any source text (which may be a password): text it quotes between
    /// backticks becomes `…` unless it is a punctuation token such as `=` or `]`, and whatever
    /// follows " instead of ", " but was " or a quote character (the token it found, written raw
    /// or in quotes; found by fuzz/client-config) is cut to "…".
    /// </summary>
    internal static string Redact(string message)
    {
        var result = new System.Text.StringBuilder(message.Length);
        int i = 0;
        while (i < message.Length)
        {
            int open = message.IndexOf('`', i);
            int close = open < 0 ? -1 : message.IndexOf('`', open + 1);
            if (close < 0)
            {
                result.Append(message, i, message.Length - i);
                break;
            }

            result.Append(message, i, open - i);
            string quoted = message[(open + 1)..close];
            bool punctuation = quoted.Length is > 0 and <= 3 && !quoted.Any(char.IsLetterOrDigit);
            result.Append('`').Append(punctuation ? quoted : "…").Append('`');
            i = close + 1;
        }

        string redacted = result.ToString();
        int cut = redacted.Length;
        foreach (string marker in (string[])[" instead of ", " but was ", "'", "\""])
        {
            int at = redacted.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0 && at < cut)
            {
                cut = at;
            }
        }

        return cut < redacted.Length ? redacted[..cut].TrimEnd() + " …" : redacted;
    }

    private List<TomlEntry> Collect(DocumentSyntax document)
    {
        var entries = new List<TomlEntry>();
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        int count = document.KeyValues.ChildrenCount;
        for (int i = 0; i < count; i++)
        {
            if (document.KeyValues.GetChild(i) is not KeyValueSyntax entry)
            {
                continue;
            }

            int line = entry.Span.Start.Line + 1;
            string name = KeyName(entry.Key);
            if (!lines.TryAdd(name, line))
            {
                throw Error(line, $"key '{name}' is set twice (first on line {lines[name]})");
            }

            entries.Add(new TomlEntry(name, line, entry.Value));
        }

        return entries;
    }

    public string String(TomlEntry e) =>
        e.Value is StringValueSyntax { Value: string s } ? s : throw WrongType(e, "a string");

    /// <summary>A string that must not be empty; <paramref name="fix"/> says what to do instead.</summary>
    public string NonEmpty(TomlEntry e, string fix)
    {
        string value = String(e);
        return value.Length > 0 ? value : throw Error(e.Line, $"'{e.Name}' is empty: {fix}");
    }

    public bool Boolean(TomlEntry e) =>
        e.Value is BooleanValueSyntax b ? b.Value : throw WrongType(e, "true or false");

    public int Integer(TomlEntry e, int min, int max)
    {
        if (e.Value is not IntegerValueSyntax integer)
        {
            throw WrongType(e, "an integer");
        }

        return integer.Value >= min && integer.Value <= max
            ? (int)integer.Value
            : throw Error(e.Line, $"'{e.Name}' = {integer.Value} is out of range ({min}-{max})");
    }

    /// <summary>An integer or float value (range checks are the caller's).</summary>
    public double Number(TomlEntry e) => e.Value switch
    {
        IntegerValueSyntax i => i.Value,
        FloatValueSyntax f => f.Value,
        _ => throw WrongType(e, "a number"),
    };

    public TallowException Unknown(TomlEntry e, string knownKeys) => Error(e.Line, $"unknown key '{e.Name}'. Known keys: {knownKeys}");

    public TallowException WrongType(TomlEntry e, string expected) => Error(e.Line, $"'{e.Name}' must be {expected}, not {Describe(e.Value)}");

    public TallowException Error(int line, string message) => new(FailureKind.Usage, $"{label}, line {line}: {message}.");

    /// <summary>
    /// Tomlyn's syntax tree; the two inputs for which Tomlyn 2.10.2 throws instead of reporting a
    /// diagnostic (found by fuzz/relay-config) become usage errors too: a string whose escaping
    /// backslash is the last character of the file (its error text formats the end of input as
    /// a character) and arrays or inline tables nested more than 64 levels deep.
    /// </summary>
    private DocumentSyntax ParseSyntax(string text)
    {
        try
        {
            return SyntaxParser.Parse(text, label);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new TallowException(FailureKind.Usage, $"{label}: not valid TOML (a string ends in an unfinished escape sequence).", e);
        }
        catch (TomlException e)
        {
            throw new TallowException(FailureKind.Usage, $"{label}: not valid TOML (arrays or inline tables nested more than 64 levels deep).", e);
        }
    }

    private static string KeyName(KeySyntax? key)
    {
        // Dotted keys (a.b = 1) are never settings: keep the dots so the message shows what was written.
        string text = key?.ToString().Trim() ?? string.Empty;
        return text.Length >= 2 && text[0] is '"' or '\'' && text[^1] == text[0] ? text[1..^1] : text;
    }

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
}
