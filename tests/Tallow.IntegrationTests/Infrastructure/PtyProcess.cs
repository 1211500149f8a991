// A real `tallow` process on a pseudo-terminal, for interactive features (`receive --select`).
// util-linux `script` (package bsdutils, essential on Debian) allocates the terminal: what the
// test writes to script's stdin arrives as keystrokes, and script's stdout is the terminal's
// output. The terminal size is set with stty before tallow starts. Always killed (whole tree).
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Tallow.IntegrationTests.Infrastructure;

public sealed partial class PtyProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly MemoryStream _output = new();
    private readonly Task _pump;

    private PtyProcess(Process process)
    {
        _process = process;
        _pump = ChildProcess.CaptureAsync(process.StandardOutput.BaseStream, _output);
    }

    /// <summary>Everything the terminal showed, raw (escape sequences included).</summary>
    public string Raw { get { lock (_output) { return Encoding.UTF8.GetString(_output.GetBuffer(), 0, (int)_output.Length); } } }

    /// <summary>What the terminal showed with CSI/OSC sequences and carriage returns removed.</summary>
    public string Text => AnsiSequence().Replace(Raw, string.Empty).Replace("\r", string.Empty, StringComparison.Ordinal);

    /// <summary>
    /// The rows as a terminal leaves them: '\r' returns to column 0, what follows overwrites,
    /// ESC[K erases to the end of the row, other escape sequences are dropped. Text a live
    /// progress bar overwrote is gone here, as it is on the user's screen.
    /// </summary>
    public IReadOnlyList<string> ScreenRows()
    {
        var rows = new List<StringBuilder> { new() };
        int col = 0;
        string raw = Raw;
        for (int i = 0; i < raw.Length; i++)
        {
            StringBuilder row = rows[^1];
            char c = raw[i];
            if (c == '\u001b')
            {
                Match escape = AnsiSequence().Match(raw, i);
                int length = escape.Success && escape.Index == i ? escape.Length : 1;
                if (raw.AsSpan(i, length).SequenceEqual("\u001b[K"))
                {
                    row.Length = Math.Min(row.Length, col);
                }

                i += length - 1;
            }
            else if (c == '\r')
            {
                col = 0;
            }
            else if (c == '\n')
            {
                rows.Add(new StringBuilder());
                col = 0;
            }
            else
            {
                if (col < row.Length)
                {
                    row[col] = c;
                }
                else
                {
                    row.Append(' ', col - row.Length).Append(c);
                }

                col++;
            }
        }

        return [.. rows.Select(r => r.ToString())];
    }

    /// <summary>Runs tallow on a new pty; with <paramref name="netns"/> inside that network namespace (`ip netns exec` execs it in place).</summary>
    public static PtyProcess Start(IEnumerable<string> args, int rows = 24, int columns = 80, IDictionary<string, string?>? environment = null, string? netns = null)
    {
        string inNamespace = netns is null ? string.Empty : $"ip netns exec {Quote(netns)} ";
        string command = $"stty rows {rows} cols {columns}; exec {inNamespace}{Quote(Repo.TallowBinary)} {string.Join(' ', args.Select(Quote))}";
        var info = new ProcessStartInfo("script")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false, // script's own stderr (its errors only) goes to the test's
        };
        foreach (string a in new[] { "--quiet", "--flush", "--return", "--command", command, "/dev/null" })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["TERM"] = "xterm-256color";
        ChildProcess.ScrubEnvironment(info);
        foreach ((string key, string? value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[key] = value;
        }

        return new PtyProcess(Process.Start(info) ?? throw new InvalidOperationException("cannot start script"));
    }

    /// <summary>
    /// The PID of tallow itself: script's child (the shell exec'd into tallow). Waits up to
    /// <paramref name="timeout"/> for it to appear.
    /// </summary>
    public async Task<int> TallowPidAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            foreach (string dir in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(dir), out int pid) && ParentOf(pid) == _process.Id && Path.GetFileName(ExecutableOf(pid)) == "tallow")
                {
                    return pid;
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no tallow process under script (pid {_process.Id}) within {timeout}");
    }

    private static int ParentOf(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // after "pid (comm) ": state, ppid, ...
            return int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return -1;
        }
    }

    private static string? ExecutableOf(int pid)
    {
        try
        {
            return File.ResolveLinkTarget($"/proc/{pid}/exe", returnFinalTarget: false)?.FullName;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Types keys (raw bytes: "\u001b[B" is the down arrow).</summary>
    public async Task TypeAsync(string keys)
    {
        await _process.StandardInput.BaseStream.WriteAsync(Encoding.UTF8.GetBytes(keys));
        await _process.StandardInput.BaseStream.FlushAsync();
    }

    /// <summary>Waits until the terminal text (after <paramref name="from"/>) contains <paramref name="expected"/>; returns the index just after it.</summary>
    public async Task<int> WaitForTextAsync(string expected, TimeSpan timeout, int from = 0)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            // Exited: its last output may still be on its way through the pump, so the text is
            // looked at once more after the pump has read everything (bounded by the timeout).
            bool exited = _process.HasExited;
            if (exited)
            {
                await Task.WhenAny(_pump, Task.Delay(timeout));
            }

            string text = Text;
            int at = from <= text.Length ? text.IndexOf(expected, from, StringComparison.Ordinal) : -1;
            if (at >= 0)
            {
                return at + expected.Length;
            }

            if (exited || clock.Elapsed > timeout)
            {
                throw new TimeoutException($"the terminal did not show '{expected}' within {timeout} (exited: {_process.HasExited}).\n--- terminal:\n{text}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Waits for exit; kills the process and fails when the timeout passes.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            ChildProcess.KillTree(_process);
            throw new TimeoutException($"tallow on a terminal (pid {_process.Id}) did not exit within {timeout}.\n--- terminal:\n{Text}");
        }

        await _pump.WaitAsync(TimeSpan.FromSeconds(10));
        return _process.ExitCode;
    }

    private static string Quote(string arg) => "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    [GeneratedRegex(@"\u001b(\[[0-9;?]*[ -/]*[@-~]|\][^\u0007\u001b]*(\u0007|\u001b\\)|[=>78])")]
    private static partial Regex AnsiSequence();

    public async ValueTask DisposeAsync()
    {
        ChildProcess.KillTree(_process);
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
        }

        _process.Dispose();
    }
}
