// Text a peer named, made safe and measurable for a terminal: PathSanitizer.Printable first
// (controls, ANSI, bidi overrides), then every remaining rune that a terminal may interpret or
// draw unpredictably (format, separators, unassigned, invalid UTF-16) becomes '?'. Widths are
// display columns (East Asian wide = 2, combining = 0), a wcwidth approximation.
using System.Globalization;
using System.Text;
using Tallow.Protocol.Transfer;

namespace Tallow.Cli.Output;

internal static class TerminalText
{
    public const string Ellipsis = "…";

    /// <summary>The text with nothing left that a terminal could interpret as a control.</summary>
    public static string Clean(string text)
    {
        string printable = PathSanitizer.Printable(text);
        var sb = new StringBuilder(printable.Length);
        foreach (Rune rune in printable.EnumerateRunes())
        {
            bool unsafeRune = Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
                or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned;
            if (unsafeRune)
            {
                sb.Append('?');
            }
            else
            {
                sb.Append(rune.ToString());
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// Clean, line by line: the line breaks of a message stay, nothing else a terminal could act on
    /// does (for status and error lines, which may quote a relay or a peer).
    /// </summary>
    public static string CleanLines(string text)
    {
        string[] lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            lines[i] = Clean(lines[i]);
        }

        return string.Join('\n', lines);
    }

    /// <summary>Display columns of clean text.</summary>
    public static int Width(string clean)
    {
        int width = 0;
        foreach (Rune rune in clean.EnumerateRunes())
        {
            width += Width(rune);
        }

        return width;
    }

    public static int Width(Rune rune)
    {
        UnicodeCategory category = Rune.GetUnicodeCategory(rune);
        if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format)
        {
            return 0;
        }

        int v = rune.Value;
        bool wide = (v >= 0x1100 && v <= 0x115F) || (v >= 0x2E80 && v <= 0x303E) || (v >= 0x3041 && v <= 0x33FF)
            || (v >= 0x3400 && v <= 0x4DBF) || (v >= 0x4E00 && v <= 0x9FFF) || (v >= 0xA000 && v <= 0xA4CF)
            || (v >= 0xAC00 && v <= 0xD7A3) || (v >= 0xF900 && v <= 0xFAFF) || (v >= 0xFE30 && v <= 0xFE4F)
            || (v >= 0xFF00 && v <= 0xFF60) || (v >= 0xFFE0 && v <= 0xFFE6) || (v >= 0x1F300 && v <= 0x1F64F)
            || (v >= 0x1F900 && v <= 0x1F9FF) || (v >= 0x20000 && v <= 0x3FFFD);
        return wide ? 2 : 1;
    }

    /// <summary>Clean text cut to at most <paramref name="columns"/> display columns; the end is kept when it fits, else the start.</summary>
    public static string Fit(string clean, int columns)
    {
        if (columns <= 0)
        {
            return string.Empty;
        }

        return Width(clean) <= columns ? clean : Head(clean, columns - 1) + Ellipsis;
    }

    /// <summary>Clean text cut in the middle ("photos/20…/IMG_0001.jpg") to at most <paramref name="columns"/> columns.</summary>
    public static string FitMiddle(string clean, int columns)
    {
        if (Width(clean) <= columns)
        {
            return clean;
        }

        if (columns < 8)
        {
            return Fit(clean, columns);
        }

        string head = Head(clean, (columns - 1) / 4); // the end (the file's own name) matters most
        return head + Ellipsis + Tail(clean, columns - 1 - Width(head));
    }

    /// <summary>Pads clean text with spaces to exactly <paramref name="columns"/> columns (it must fit).</summary>
    public static string Pad(string clean, int columns) => clean + new string(' ', Math.Max(0, columns - Width(clean)));

    private static string Head(string clean, int columns)
    {
        var sb = new StringBuilder();
        int used = 0;
        foreach (Rune rune in clean.EnumerateRunes())
        {
            int w = Width(rune);
            if (used + w > columns)
            {
                break;
            }

            sb.Append(rune.ToString());
            used += w;
        }

        return sb.ToString();
    }

    private static string Tail(string clean, int columns)
    {
        var runes = new List<Rune>(clean.EnumerateRunes());
        int used = 0;
        int start = runes.Count;
        while (start > 0 && used + Width(runes[start - 1]) <= columns)
        {
            start--;
            used += Width(runes[start]);
        }

        // A tail must not begin with a combining mark that lost its base character.
        while (start < runes.Count && Width(runes[start]) == 0)
        {
            start++;
        }

        var sb = new StringBuilder();
        for (int i = start; i < runes.Count; i++)
        {
            sb.Append(runes[i].ToString());
        }

        return sb.ToString();
    }
}
