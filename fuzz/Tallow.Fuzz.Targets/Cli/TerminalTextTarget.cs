// Target "terminal-text": what stands between peer- or relay-chosen text and the user's terminal.
//   TerminalSafeStream (a received text/stream shown on a terminal), written in pieces the input
//   chooses: every byte comes out (same length), with no C0/C1 control, DEL or bidi control left.
//   TerminalText.Clean/CleanLines/Fit/FitMiddle (names, chat, relay errors) on the same bytes seen
//   as UTF-8 and as raw UTF-16: nothing a terminal interprets survives, fitted text fits.
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Tallow.Cli.Output;

namespace Tallow.Fuzz.Targets.Cli;

public static class TerminalTextTarget
{
    public static readonly FuzzTarget TerminalTextCleaning = new("terminal-text", "TerminalSafeStream, TerminalText.Clean/CleanLines/Fit/FitMiddle", Fuzz, Seeds);

    public static void Fuzz(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        CheckStream(data[0], data[1..]);
        CheckText(Encoding.UTF8.GetString(data[1..]), data[0]);
        CheckText(new string(MemoryMarshal.Cast<byte, char>(data[1..(1 + ((data.Length - 1) & ~1))])), data[0]);
    }

    private static void CheckStream(byte pattern, ReadOnlySpan<byte> text)
    {
        var output = new MemoryStream();
        using (var safe = new TerminalSafeStream(output))
        {
            int position = 0;
            int piece = 0;
            while (position < text.Length)
            {
                int length = Math.Min(text.Length - position, 1 + ((pattern >> (piece++ % 8)) & 3) * (1 + (pattern & 7)));
                safe.Write(text.Slice(position, length));
                position += length;
            }
        }

        byte[] shown = output.ToArray();
        FuzzInvariantException.Check(shown.Length == text.Length, "TerminalSafeStream: output length differs from the input");
        for (int i = 0; i < shown.Length; i++)
        {
            byte b = shown[i];
            int next = i + 1 < shown.Length ? shown[i + 1] : -1;
            int third = i + 2 < shown.Length ? shown[i + 2] : -1;
            bool control = (b < 0x20 && b is not (byte)'\n' and not (byte)'\t') || b == 0x7F
                || (b == 0xC2 && next is >= 0x80 and <= 0x9F)
                || (b == 0xD8 && next == 0x9C)
                || (b == 0xE2 && next == 0x80 && third is 0x8E or 0x8F or (>= 0xAA and <= 0xAE))
                || (b == 0xE2 && next == 0x81 && third is >= 0xA6 and <= 0xA9);
            FuzzInvariantException.Check(!control, $"TerminalSafeStream let a control through at byte {i}");
        }
    }

    private static void CheckText(string text, byte columnsByte)
    {
        string clean = TerminalText.Clean(text);
        FuzzInvariantException.Check(!HasUnsafeRune(clean), "TerminalText.Clean left an unsafe character");
        string lines = TerminalText.CleanLines(text);
        FuzzInvariantException.Check(lines.Split('\n').All(line => !HasUnsafeRune(line)), "TerminalText.CleanLines left an unsafe character");

        int columns = columnsByte % 80;
        string fitted = TerminalText.Fit(clean, columns);
        FuzzInvariantException.Check(TerminalText.Width(fitted) <= Math.Max(0, columns), "TerminalText.Fit: wider than asked");
        string middle = TerminalText.FitMiddle(clean, columns);
        FuzzInvariantException.Check(columns < 1 || TerminalText.Width(middle) <= columns, "TerminalText.FitMiddle: wider than asked");
    }

    private static bool HasUnsafeRune(string text)
    {
        foreach (Rune rune in text.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned)
            {
                return true;
            }
        }

        return false;
    }

    public static IEnumerable<byte[]> Seeds()
    {
        yield return [0x13, .. "plain text\nwith\ttabs and 日本語 and 👋\n"u8];
        yield return [0x2A, .. "\u001b]0;owned\u0007 \u001b[31mred\u001b[0m \u0085 \u202Egnp.exe \u2066x\u2069 \u061C\r\n"u8];
        yield return [0x01, 0xE2, 0x80, 0xAE, 0xC2, 0x9B, 0xE2];
    }
}
