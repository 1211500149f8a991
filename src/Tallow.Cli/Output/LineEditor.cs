// The pure state of the chat input line (ChatConsole draws it): the text as runes, the cursor, a
// horizontal scroll offset and the history of lines sent in this session, one transition per key.
// No console I/O here, so it is tested deterministically. Only runes that TerminalText.Clean keeps
// unchanged can be typed, so the line never holds anything a terminal could interpret. Tab asks
// an optional Completer (the code prompt's word completion) what to insert at the cursor.
// Invariants: 0 <= Cursor <= Length; 0 <= scroll <= Cursor after View (the cursor is always shown).
using System.Text;

namespace Tallow.Cli.Output;

internal enum EditResult
{
    /// <summary>The key was handled (or ignored); keep reading.</summary>
    Editing,

    /// <summary>Enter: the line is complete.</summary>
    Submit,

    /// <summary>Ctrl-D on an empty line.</summary>
    EndOfInput,

    /// <summary>Ctrl-C.</summary>
    Interrupt,
}

internal sealed class LineEditor
{
    private readonly List<Rune> _text = [];
    private readonly List<string> _history = [];
    private int _historyIndex;
    private string _draft = string.Empty;
    private int _scroll;
    private char _pendingHighSurrogate;

    public int Cursor { get; private set; }

    public int Length => _text.Count;

    public string Text => Concat(0, _text.Count);

    /// <summary>
    /// Tab: given the text before the cursor, returns what to insert there (null or empty:
    /// nothing). Without one, Tab does nothing. Inserted text is filtered like typed keys.
    /// </summary>
    public Func<string, string?>? Completer { get; init; }

    /// <summary>Applies one key; on Submit the caller takes Text and calls Submitted.</summary>
    public EditResult Apply(ConsoleKeyInfo key)
    {
        char c = key.KeyChar;
        bool control = (key.Modifiers & ConsoleModifiers.Control) != 0;
        char letter = c is >= '\u0001' and <= '\u001a' ? (char)('A' + c - 1)
            : control && key.Key is >= ConsoleKey.A and <= ConsoleKey.Z ? (char)('A' + (key.Key - ConsoleKey.A)) : '\0';
        if (key.Key == ConsoleKey.Enter || c is '\r' or '\n')
        {
            return EditResult.Submit;
        }

        if (key.Key == ConsoleKey.Tab || c == '\t')
        {
            foreach (char inserted in Completer?.Invoke(Concat(0, Cursor)) ?? string.Empty)
            {
                Type(inserted);
            }

            return EditResult.Editing;
        }

        if (key.Key == ConsoleKey.Backspace || c is '\b' or '\u007f')
        {
            Backspace();
            return EditResult.Editing;
        }

        switch (key.Key)
        {
            case ConsoleKey.Delete: DeleteForward(); return EditResult.Editing;
            case ConsoleKey.LeftArrow: MoveLeft(); return EditResult.Editing;
            case ConsoleKey.RightArrow: MoveRight(); return EditResult.Editing;
            case ConsoleKey.Home: Cursor = 0; return EditResult.Editing;
            case ConsoleKey.End: Cursor = _text.Count; return EditResult.Editing;
            case ConsoleKey.UpArrow: HistoryPrevious(); return EditResult.Editing;
            case ConsoleKey.DownArrow: HistoryNext(); return EditResult.Editing;
            default: break;
        }

        switch (letter)
        {
            case 'C': return EditResult.Interrupt;
            case 'D' when _text.Count == 0: return EditResult.EndOfInput;
            case 'D': DeleteForward(); return EditResult.Editing;
            case 'A': Cursor = 0; return EditResult.Editing;
            case 'E': Cursor = _text.Count; return EditResult.Editing;
            case 'B': MoveLeft(); return EditResult.Editing;
            case 'F': MoveRight(); return EditResult.Editing;
            case 'P': HistoryPrevious(); return EditResult.Editing;
            case 'N': HistoryNext(); return EditResult.Editing;
            case 'U': SetText(string.Empty); return EditResult.Editing;
            case 'K': _text.RemoveRange(Cursor, _text.Count - Cursor); return EditResult.Editing;
            case 'W': DeleteWord(); return EditResult.Editing;
            case '\0': break;
            default: return EditResult.Editing; // other control keys do nothing
        }

        Type(c);
        return EditResult.Editing;
    }

    /// <summary>After a Submit: remembers the line in the history and starts an empty one.</summary>
    public void Submitted()
    {
        string line = Text;
        if (line.Length > 0 && (_history.Count == 0 || _history[^1] != line))
        {
            _history.Add(line);
        }

        _historyIndex = _history.Count;
        _draft = string.Empty;
        SetText(string.Empty);
    }

