// Renders what a command does: human text on stderr (results on stdout), or with --json one
// versioned JSON event per line on stdout. Progress is a live bar on a terminal and periodic
// plain lines otherwise. Every human line passes TerminalText.CleanLines on its way out, so
// nothing a relay or a peer said (an error text, a name) can reach the terminal as a control.
using System.Diagnostics;
using System.Text;
using Tallow.Cli.History;
using Tallow.Protocol.Transfer;

namespace Tallow.Cli.Output;

internal sealed class Reporter : ITransferObserver
{
    private static readonly TimeSpan BarInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan JsonInterval = TimeSpan.FromMilliseconds(500);

    private static readonly Lock OutputLock = new(); // one per process: every reporter (chat has two) writes whole lines
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _errIsTerminal = !Console.IsErrorRedirected;
    private TimeSpan _lastProgress = TimeSpan.FromDays(-1);
    private long _lastBytes;
    private long? _lastTotal;
    private bool _barShown;
    private bool _contentOnTerminal;

    public Reporter(bool json, bool quiet, string fileEventName = "file_received")
    {
        Json = json;
        Quiet = quiet;
        _fileEventName = fileEventName;
    }

    private readonly string _fileEventName;

    public bool Json { get; }

    /// <summary>What this command's transfer was, for the history entry CommandRunner records at the end.</summary>
    public HistoryDraft History { get; } = new();

    public bool Quiet { get; }

    /// <summary>Emits a JSON event (in --json mode only).</summary>
    public void Event(string name, params (string Key, object? Value)[] fields)
    {
        if (!Json)
        {
            return;
        }

        lock (OutputLock)
        {
            ClearBar();
            JsonEvents.Write(name, soon: false, fields);
        }
    }

    /// <summary>
    /// Where human status lines and warnings go instead of stderr (the chat's line UI, which must
    /// redraw the input line around them); null: stderr.
    /// </summary>
    public Action<string>? Lines { get; set; }

    /// <summary>A human status line on stderr (not in --json or --quiet mode).</summary>
    public void Info(string message)
    {
        if (!Quiet)
        {
            Essential(message);
        }
    }

    /// <summary>A human line the user needs even with --quiet (the code and what to run on the other side); not in --json mode.</summary>
    public void Essential(string message)
    {
        if (Json)
        {
            return;
        }

        if (Lines is { } lines)
        {
            lines(message);
            return;
        }

        lock (OutputLock)
        {
            ClearBar();
            Console.Error.WriteLine(TerminalText.CleanLines(message));
        }
    }

    /// <summary>
    /// A QR code of <paramref name="text"/> on stderr (not in --json mode, where the code event
    /// carries the command): painted black on white on a terminal, plain half blocks otherwise.
    /// The lines are this process's own drawing, so they are written without TerminalText.
    /// </summary>
    public void QrCode(string text)
    {
        if (Json)
        {
            return;
        }

        IReadOnlyList<string> lines = QrCodeText.Render(QrCodeText.Modules(text), colours: _errIsTerminal);
        lock (OutputLock)
        {
            ClearBar();
            Console.Error.WriteLine(string.Join('\n', lines));
            Console.Error.WriteLine();
        }
    }

    /// <summary>Always shown (stderr), also in quiet mode; in JSON mode it becomes a notice event.</summary>
    public void Warn(string message)
    {
        if (Json)
        {
            Event("notice", ("message", message));
            return;
        }

        if (Lines is { } lines)
        {
            lines("warning: " + message);
            return;
        }

        lock (OutputLock)
        {
            ClearBar();
            Console.Error.WriteLine("warning: " + TerminalText.CleanLines(message));
        }
    }

    public void Error(int exitCode, string message)
    {
        if (Json)
        {
            Event("error", ("code", exitCode), ("message", message));
            return;
        }

        lock (OutputLock)
        {
            ClearBar();
            // Declining is a choice, not a failure: no "error:" before it (exit code 3 still says it).
            string prefix = exitCode == (int)Tallow.Protocol.FailureKind.Declined ? string.Empty : "error: ";
            Console.Error.WriteLine(prefix + TerminalText.CleanLines(message));
        }
    }

    public void OnNotice(string message) => Warn(message);

    /// <summary>Files verified (receiver) or fully sent (sender) so far.</summary>
    public int FilesCompleted { get; private set; }

