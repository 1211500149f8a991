// Which of the types a clipboard offers tallow takes (protocol.md "Clipboard"): the first image
// type of ClipMime.Known it offers, else text under any of the names X11 and Wayland give it.
// The type on the wire is always a ClipMime one; the local name is what the tool is asked for.
using Tallow.Wire;

namespace Tallow.Cli.Clipboard;

internal static class ClipboardTypes
{
    public const string X11Text = "UTF8_STRING";

    /// <summary>Local names of UTF-8 text, best first (Wayland MIME types, then X11 targets).</summary>
    private static readonly string[] TextNames = [ClipMime.Text, "text/plain;charset=UTF-8", X11Text, "text/plain", "STRING", "TEXT"];

    /// <summary>(wire type, local type) to read, or null when nothing offered is something tallow moves.</summary>
    public static (string Wire, string Local)? Choose(IReadOnlyList<string> offered)
    {
        foreach (string known in ClipMime.Known)
        {
            if (!ClipMime.IsText(known) && offered.Contains(known, StringComparer.Ordinal))
            {
                return (known, known);
            }
        }

        foreach (string name in TextNames)
        {
            if (offered.Contains(name, StringComparer.Ordinal))
            {
                return (ClipMime.Text, name);
            }
        }

        return null;
    }

    /// <summary>A tool's list of types, one per line, bounded in count.</summary>
    public static IReadOnlyList<string> Lines(byte[]? output) =>
        output is null ? [] : [.. System.Text.Encoding.UTF8.GetString(output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(256)];
}
