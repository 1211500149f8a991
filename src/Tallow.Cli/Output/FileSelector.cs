// The console side of `receive --select`: draws a FileSelection on stderr with relative ANSI
// cursor movement, reads keys with Console.ReadKey(intercept: true) and redraws on every key or
// terminal resize. Whatever happens (confirm, cancel, Ctrl-C, an exception, cancellation) the
// drawn lines are erased, the cursor is shown again and Ctrl-C handling is restored.
namespace Tallow.Cli.Output;

internal static class FileSelector
{
    private const string HideCursor = "\u001b[?25l";
    private const string ShowCursor = "\u001b[?25h";
    private const string ClearToEnd = "\u001b[J";
    private const string Reverse = "\u001b[7m";
    private const string ResetAttributes = "\u001b[0m";

    /// <summary>Keys are polled so that cancellation and resizes are noticed without a thread blocked in ReadKey.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(40);

    private const int MaxKeysPerFrame = 64;

    /// <summary>True when keys can be read from a terminal and the list drawn on one (stdin and stderr are terminals).</summary>
    public static bool TerminalAvailable => !Console.IsInputRedirected && !Console.IsErrorRedirected;

    /// <summary>
    /// Lets the user choose among <paramref name="files"/> (all start selected). Returns the chosen
    /// indices into <paramref name="files"/>, ascending (possibly empty), or null when the user cancels
    /// (Esc, q or Ctrl-C).
    /// </summary>
    public static async Task<IReadOnlyList<int>?> SelectAsync(IReadOnlyList<SelectableFile> files, CancellationToken ct)
    {
        if (!TerminalAvailable)
        {
            throw new InvalidOperationException("the file selector needs a terminal on stdin and stderr.");
        }

        var selection = new FileSelection(files);
        TextWriter err = Console.Error;
        bool treatedControlC = Console.TreatControlCAsInput;
        int drawn = 0;
        try
        {
            Console.TreatControlCAsInput = true; // Ctrl-C arrives as a key and cancels the selection, not the process
            while (Console.KeyAvailable)
            {
                Console.ReadKey(intercept: true); // type-ahead (an Enter pressed while connecting) must not accept a list not yet seen
            }

            err.Write(HideCursor);
            (int Width, int Height) size = TerminalSize();
            drawn = Draw(err, selection.Render(size.Width, size.Height), drawn);
            while (selection.State == SelectionState.Choosing)
            {
                if (Console.KeyAvailable)
                {
                    size = TerminalSize();
                    for (int n = 0; n < MaxKeysPerFrame && Console.KeyAvailable && selection.State == SelectionState.Choosing; n++)
                    {
                        selection.Press(Console.ReadKey(intercept: true), size.Height); // a held or pasted key redraws once per batch
                    }
                }
                else
                {
                    await Task.Delay(PollInterval, ct).ConfigureAwait(false);
                    (int Width, int Height) now = TerminalSize();
                    if (now == size)
                    {
                        continue;
                    }

                    size = now;
                    selection.Apply(SelectorKey.None, size.Height);
                }

                if (selection.State == SelectionState.Choosing)
                {
                    drawn = Draw(err, selection.Render(size.Width, size.Height), drawn);
                }
            }
        }
        finally
        {
            err.Write(MoveToFirstLine(drawn) + ClearToEnd + ResetAttributes + ShowCursor);
            err.Flush();
            try
            {
                Console.TreatControlCAsInput = treatedControlC;
            }
            catch (IOException)
            {
                // the terminal went away; nothing left to restore
            }
        }

        return selection.State == SelectionState.Confirmed ? selection.SelectedIndices() : null;
    }

    /// <summary>Replaces the previous frame (of <paramref name="previous"/> lines) with this one, in one write; returns its line count.</summary>
    private static int Draw(TextWriter err, SelectorFrame frame, int previous)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(MoveToFirstLine(previous)).Append(ClearToEnd);
        for (int i = 0; i < frame.Lines.Count; i++)
        {
            if (i > 0)
            {
                sb.Append("\r\n");
            }

            sb.Append(i == frame.CursorLine ? Reverse + frame.Lines[i] + ResetAttributes : frame.Lines[i]);
        }

        err.Write(sb.ToString());
        err.Flush();
        return frame.Lines.Count;
    }

    /// <summary>From the end of a frame of <paramref name="lines"/> lines back to the start of its first line.</summary>
    private static string MoveToFirstLine(int lines) => lines > 1 ? $"\r\u001b[{lines - 1}A" : "\r";

    /// <summary>The terminal's size, or zeros when it is unknown (the model then assumes 80x24).</summary>
    private static (int Width, int Height) TerminalSize()
    {
        try
        {
            return (Console.WindowWidth, Console.WindowHeight);
        }
        catch (Exception ex) when (ex is IOException or PlatformNotSupportedException or InvalidOperationException)
        {
            return (0, 0);
        }
    }
}
