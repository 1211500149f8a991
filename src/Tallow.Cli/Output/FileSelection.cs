// The pure state of the interactive file selector (`receive --select`, DESIGN.md §8 "Accept with
// a file subset"): cursor, scroll offset and selection set, one transition per key, and a render
// to plain lines for a given terminal size. No console I/O here, so it is tested deterministically.
// Invariants: 0 <= Cursor < Count (0 when empty); the cursor row is always inside the window;
// every rendered line is free of control characters and at most width-1 display columns.
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Cli.Output;

/// <summary>One offered file as the selector shows it: its '/'-separated path and size.</summary>
internal readonly record struct SelectableFile(string Path, ulong Size);

internal enum SelectorKey
{
    None, Up, Down, PageUp, PageDown, Home, End, Toggle, SelectAll, SelectNone, Confirm, Cancel,
}

internal enum SelectionState
{
    Choosing, Confirmed, Cancelled,
}

/// <summary>What <see cref="FileSelection.Render"/> produced: the lines, and which one holds the cursor (-1: none).</summary>
internal sealed record SelectorFrame(IReadOnlyList<string> Lines, int CursorLine);

internal sealed class FileSelection
{
    /// <summary>The help line, longest first: the first that fits the width is shown.</summary>
    public static readonly string[] Help =
    [
        "Select files to receive: Up/Down or j/k move, Space toggles, a all, n none, Enter accepts, Esc or q cancels",
        "Space toggle, a all, n none, Enter accept, q cancel",
        "Space a n Enter q",
    ];

    private readonly IReadOnlyList<SelectableFile> _files;
    private readonly string[] _names;
    private readonly bool[] _selected;
    private readonly ulong _totalBytes;

    public FileSelection(IReadOnlyList<SelectableFile> files)
    {
        _files = files;
        _names = [.. files.Select(f => TerminalText.Clean(f.Path))];
        _selected = new bool[files.Count];
        Array.Fill(_selected, true);
        SelectedCount = files.Count;
        foreach (SelectableFile file in files)
        {
            _totalBytes += file.Size;
        }

        SelectedBytes = _totalBytes;
    }

    public int Count => _files.Count;

    public int Cursor { get; private set; }

    /// <summary>Index of the first file in the window.</summary>
    public int Top { get; private set; }

    public int SelectedCount { get; private set; }

    public ulong SelectedBytes { get; private set; }

    public SelectionState State { get; private set; }

    public bool IsSelected(int index) => _selected[index];

    /// <summary>Indices of the selected files, ascending.</summary>
    public IReadOnlyList<int> SelectedIndices() => [.. Enumerable.Range(0, Count).Where(i => _selected[i])];

    /// <summary>The files of a Files offer, and for each the index of its entry in the offer.</summary>
    public static (IReadOnlyList<SelectableFile> Files, IReadOnlyList<int> EntryIndices) FromOffer(TransferOffer offer)
    {
        var files = new List<SelectableFile>();
        var entries = new List<int>();
        for (int i = 0; i < offer.Entries.Count; i++)
        {
            if (offer.Entries[i].Type == EntryType.File)
            {
                files.Add(new SelectableFile(offer.Entries[i].Path, offer.Entries[i].Size));
                entries.Add(i);
            }
        }

        return (files, entries);
    }

    /// <summary>Maps a console key to a selector key (arrows, vi keys, paging, Space, a/n, Enter, Esc/q/Ctrl-C).</summary>
    public static SelectorKey KeyOf(ConsoleKeyInfo key)
    {
        if ((key.Key == ConsoleKey.C && key.Modifiers.HasFlag(ConsoleModifiers.Control)) || key.KeyChar == '\x03')
        {
            return SelectorKey.Cancel;
        }

        return key.Key switch
        {
            ConsoleKey.UpArrow => SelectorKey.Up,
            ConsoleKey.DownArrow => SelectorKey.Down,
            ConsoleKey.PageUp => SelectorKey.PageUp,
            ConsoleKey.PageDown => SelectorKey.PageDown,
            ConsoleKey.Home => SelectorKey.Home,
            ConsoleKey.End => SelectorKey.End,
            ConsoleKey.Spacebar => SelectorKey.Toggle,
            ConsoleKey.Enter => SelectorKey.Confirm,
            ConsoleKey.Escape => SelectorKey.Cancel,
            _ => key.KeyChar switch
            {
                'k' => SelectorKey.Up,
                'j' => SelectorKey.Down,
                ' ' => SelectorKey.Toggle,
                'a' or 'A' => SelectorKey.SelectAll,
                'n' or 'N' => SelectorKey.SelectNone,
                'q' or 'Q' => SelectorKey.Cancel,
                '\r' or '\n' => SelectorKey.Confirm,
                '\x1b' => SelectorKey.Cancel,
                _ => SelectorKey.None,
            },
        };
    }