    public void OnFileCompleted(FileReport file)
    {
        FilesCompleted++;
        if (!Json)
        {
            return;
        }

        // Soon, not at once: a receive of 20,000 small files wrote (and woke its reader) 20,000 times.
        JsonEvents.WriteFile(_fileEventName, file);
    }

    public void OnResume(string path, long offset, long size)
    {
        Event("resume", ("path", path), ("offset", offset), ("size", size));
        Info(offset >= size
            ? $"'{PathSanitizer.Printable(path)}' is already here (same content): skipped"
            : $"Resuming '{PathSanitizer.Printable(path)}' at {Units.Bytes(offset)} of {Units.Bytes(size)} ({Percent(offset, size):0}%)");
    }

    public void OnProgress(long bytesDone, long? totalBytes)
    {
        TimeSpan now = _clock.Elapsed;
        bool final = totalBytes is long t && bytesDone >= t;
        TimeSpan interval = Json ? JsonInterval : _errIsTerminal ? BarInterval : PlainInterval;
        lock (OutputLock)
        {
            _lastBytes = bytesDone;
            _lastTotal = totalBytes;
            if (!final && now - _lastProgress < interval)
            {
                return;
            }

            _lastProgress = now;
        }

        double elapsed = _transferClock.Elapsed.TotalSeconds;
        double rate = bytesDone / Math.Max(0.001, elapsed);
        if (Json)
        {
            Event("progress", ("bytes", bytesDone), ("total", totalBytes), ("rate", rate), ("elapsed", elapsed));
            return;
        }

        if (Quiet || (_contentOnTerminal && _errIsTerminal))
        {
            return;
        }

        // A rate from the first milliseconds (one small file) says nothing: no estimate before a
        // second of transfer, and no plain line either ("7 B of 4.8 MiB, eta 44m16s" in a log).
        bool settled = elapsed >= 1;
        if (!settled && !final && !_errIsTerminal)
        {
            return;
        }

        string eta = settled && totalBytes is long total && rate > 0 && total > bytesDone ? Units.Duration(TimeSpan.FromSeconds((total - bytesDone) / rate)) : "-";
        lock (OutputLock)
        {
            if (_errIsTerminal)
            {
                Console.Error.Write("\r" + Bar(bytesDone, totalBytes, rate, eta) + "\u001b[K");
                _barShown = true;
            }
            else
            {
                string of = totalBytes is long tt ? $" of {Units.Bytes(tt)} ({Percent(bytesDone, tt):0}%)" : string.Empty;
                Console.Error.WriteLine($"progress: {Units.Bytes(bytesDone)}{of}, {Units.Bytes(rate)}/s, eta {eta}");
            }
        }
    }

    private readonly Stopwatch _transferClock = new();

    /// <summary>Starts the clock used for rates (after the offer is accepted).</summary>
    public void StartTransferClock()
    {
        _transferClock.Restart();
        History.MarkAccepted();
    }

    /// <summary>The sender's clock starts when the receiver accepts, not when the offer goes out.</summary>
    public void OnOfferAccepted() => StartTransferClock();

    public TimeSpan TransferElapsed => _transferClock.Elapsed;

    /// <summary>
    /// The received content itself is being printed on the terminal (text, a stream on stdout): no
    /// live bar is drawn, since it would overwrite the content's last line on the same screen.
    /// </summary>
    public void ContentOnTerminal() => _contentOnTerminal = true;

    /// <summary>Ends a live bar so the next line starts clean.</summary>
    public void FinishProgress()
    {
        lock (OutputLock)
        {
            if (_barShown)
            {
                Console.Error.WriteLine();
                _barShown = false;
            }
        }
    }

    private void ClearBar()
    {
        if (_barShown)
        {
            Console.Error.Write("\r\u001b[K");
            _barShown = false;
        }
    }

    private static double Percent(long done, long total) => total == 0 ? 100 : 100.0 * done / total;

    private static string Bar(long done, long? total, double rate, string eta)
    {
        var sb = new StringBuilder();
        if (total is long t)
        {
            const int width = 30;
            int filled = (int)(width * Percent(done, t) / 100);
            sb.Append('[').Append('#', filled).Append('-', width - filled).Append("] ");
            sb.Append($"{Percent(done, t),5:0.0}% {Units.Bytes(done)}/{Units.Bytes(t)}");
        }
        else
        {
            sb.Append(Units.Bytes(done));
        }

        sb.Append($"  {Units.Bytes(rate)}/s  eta {eta}");
        return sb.ToString();
    }
}
