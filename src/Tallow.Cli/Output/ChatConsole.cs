// The terminal line UI of `tallow chat` (and of CodePrompt, drawn on stderr): one input line at the
// bottom ("> " and what is being typed, edited by LineEditor) and incoming messages printed above
// it, so a message never garbles the line being typed. WriteLine may be called from any thread while ReadLineAsync is pending:
// under one lock it erases the input line (\r, ESC[K), prints the message line(s) and redraws the
// prompt, the visible part of the input and the cursor, each in a single write. Only \r, \r\n,
// ESC[K and ESC[nD are ever emitted; every text from the network goes through TerminalText.Clean.
// Where to draw: the caller passes the terminal writer. The chat transcript is the command's
// output, so it belongs on stdout (Console.Out) and the prompt goes there too, because the redraw
// relies on the cursor being where the last write left it; use this only when stdin and stdout are
// terminals (otherwise read and print plain lines).
using System.Text;

namespace Tallow.Cli.Output;

/// <summary>Where ChatConsole reads keys from; ReadKey blocks until a key arrives or <paramref name="ct"/> is cancelled.</summary>
internal interface IKeySource
{
    ConsoleKeyInfo ReadKey(CancellationToken ct);
}

internal sealed class ChatConsole : IDisposable
{
    private const string EraseLine = "\r\u001b[K";
    private const int FallbackWidth = 80;

    private readonly IKeySource _keys;
    private readonly TextWriter _terminal;
    private readonly string _prompt;
    private readonly int _promptWidth;
    private readonly Func<int> _width;
    private readonly LineEditor _editor;
    private readonly Lock _gate = new();
    private bool _reading;
    private bool _disposed;

    /// <param name="keys">Owned: disposed with this console when it is IDisposable.</param>
    /// <param name="terminal">Everything is drawn here (see the header: stdout on a terminal).</param>
    /// <param name="prompt">Drawn before the input, e.g. "> ".</param>
    /// <param name="width">The terminal's width in columns; by default Console.WindowWidth, or 80 when unknown.</param>
    /// <param name="completer">What Tab inserts (see LineEditor.Completer); it runs on the reading thread and may call WriteLine.</param>
    public ChatConsole(IKeySource keys, TextWriter terminal, string prompt, Func<int>? width = null, Func<string, string?>? completer = null)
    {
        _editor = new LineEditor { Completer = completer };
        _keys = keys;
        _terminal = terminal;
        _prompt = TerminalText.Clean(prompt);
        _promptWidth = TerminalText.Width(_prompt);
        _width = width ?? ConsoleWidth;
    }

    /// <summary>True once ReadLineAsync returned null because of Ctrl-C (the caller leaves the chat and tells the peer).</summary>
    public bool WasInterrupted { get; private set; }

    /// <summary>
    /// How a submitted line stays in the transcript: this prefix and the line (e.g. "you: "), or,
    /// when null, the prompt and the line as typed.
    /// </summary>
    public string? EchoPrefix { get; init; }

    /// <summary>
    /// Reads one line the user submits with Enter (editing keys: see LineEditor). Returns null at
    /// Ctrl-D on an empty line, and at Ctrl-C with WasInterrupted set. One read at a time. On
    /// cancellation the partial input is erased and OperationCanceledException is thrown.
    /// </summary>
    public Task<string?> ReadLineAsync(CancellationToken ct) =>
        Task.Factory.StartNew(() => ReadLine(ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Prints <paramref name="text"/> above the input line, each of its lines cleaned.</summary>
    public void WriteLine(string text) => WriteLine(string.Empty, text);

    /// <summary>
    /// Prints each line of <paramref name="text"/> ("\n" or "\r\n" separate lines) above the input
    /// line, prefixed with <paramref name="prefix"/> (e.g. "peer: "); prefix and text are cleaned,
    /// so a lone "\r", escape sequences, C1 and bidi controls are shown as '?'. Thread-safe.
    /// </summary>
    public void WriteLine(string prefix, string text)
    {
        var sb = new StringBuilder();
        string cleanPrefix = TerminalText.Clean(prefix);
        foreach (string line in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            sb.Append(cleanPrefix).Append(TerminalText.Clean(line)).Append("\r\n");
        }

        lock (_gate)
        {
            if (_reading)
            {
                sb.Insert(0, EraseLine);
                AppendInputLine(sb);
            }

            Write(sb);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_reading)
            {
                Write(new StringBuilder(EraseLine));
                _reading = false;
            }
        }

        (_keys as IDisposable)?.Dispose();
    }

    private string? ReadLine(CancellationToken ct)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_reading)
            {
                throw new InvalidOperationException("a line is already being read.");
            }

            _reading = true;
            _editor.Reset();
            Write(AppendInputLine(new StringBuilder("\r")));
        }

        bool done = false;
        try
        {
            while (true)
            {
                ConsoleKeyInfo key = _keys.ReadKey(ct);
                lock (_gate)
                {
                    EditResult result = _editor.Apply(key);
                    if (result == EditResult.Editing)
                    {
                        Write(AppendInputLine(new StringBuilder("\r")));
                        continue;
                    }

                    done = true;
                    return Finish(result);
                }
            }
        }
        finally
        {
            if (!done)
            {
                lock (_gate)
                {
                    if (_reading)
                    {
                        _reading = false;
                        Write(new StringBuilder(EraseLine)); // cancelled or the keys failed: leave no half line behind
                    }
                }
            }
        }
    }

    /// <summary>Ends a read (under the lock): the submitted line stays in the transcript; otherwise the input line is erased.</summary>
    private string? Finish(EditResult result)
    {
        _reading = false;
        var sb = new StringBuilder(EraseLine);
        string? line = null;
        if (result == EditResult.Submit)
        {
            line = _editor.Text;
            sb.Append(EchoPrefix is null ? _prompt : TerminalText.Clean(EchoPrefix)).Append(line).Append("\r\n");
            _editor.Submitted();
        }
        else
        {
            WasInterrupted = result == EditResult.Interrupt;
            _editor.Reset();
        }

        Write(sb);
        return line;
    }

    /// <summary>Appends the prompt, the visible part of the input, ESC[K and the move back to the cursor.</summary>
    private StringBuilder AppendInputLine(StringBuilder sb)
    {
        (string visible, int cursorColumn) = _editor.View(_width() - _promptWidth - 1);
        sb.Append(_prompt).Append(visible).Append("\u001b[K");
        int back = TerminalText.Width(visible) - cursorColumn;
        if (back > 0)
        {
            sb.Append("\u001b[").Append(back).Append('D');
        }

        return sb;
    }

    private void Write(StringBuilder sb)
    {
        _terminal.Write(sb.ToString());
        _terminal.Flush();
    }

    private static int ConsoleWidth()
    {
        try
        {
            int width = Console.WindowWidth;
            return width > 0 ? width : FallbackWidth;
        }
        catch (Exception ex) when (ex is IOException or PlatformNotSupportedException or InvalidOperationException)
        {
            return FallbackWidth;
        }
    }
}
