// A real `tallow` process: captures stdout/stderr, parses --json events as they arrive,
// enforces a timeout, and is always killed (by PID, whole tree) when disposed.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Tallow.IntegrationTests.Infrastructure;

public sealed class TallowProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly ConcurrentQueue<JsonElement> _events = new();
    private readonly ConcurrentQueue<(string Name, long Timestamp)> _arrivals = new();
    private readonly SemaphoreSlim _eventSignal = new(0);
    private bool _disposed;
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;
    private readonly bool _rawStdout;
    private readonly MemoryStream _rawStdoutBytes = new();

    private TallowProcess(Process process, bool rawStdout)
    {
        _process = process;
        _rawStdout = rawStdout;
        _stdoutPump = rawStdout ? ChildProcess.CaptureAsync(process.StandardOutput.BaseStream, _rawStdoutBytes) : PumpLinesAsync(process.StandardOutput, _stdout, parseJson: true);
        _stderrPump = PumpLinesAsync(process.StandardError, _stderr, parseJson: false);
    }

    public int Pid => _process.Id;

    public string Stdout { get { lock (_stdout) { return _stdout.ToString(); } } }

    public string Stderr { get { lock (_stderr) { return _stderr.ToString(); } } }

    /// <summary>Raw stdout bytes (only when started with rawStdout).</summary>
    public byte[] StdoutBytes { get { lock (_rawStdoutBytes) { return _rawStdoutBytes.ToArray(); } } }

    public IReadOnlyList<JsonElement> Events => _events.ToArray();

    public bool HasExited => _process.HasExited;

    /// <summary>The network namespace it runs in (null: the test's own).</summary>
    public string? Namespace { get; private init; }

    /// <summary>When the stdout line of the first event with this name arrived (Stopwatch timestamp), or null.</summary>
    public long? EventArrival(string name)
    {
        foreach ((string n, long t) in _arrivals)
        {
            if (n == name)
            {
                return t;
            }
        }

        return null;
    }

    /// <summary>Time between the arrivals of two events' stdout lines, or null when either is missing.</summary>
    public TimeSpan? TimeBetween(string first, string second) =>
        EventArrival(first) is long a && EventArrival(second) is long b ? Stopwatch.GetElapsedTime(a, b) : null;

    /// <summary>
    /// Starts the native binary `artifacts/tallow/tallow args...`. stdin is redirected (closed unless <paramref name="stdin"/> writes to it).
    /// With <paramref name="netns"/> it runs as `ip netns exec NS artifacts/tallow/tallow args...`; `ip netns exec`
    /// execs tallow in place, so <see cref="Pid"/> is the tallow process and kill-by-PID still kills the real tree.
    /// <paramref name="binary"/> replaces the published binary (the package test runs the installed /usr/bin/tallow).
    /// </summary>
    public static TallowProcess Start(IEnumerable<string> args, string? workingDirectory = null, IDictionary<string, string?>? environment = null, Func<Stream, Task>? stdin = null, bool rawStdout = false, string? netns = null, string? binary = null)
    {
        var info = new ProcessStartInfo(netns is null ? binary ?? Repo.TallowBinary : "ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Directory.GetCurrentDirectory(),
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (netns is not null)
        {
            foreach (string a in new[] { "netns", "exec", netns, binary ?? Repo.TallowBinary })
            {
                info.ArgumentList.Add(a);
            }
        }

        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        ChildProcess.ScrubEnvironment(info);
        if (environment is not null)
        {
            foreach ((string key, string? value) in environment)
            {
                info.Environment[key] = value;
            }
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start tallow");
        var wrapper = new TallowProcess(process, rawStdout) { Namespace = netns };
        _ = Task.Run(async () =>
        {
            try
            {
                if (stdin is not null)
                {
                    await stdin(process.StandardInput.BaseStream);
                }
            }
            catch (IOException)
            {
            }
            finally
            {
                try
                {
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                }
            }
        });
        return wrapper;
    }

    /// <summary>Waits for the next event with this name (events already seen count too).</summary>
    public async Task<JsonElement> WaitForEventAsync(string name, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            foreach (JsonElement e in _events)
            {
                if (e.TryGetProperty("event", out JsonElement n) && n.GetString() == name)
                {
                    return e;
                }
            }

            if (_process.HasExited)
            {
                await _stdoutPump;
                foreach (JsonElement e in _events)
                {
                    if (e.TryGetProperty("event", out JsonElement n) && n.GetString() == name)
                    {
                        return e;
                    }
                }

                throw new InvalidOperationException($"tallow exited ({_process.ExitCode}) without a '{name}' event.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
            }

            try
            {
                await _eventSignal.WaitAsync(TimeSpan.FromMilliseconds(100), cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no '{name}' event within {timeout}.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
            }
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
            Kill();
            throw new TimeoutException($"tallow (pid {Pid}) did not exit within {timeout}.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }

        await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(TimeSpan.FromSeconds(10));
        return _process.ExitCode;
    }

    public void Kill() => ChildProcess.KillTree(_process);

    /// <summary>SIGINT, as Ctrl-C on a terminal sends it (the process handles it and exits by itself).</summary>
    public void Interrupt()
    {
        using var kill = Process.Start("kill", ["-INT", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill?.WaitForExit(5000);
    }

    private async Task PumpLinesAsync(StreamReader reader, StringBuilder sink, bool parseJson)
    {
        while (await reader.ReadLineAsync() is string line)
        {
            lock (sink)
            {
                sink.AppendLine(line);
            }

            if (parseJson && line.StartsWith('{'))
            {
                try
                {
                    long arrived = Stopwatch.GetTimestamp();
                    using var doc = JsonDocument.Parse(line);
                    JsonElement element = doc.RootElement.Clone();
                    if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("event", out JsonElement name) && name.ValueKind == JsonValueKind.String)
                    {
                        _arrivals.Enqueue((name.GetString()!, arrived));
                    }

                    _events.Enqueue(element);
                    _eventSignal.Release();
                }
                catch (JsonException)
                {
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return; // a test that stopped a relay by hand disposes it again on the way out
        }

        _disposed = true;
        Kill();
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
        }

        _process.Dispose();
        _eventSignal.Dispose();
    }
}
