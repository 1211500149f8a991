// `tallow history` as people and scripts see it: a table, newest first, one transfer a line
// (when, which way, what, size, path, result, time), or with --json one object per line. Names,
// relays and reasons came from the network or a local file (which may have been edited): every
// stored string passes TerminalText.Clean.
using System.Globalization;
using System.Text;
using System.Text.Json;
using Tallow.Cli.History;

namespace Tallow.Cli.Output;

internal static class HistoryReport
{
    private const int WhatColumns = 30;
    private const int PathColumns = 34;

    public static IEnumerable<string> Table(IReadOnlyList<HistoryEntry> entries)
    {
        yield return $"{"WHEN",-16}  {"",-8}  {TerminalText.Pad("WHAT", WhatColumns)}  {"SIZE",10}  {TerminalText.Pad("PATH", PathColumns)}  {"TIME",6}  RESULT";
        foreach (HistoryEntry e in entries)
        {
            string when = e.Started.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
            string size = e.Bytes is long b ? Units.Bytes(b) : "-";
            string time = e.Seconds is double s ? Units.Duration(TimeSpan.FromSeconds(s)) : "-";
            string result = e.Reason is null ? e.Result : $"{e.Result}: {e.Reason}";
            yield return $"{when,-16}  {TerminalText.Pad(TerminalText.Fit(TerminalText.Clean(e.Direction), 8), 8)}  {TerminalText.Pad(TerminalText.Fit(What(e), WhatColumns), WhatColumns)}  {size,10}  "
                + $"{TerminalText.Pad(TerminalText.Fit(PathOf(e), PathColumns), PathColumns)}  {time,6}  {TerminalText.Clean(result)}";
        }
    }

    /// <summary>"a.txt, photos" or "a.txt, photos and 12 more"; a sync names its folder.</summary>
    private static string What(HistoryEntry e)
    {
        string names = string.Join(", ", e.Names.Select(TerminalText.Clean));
        string more = e.NameCount > e.Names.Count ? $" and {e.NameCount - e.Names.Count} more" : string.Empty;
        string kind = e.Kind is "sync" or "watch" ? $" ({e.Kind})" : string.Empty; // only these two words: the file may have been edited
        return names.Length == 0 ? "-" : names + more + kind;
    }

    /// <summary>"relay HOST:PORT", or "direct, relay HOST:PORT" (the relay that introduced the peers).</summary>
    private static string PathOf(HistoryEntry e) => e.Relay is null ? e.Path
        : e.Path == "relay" ? $"relay {TerminalText.Clean(e.Relay)}" : $"{e.Path}, relay {TerminalText.Clean(e.Relay)}";

    /// <summary>One JSON object for a script (strings as stored: JSON escapes any control).</summary>
    public static string Json(HistoryEntry e)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("time", e.Started.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            writer.WriteString("direction", e.Direction);
            writer.WriteString("kind", e.Kind);
            writer.WriteStartArray("names");
            foreach (string name in e.Names)
            {
                writer.WriteStringValue(name);
            }

            writer.WriteEndArray();
            writer.WriteNumber("name_count", e.NameCount);
            WriteNumberOrNull(writer, "bytes", e.Bytes);
            writer.WriteString("path", e.Path);
            writer.WriteString("relay", e.Relay);
            writer.WriteString("result", e.Result);
            writer.WriteString("reason", e.Reason);
            if (e.Seconds is double seconds)
            {
                writer.WriteNumber("seconds", seconds);
            }
            else
            {
                writer.WriteNull("seconds");
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteNumberOrNull(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is long v)
        {
            writer.WriteNumber(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
