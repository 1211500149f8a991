// The real IKeySource for ChatConsole: Console.ReadKey(intercept: true), polled with
// Console.KeyAvailable so that cancellation is noticed without a thread left blocked in ReadKey
// (a blocked reader would swallow the first key typed after the chat). While it exists, Ctrl-C
// arrives as a key (ChatConsole ends the read with WasInterrupted) instead of killing the process;
// Dispose restores the previous Ctrl-C handling.
namespace Tallow.Cli.Output;

internal sealed class ConsoleKeySource : IKeySource, IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(15);

    private readonly bool _treatedControlC;
    private volatile bool _disposed;

    /// <summary>Needs a terminal on stdin (see TerminalAvailable).</summary>
    public ConsoleKeySource()
    {
        _treatedControlC = Console.TreatControlCAsInput;
        Console.TreatControlCAsInput = true;
    }

    /// <summary>True when keys can be read from a terminal and the chat drawn on one (stdin and stdout are terminals).</summary>
    public static bool TerminalAvailable => !Console.IsInputRedirected && !Console.IsOutputRedirected;

    public ConsoleKeyInfo ReadKey(CancellationToken ct)
    {
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (Console.KeyAvailable)
            {
                return Console.ReadKey(intercept: true);
            }

            ct.WaitHandle.WaitOne(PollInterval);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            Console.TreatControlCAsInput = _treatedControlC;
        }
        catch (IOException)
        {
            // the terminal went away; nothing left to restore
        }
    }
}