    /// <summary>Applies one key; <paramref name="height"/> is the terminal height (for paging and scrolling).</summary>
    public void Apply(SelectorKey key, int height)
    {
        if (State != SelectionState.Choosing)
        {
            return;
        }

        int page = Math.Max(1, ListRows(height) - 1);
        int last = Math.Max(0, Count - 1);
        switch (key)
        {
            case SelectorKey.Up: Cursor = Math.Max(0, Cursor - 1); break;
            case SelectorKey.Down: Cursor = Math.Min(last, Cursor + 1); break;
            case SelectorKey.PageUp: Cursor = Math.Max(0, Cursor - page); break;
            case SelectorKey.PageDown: Cursor = Math.Min(last, Cursor + page); break;
            case SelectorKey.Home: Cursor = 0; break;
            case SelectorKey.End: Cursor = last; break;
            case SelectorKey.Toggle when Count > 0: Set(Cursor, !_selected[Cursor]); break;
            case SelectorKey.SelectAll: SetAll(true); break;
            case SelectorKey.SelectNone: SetAll(false); break;
            case SelectorKey.Confirm: State = SelectionState.Confirmed; break;
            case SelectorKey.Cancel: State = SelectionState.Cancelled; break;
            default: break;
        }

        Top = WindowTop(height);
    }

    /// <summary>The footer: "N of M files, X of Y selected".</summary>
    public string Footer() => $"{SelectedCount} of {Count} files, {Units.Bytes(SelectedBytes)} of {Units.Bytes(_totalBytes)} selected";

    /// <summary>
    /// Renders the selector for a terminal of <paramref name="width"/> x <paramref name="height"/> (0 or less: unknown).
    /// At most height-1 lines (so drawing never scrolls the terminal), each at most width-1 columns (so it never wraps).
    /// </summary>
    public SelectorFrame Render(int width, int height)
    {
        int columns = Math.Max(1, (width > 0 ? width : 80) - 1);
        (bool header, int rows, bool footer) = Layout(height);
        int top = WindowTop(height);
        var lines = new List<string>();
        if (header)
        {
            lines.Add(TerminalText.Fit(Help.FirstOrDefault(h => h.Length <= columns) ?? Help[^1], columns));
        }

        int cursorLine = -1;
        if (Count == 0 && rows > 0)
        {
            lines.Add(TerminalText.Fit("(the offer contains no files)", columns));
        }

        for (int i = top; i < Math.Min(Count, top + rows); i++)
        {
            if (i == Cursor)
            {
                cursorLine = lines.Count;
            }

            lines.Add(Row(i, columns));
        }

        if (footer)
        {
            lines.Add(FitFooter(top, rows, columns));
        }

        return new SelectorFrame(lines, cursorLine);
    }

    /// <summary>The footer with the window position when the list scrolls, shortened step by step for narrow terminals.</summary>
    private string FitFooter(int top, int rows, int columns)
    {
        string full = Footer();
        string position = Count > rows ? $" [{top + 1}-{Math.Min(Count, top + rows)} of {Count}]" : string.Empty;
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
        return Math.Clamp(top, 0, Math.Max(0, Count - rows));
    }

    private string Row(int index, int columns)
    {
        string prefix = (index == Cursor ? "> " : "  ") + (_selected[index] ? "[x] " : "[ ] ");
        string size = "  " + Units.Bytes(_files[index].Size);
        int nameColumns = columns - prefix.Length - size.Length;
        if (nameColumns < 8)
        {
            return TerminalText.Fit(prefix + TerminalText.FitMiddle(_names[index], Math.Max(0, columns - prefix.Length)), columns);
        }

        return prefix + TerminalText.Pad(TerminalText.FitMiddle(_names[index], nameColumns), nameColumns) + size;
    }

    private void Set(int index, bool value)
    {
        if (_selected[index] == value)
        {
            return;
        }

        _selected[index] = value;
        SelectedCount += value ? 1 : -1;
        SelectedBytes = value ? SelectedBytes + _files[index].Size : SelectedBytes - _files[index].Size;
    }

    private void SetAll(bool value)
    {
        Array.Fill(_selected, value);
        SelectedCount = value ? Count : 0;
        SelectedBytes = value ? _totalBytes : 0;
    }
}
