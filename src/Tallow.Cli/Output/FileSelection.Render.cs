// Drawing the file selector (see FileSelection.cs) for a terminal of a given size, as plain lines:
// help or filter line, a window of rows "> [x] name  size", and the "N of M files" footer.
// Every line is free of control characters and at most width-1 display columns; at most
// height-1 lines, so drawing never scrolls the terminal. Tiny heights drop the help, then the footer.
namespace Tallow.Cli.Output;

/// <summary>What <see cref="FileSelection.Render"/> produced: the lines, and which one holds the cursor (-1: none).</summary>
internal sealed record SelectorFrame(IReadOnlyList<string> Lines, int CursorLine);

internal sealed partial class FileSelection
{
    /// <summary>The help line, longest first: the first that fits the width is shown.</summary>
    public static readonly string[] Help =
    [
        "Select files to receive: Up/Down or j/k move, Space toggles, a all, n none, / filters, Enter accepts, Esc or q cancels",
        "Space toggle, a all, n none, / filter, Enter accept, q cancel",
        "Space a n / Enter q",
    ];

    /// <summary>The footer: "N of M files, X of Y selected".</summary>
    public string Footer() => $"{SelectedCount} of {Count} files, {Units.Bytes(SelectedBytes)} of {Units.Bytes(_totalBytes)} selected";

    /// <summary>Renders the selector for a terminal of <paramref name="width"/> x <paramref name="height"/> (0 or less: unknown, 80x24 assumed).</summary>
    public SelectorFrame Render(int width, int height)
    {
        int columns = Math.Max(1, (width > 0 ? width : 80) - 1);
        (bool header, int rows, bool footer) = Layout(height);
        int top = WindowTop(height);
        var lines = new List<string>();
        if (header)
        {
            lines.Add(HeaderLine(columns));
        }

        int cursorLine = -1;
        if (Shown == 0 && rows > 0)
        {
            lines.Add(TerminalText.Fit(Count == 0 ? "(the offer contains no files)" : "(no file matches the filter)", columns));
        }

        for (int i = top; i < Math.Min(Shown, top + rows); i++)
        {
            if (i == Cursor)
            {
                cursorLine = lines.Count;
            }

            lines.Add(Row(i, columns));
        }

        if (footer)
        {
            lines.Add(FooterLine(top, rows, columns));
        }

        return new SelectorFrame(lines, cursorLine);
    }

    private string HeaderLine(int columns)
    {
        if (!EditingFilter && Filter.Length == 0)
        {
            return TerminalText.Fit(Help.FirstOrDefault(h => h.Length <= columns) ?? Help[^1], columns);
        }

        string hint = EditingFilter ? "  (Enter keeps, Esc clears)" : "  (/ edits, Esc clears)";
        string filter = "Filter: " + TerminalText.Clean(Filter) + (EditingFilter ? "_" : string.Empty);
        return TerminalText.Fit(TerminalText.Width(filter + hint) <= columns ? filter + hint : filter, columns);
    }

    /// <summary>The footer with the window position when the list scrolls or is filtered, shortened step by step for narrow terminals.</summary>
    private string FooterLine(int top, int rows, int columns)
    {
        string full = Footer();
        string range = Shown == 0 ? "0" : $"{top + 1}-{Math.Min(Shown, top + rows)}";
        string position = Filter.Length > 0 ? $" [{range} of {Shown} matching]" : Count > rows ? $" [{range} of {Count}]" : string.Empty;
        string[] candidates =
        [
            full + position,
            full,
            $"{SelectedCount}/{Count} files, {Units.Bytes(SelectedBytes)}",
            $"{SelectedCount}/{Count}",
        ];
        return TerminalText.Fit(candidates.FirstOrDefault(c => c.Length <= columns) ?? candidates[^1], columns);
    }

    /// <summary>Which parts fit in a terminal of this height: tiny terminals keep the list row first, then the footer, then the help.</summary>
    private static (bool Header, int Rows, bool Footer) Layout(int height)
    {
        int budget = Math.Max(1, (height > 0 ? height : 24) - 1);
        return budget switch
        {
            1 => (false, 1, false),
            2 => (false, 1, true),
            _ => (true, budget - 2, true),
        };
    }

    private static int ListRows(int height) => Layout(height).Rows;

    /// <summary>The scroll offset that keeps the cursor visible, moving as little as possible from <see cref="Top"/>.</summary>
    private int WindowTop(int height)
    {
        int rows = ListRows(height);
        int top = Math.Clamp(Top, Math.Max(0, Cursor - rows + 1), Cursor);
        return Math.Clamp(top, 0, Math.Max(0, Shown - rows));
    }

    /// <summary>The row of the shown file at <paramref name="position"/>: cursor mark, checkbox, name cut in the middle, size.</summary>
    private string Row(int position, int columns)
    {
        int index = _shown[position];
        string prefix = (position == Cursor ? "> " : "  ") + (_selected[index] ? "[x] " : "[ ] ");
        string size = "  " + Units.Bytes(_files[index].Size);
        int nameColumns = columns - prefix.Length - size.Length;
        if (nameColumns < 8)
        {
            return TerminalText.Fit(prefix + TerminalText.FitMiddle(_names[index], Math.Max(0, columns - prefix.Length)), columns);
        }

        return prefix + TerminalText.Pad(TerminalText.FitMiddle(_names[index], nameColumns), nameColumns) + size;
    }
}
