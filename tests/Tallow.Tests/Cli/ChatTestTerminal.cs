// Test doubles for ChatConsole: ScriptedKeys feeds keys and tells when all of them were handled;
// VirtualTerminal interprets exactly the bytes ChatConsole may emit (\r, \n, ESC[K, ESC[nD and
// printable text, wide characters taking two cells) and fails on anything else, so a test can
// assert on the final screen rows; GuardedWriter records writes and fails when two overlap.
using System.Text;
using Tallow.Cli.Output;

namespace Tallow.Tests.Cli;

internal sealed class ScriptedKeys : IKeySource
{
    private readonly Queue<ConsoleKeyInfo> _queue = new();
    private readonly object _lock = new();
    private bool _waiting;

    public void Type(string text)
    {
        foreach (char c in text)
        {
            Add(new ConsoleKeyInfo(c, 0, false, false, false));
        }
    }

    public void Press(ConsoleKey key, char c = '\0') => Add(new ConsoleKeyInfo(c, key, false, false, false));

    public void Control(char letter) => Add(new ConsoleKeyInfo((char)(letter - 'A' + 1), ConsoleKey.A + (letter - 'A'), false, false, true));

    public void Enter() => Press(ConsoleKey.Enter, '\r');

    public void Add(ConsoleKeyInfo key)
    {
        lock (_lock)
        {
            _queue.Enqueue(key);
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Blocks until every key was taken and the reader asks for the next one (so the last key was handled).</summary>
    public void WaitIdle()
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        lock (_lock)
        {
            while (!(_waiting && _queue.Count == 0))
            {
                Assert.True(DateTime.UtcNow < deadline, "the console did not ask for another key");
                Monitor.Wait(_lock, 10);
            }
        }
    }

    public ConsoleKeyInfo ReadKey(CancellationToken ct)
    {
        lock (_lock)
        {
            try
            {
                while (_queue.Count == 0)
                {
                    _waiting = true;
                    Monitor.PulseAll(_lock);
                    ct.ThrowIfCancellationRequested();
                    Monitor.Wait(_lock, 10);
                }
            }
            finally
            {
                _waiting = false;
            }

            return _queue.Dequeue();
        }
    }
}

/// <summary>A StringWriter that fails a test when two threads write at once.</summary>
internal sealed class GuardedWriter : StringWriter
{
    private int _inside;

    public int Overlaps { get; private set; }

    public override void Write(string? value)
    {
        if (Interlocked.Increment(ref _inside) != 1)
        {
            Overlaps++;
        }

        Thread.SpinWait(20); // widen the window an unlocked caller would hit
        base.Write(value);
        Interlocked.Decrement(ref _inside);
    }
}

internal sealed class VirtualTerminal(int width)
{
    private readonly List<string?[]> _rows = [new string?[width]];

    public int Row { get; private set; }

    public int Column { get; private set; }

    public static VirtualTerminal Render(string output, int width)
    {
        var vt = new VirtualTerminal(width);
        vt.Feed(output);
        return vt;
    }

    /// <summary>The screen's rows, trailing spaces and trailing empty rows removed.</summary>
    public IReadOnlyList<string> Rows()
    {
        var rows = _rows.Select(cells => string.Concat(cells.Select(c => c ?? " ")).TrimEnd()).ToList();
        while (rows.Count > 0 && rows[^1].Length == 0)
        {
            rows.RemoveAt(rows.Count - 1);
        }

        return rows;
    }

    public void Feed(string output)
    {
        var runes = output.EnumerateRunes().ToList();
        for (int i = 0; i < runes.Count; i++)
        {
            Rune r = runes[i];
            if (r.Value == '\r')
            {
                Column = 0;
            }
            else if (r.Value == '\n')
            {
                NewLine();
            }
            else if (r.Value == 0x1b)
            {
                Assert.True(i + 2 < runes.Count && runes[i + 1].Value == '[', "ESC not followed by '['");
                int j = i + 2;
                int n = 0;
                bool digits = false;
                while (j < runes.Count && runes[j].Value is >= '0' and <= '9')
                {
                    n = (n * 10) + (runes[j].Value - '0');
                    digits = true;
                    j++;
                }

                Assert.True(j < runes.Count, "unterminated CSI");
                if (runes[j].Value == 'K' && !digits)
                {
                    Array.Fill(_rows[Row], null, Column, width - Column);
                }
                else if (runes[j].Value == 'D' && digits)
                {
                    Column = Math.Max(0, Column - n);
                }
                else
                {
                    Assert.Fail($"unexpected CSI final '{runes[j]}'");
                }

                i = j;
            }
            else
            {
                Assert.False(Rune.IsControl(r), $"control U+{r.Value:X4} reached the terminal");
                Put(r);
            }
        }
    }

    private void Put(Rune r)
    {
        int w = TerminalText.Width(r);
        if (w == 0)
        {
            return;
        }

        if (Column + w > width)
        {
            NewLine(); // autowrap
            Column = 0;
        }

        _rows[Row][Column] = r.ToString();
        if (w == 2)
        {
            _rows[Row][Column + 1] = string.Empty;
        }

        Column += w;
    }

    private void NewLine()
    {
        Row++;
        if (Row == _rows.Count)
        {
            _rows.Add(new string?[width]);
        }
    }
}
