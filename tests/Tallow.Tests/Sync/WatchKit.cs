// Helpers for the tree watcher tests: a watcher over a temp folder, batches gathered with a bound on
// every wait (a bug fails the test instead of hanging it), and a way to change a file that inotify
// cannot see: writing through a hard link outside the watched tree (inotify reports an event to the
// folder the file was opened through, so the watched folder hears nothing — as with a change made on
// another machine of a network file system).
using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Tallow.Protocol.Sync;
using Tallow.Tests.Protocol;

namespace Tallow.Tests.Sync;

internal sealed class WatchKit : IAsyncDisposable
{
    private readonly TempDir _dir = new();

    public WatchKit(TreeWatcherOptions? options = null, Action<string>? prepare = null)
    {
        Root = _dir.Combine("root");
        Outside = _dir.Combine("outside");
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Outside);
        prepare?.Invoke(Root);
        Options = options ?? new TreeWatcherOptions { Debounce = TimeSpan.FromMilliseconds(300), MaxDelay = TimeSpan.FromSeconds(3) };
        Watcher = new TreeWatcher(Root, Options);
    }

    public string Root { get; }

    /// <summary>A folder beside the watched one, on the same file system.</summary>
    public string Outside { get; }

    public TreeWatcherOptions Options { get; }

    public TreeWatcher Watcher { get; }

    public FakeTimeProvider? FakeTime => Options.Time as FakeTimeProvider;

    public static TreeWatcherOptions FakeTimed(double debounceSeconds = 1, double maxDelaySeconds = 10, double rescanSeconds = 3600, double jitter = 0) =>
        new()
        {
            Debounce = TimeSpan.FromSeconds(debounceSeconds),
            MaxDelay = TimeSpan.FromSeconds(maxDelaySeconds),
            RescanInterval = TimeSpan.FromSeconds(rescanSeconds),
            RescanJitter = jitter,
            Time = new FakeTimeProvider(),
        };

    public string PathOf(string relative) => Path.Combine(Root, relative);

    public void Write(string relative, string text)
    {
        string full = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    /// <summary>Makes a hard link outside the tree to <paramref name="relative"/>; writes through it raise no event in the tree.</summary>
    public string HiddenDoor(string relative)
    {
        string door = Path.Combine(Outside, relative.Replace('/', '_'));
        Run("ln", PathOf(relative), door);
        return door;
    }

    public static void Run(string program, params string[] args)
    {
        using Process process = Process.Start(program, args)!;
        Assert.True(process.WaitForExit(10_000), $"{program} did not finish");
        Assert.Equal(0, process.ExitCode);
    }

    /// <summary>The next batch within <paramref name="seconds"/>, or null.</summary>
    public async Task<ChangeBatch?> TryNext(double seconds)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            return await Watcher.NextBatchAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public async Task<ChangeBatch> Next(double seconds = 10) =>
        await TryNext(seconds) ?? throw new Xunit.Sdk.XunitException($"no batch within {seconds} s");

    /// <summary>Gathers batches until every path in <paramref name="expected"/> was reported (bounded); returns them all.</summary>
    public async Task<List<ChangeBatch>> Gather(IEnumerable<string> expected, double seconds = 10)
    {
        var missing = new HashSet<string>(expected, StringComparer.Ordinal);
        var batches = new List<ChangeBatch>();
        var clock = Stopwatch.StartNew();
        while (missing.Count > 0)
        {
            double left = seconds - clock.Elapsed.TotalSeconds;
            ChangeBatch? batch = left > 0 ? await TryNext(left) : null;
            Assert.True(batch is not null, $"not reported within {seconds} s: {string.Join(", ", missing.Order(StringComparer.Ordinal).Take(10))}");
            batches.Add(batch);
            missing.ExceptWith(batch.Paths);
        }

        return batches;
    }

    /// <summary>
    /// Moves the fake clock by <paramref name="step"/> until a batch comes (at most <paramref name="steps"/> times):
    /// for what the loop stamps with its own clock reading (a rescan's findings), which may lag the test's.
    /// </summary>
    public async Task<ChangeBatch> AdvanceUntilBatch(TimeSpan step, int steps)
    {
        for (int i = 0; i < steps; i++)
        {
            FakeTime!.Advance(step);
            if (await TryNext(0.1) is { } batch)
            {
                return batch;
            }
        }

        throw new Xunit.Sdk.XunitException($"no batch within {steps} steps of {step}");
    }

    /// <summary>Asserts that no batch arrives within <paramref name="seconds"/> of real time.</summary>
    public async Task ExpectNothing(double seconds = 0.4)
    {
        ChangeBatch? batch = await TryNext(seconds);
        Assert.True(batch is null, $"unexpected batch: [{string.Join(", ", batch?.Paths ?? [])}] full rescan {batch?.FullRescan}");
    }

    public static void AssertWellFormed(ChangeBatch batch)
    {
        Assert.Equal(batch.Paths.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal), batch.Paths);
        Assert.All(batch.Paths, p => Assert.False(p.StartsWith('/') || p.EndsWith('/') || p.Contains("//", StringComparison.Ordinal), p));
    }

    public async ValueTask DisposeAsync()
    {
        await Watcher.DisposeAsync();
        _dir.Dispose();
    }
}
