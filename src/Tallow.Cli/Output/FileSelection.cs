// The pure state of the interactive file selector (`receive --select`, DESIGN.md §8 "Accept with
// a file subset"): cursor, scroll offset, selection set and an optional filter, one transition per
// key; FileSelection.Render.cs draws it. No console I/O here, so it is tested deterministically.
// Invariants: 0 <= Cursor < Shown (0 when nothing is shown); the cursor row is always inside the
// window; a/n act on the shown files only; the footer always counts the whole offer.
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

internal sealed partial class FileSelection
{
    public const int MaxFilterLength = 200;

    private readonly IReadOnlyList<SelectableFile> _files;
    private readonly string[] _names;
    private readonly bool[] _selected;
    private readonly ulong _totalBytes;
    private List<int> _shown;

    public FileSelection(IReadOnlyList<SelectableFile> files)
    {
        _files = files;
        _names = [.. files.Select(f => TerminalText.Clean(f.Path))];
        _selected = new bool[files.Count];
        Array.Fill(_selected, true);
        _shown = [.. Enumerable.Range(0, files.Count)];
        SelectedCount = files.Count;
        foreach (SelectableFile file in files)
        {
            _totalBytes += file.Size;
        }

        SelectedBytes = _totalBytes;
    }

    public int Count => _files.Count;

    /// <summary>How many files match the filter (all without one).</summary>
    public int Shown => _shown.Count;

    /// <summary>Position of the cursor among the shown files.</summary>
    public int Cursor { get; private set; }

    /// <summary>The file under the cursor (an index into the files), or -1 when nothing is shown.</summary>
    public int CurrentFile => _shown.Count == 0 ? -1 : _shown[Cursor];

    /// <summary>Position of the first shown file in the window.</summary>
    public int Top { get; private set; }

    public int SelectedCount { get; private set; }

    public ulong SelectedBytes { get; private set; }

    public SelectionState State { get; private set; }

    /// <summary>Case-insensitive text the shown paths contain ("" = all files).</summary>
    public string Filter { get; private set; } = string.Empty;

    /// <summary>True while keys edit the filter (after '/').</summary>
    public bool EditingFilter { get; private set; }

    public bool IsSelected(int index) => _selected[index];

    /// <summary>Indices of the selected files, ascending (whatever the filter shows).</summary>
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
        if (IsControlC(key))
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

    /// <summary>
    /// Handles one key as the user typed it: '/' starts editing the filter, where text keys edit it,
    /// Backspace deletes, Enter keeps it and Esc clears it; outside editing, Esc first clears an active
    /// filter and otherwise cancels. Ctrl-C always cancels. Other keys go through <see cref="KeyOf"/>.
    /// </summary>
    public void Press(ConsoleKeyInfo key, int height)
    {
        if (State != SelectionState.Choosing)
        {
            return;
        }

        bool escape = key.Key == ConsoleKey.Escape || key.KeyChar == '\x1b';
        if (IsControlC(key))
        {
            Apply(SelectorKey.Cancel, height);
        }
        else if (EditingFilter)
        {
            EditFilter(key, escape, height);
        }
        else if (key.KeyChar == '/')
        {
            EditingFilter = true;
        }
        else if (escape && Filter.Length > 0)
        {
            SetFilter(string.Empty, height);
        }
        else
        {
            Apply(KeyOf(key), height);
        }
    }

    /// <summary>Applies one key; <paramref name="height"/> is the terminal height (for paging and scrolling).</summary>
    public void Apply(SelectorKey key, int height)
    {
        if (State != SelectionState.Choosing)
        {
            return;
        }

        int page = Math.Max(1, ListRows(height) - 1);
        int last = Math.Max(0, Shown - 1);
        switch (key)
        {
            case SelectorKey.Up: Cursor = Math.Max(0, Cursor - 1); break;
            case SelectorKey.Down: Cursor = Math.Min(last, Cursor + 1); break;
            case SelectorKey.PageUp: Cursor = Math.Max(0, Cursor - page); break;
            case SelectorKey.PageDown: Cursor = Math.Min(last, Cursor + page); break;
            case SelectorKey.Home: Cursor = 0; break;
            case SelectorKey.End: Cursor = last; break;
            case SelectorKey.Toggle when Shown > 0: Set(_shown[Cursor], !_selected[_shown[Cursor]]); break;
            case SelectorKey.SelectAll: SetShown(true); break;
            case SelectorKey.SelectNone: SetShown(false); break;
            case SelectorKey.Confirm: State = SelectionState.Confirmed; EditingFilter = false; break;
            case SelectorKey.Cancel: State = SelectionState.Cancelled; EditingFilter = false; break;
            default: break;
        }

        Top = WindowTop(height);
    }

    private static bool IsControlC(ConsoleKeyInfo key) =>
        (key.Key == ConsoleKey.C && key.Modifiers.HasFlag(ConsoleModifiers.Control)) || key.KeyChar == '\x03';

    private void EditFilter(ConsoleKeyInfo key, bool escape, int height)
    {
        if (escape)
        {
            EditingFilter = false;
            SetFilter(string.Empty, height);
        }
        else if (key.Key == ConsoleKey.Enter || key.KeyChar is '\r' or '\n')
        {
            EditingFilter = false;
        }
        else if (key.Key == ConsoleKey.Backspace || key.KeyChar is '\b' or '\x7f')
        {
            int cut = Filter.Length >= 2 && char.IsLowSurrogate(Filter[^1]) ? 2 : 1;
            SetFilter(Filter.Length >= cut ? Filter[..^cut] : string.Empty, height);
        }
        else if (key.KeyChar != '\0' && !char.IsControl(key.KeyChar) && Filter.Length < MaxFilterLength)
        {
            SetFilter(Filter + key.KeyChar, height);
        }
        else
        {
            SelectorKey move = KeyOf(key); // arrows and paging still move while typing
            Apply(move is SelectorKey.Up or SelectorKey.Down or SelectorKey.PageUp or SelectorKey.PageDown or SelectorKey.Home or SelectorKey.End ? move : SelectorKey.None, height);
        }
    }

    /// <summary>Shows the files whose path contains <paramref name="filter"/>; the cursor stays on its file when that still shows.</summary>
    private void SetFilter(string filter, int height)
    {
        int current = CurrentFile;
        Filter = filter;
        string needle = TerminalText.Clean(filter);
        _shown = needle.Length == 0
            ? [.. Enumerable.Range(0, Count)]
            : [.. Enumerable.Range(0, Count).Where(i => _names[i].Contains(needle, StringComparison.OrdinalIgnoreCase))];
        int at = current < 0 ? -1 : _shown.BinarySearch(current);
        Cursor = Math.Max(0, at);
        Top = at < 0 ? 0 : Top;
        Top = WindowTop(height);
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

    private void SetShown(bool value)
    {
        if (Shown == Count)
        {
            Array.Fill(_selected, value);
            SelectedCount = value ? Count : 0;
            SelectedBytes = value ? _totalBytes : 0;
            return;
        }

        foreach (int index in _shown)
        {
            Set(index, value);
        }
    }
}