    /// <summary>Starts an empty line (history is kept).</summary>
    public void Reset()
    {
        _historyIndex = _history.Count;
        _draft = string.Empty;
        SetText(string.Empty);
    }

    /// <summary>
    /// The part of the line to draw in a field of <paramref name="columns"/> display columns and the
    /// cursor's column in it. The field scrolls so the cursor is always inside it; the last column is
    /// left free for the cursor at the end of the text.
    /// </summary>
    public (string Visible, int CursorColumn) View(int columns)
    {
        columns = Math.Max(2, columns);
        if (Cursor < _scroll)
        {
            _scroll = Cursor;
        }

        while (_scroll < Cursor && Width(_scroll, Cursor) > columns - 1)
        {
            _scroll++;
        }

        while (_scroll > 0 && Width(_scroll - 1, _text.Count) <= columns - 1)
        {
            _scroll--; // show more of the start again once the rest fits
        }

        int end = _scroll;
        int used = 0;
        while (end < _text.Count && used + TerminalText.Width(_text[end]) <= columns)
        {
            used += TerminalText.Width(_text[end]);
            end++;
        }

        return (Concat(_scroll, end), Width(_scroll, Cursor));
    }

    private void Type(char c)
    {
        Rune rune;
        if (char.IsHighSurrogate(c))
        {
            _pendingHighSurrogate = c; // a rune outside the BMP arrives as two keys
            return;
        }

        if (char.IsLowSurrogate(c))
        {
            if (_pendingHighSurrogate == '\0')
            {
                return;
            }

            rune = new Rune(_pendingHighSurrogate, c);
        }
        else if (!Rune.TryCreate(c, out rune))
        {
            return;
        }

        _pendingHighSurrogate = '\0';
        string s = rune.ToString();
        if (TerminalText.Clean(s) != s)
        {
            return; // controls, bidi, format characters: never part of the line
        }

        _text.Insert(Cursor, rune);
        Cursor++;
    }

    private void Backspace()
    {
        if (Cursor > 0)
        {
            _text.RemoveAt(--Cursor);
        }
    }

    private void DeleteForward()
    {
        if (Cursor < _text.Count)
        {
            _text.RemoveAt(Cursor);
            while (Cursor < _text.Count && TerminalText.Width(_text[Cursor]) == 0)
            {
                _text.RemoveAt(Cursor); // the combining marks of the deleted character go with it
            }
        }
    }

    /// <summary>Moves over a whole character: a base and its combining marks.</summary>
    private void MoveLeft()
    {
        while (Cursor > 0 && TerminalText.Width(_text[--Cursor]) == 0)
        {
        }
    }

    private void MoveRight()
    {
        if (Cursor < _text.Count)
        {
            Cursor++;
        }

        while (Cursor < _text.Count && TerminalText.Width(_text[Cursor]) == 0)
        {
            Cursor++;
        }
    }

    /// <summary>Ctrl-W: the spaces before the cursor, then the word before them.</summary>
    private void DeleteWord()
    {
        int start = Cursor;
        while (start > 0 && Rune.IsWhiteSpace(_text[start - 1]))
        {
            start--;
        }

        while (start > 0 && !Rune.IsWhiteSpace(_text[start - 1]))
        {
            start--;
        }

        _text.RemoveRange(start, Cursor - start);
        Cursor = start;
    }

    private void HistoryPrevious()
    {
        if (_historyIndex == 0)
        {
            return;
        }

        if (_historyIndex == _history.Count)
        {
            _draft = Text; // the line being typed comes back with Down
        }

        SetText(_history[--_historyIndex]);
    }

    private void HistoryNext()
    {
        if (_historyIndex >= _history.Count)
        {
            return;
        }

        _historyIndex++;
        SetText(_historyIndex == _history.Count ? _draft : _history[_historyIndex]);
    }

    private void SetText(string text)
    {
        _text.Clear();
        _text.AddRange(text.EnumerateRunes());
        Cursor = _text.Count;
        _scroll = 0;
        _pendingHighSurrogate = '\0';
    }

    private int Width(int from, int to)
    {
        int width = 0;
        for (int i = from; i < to; i++)
        {
            width += TerminalText.Width(_text[i]);
        }

        return width;
    }

    private string Concat(int from, int to)
    {
        var sb = new StringBuilder();
        for (int i = from; i < to; i++)
        {
            sb.Append(_text[i].ToString());
        }

        return sb.ToString();
    }
}
