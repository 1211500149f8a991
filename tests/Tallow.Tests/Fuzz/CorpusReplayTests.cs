// Replays the saved fuzz corpus (fuzz/corpus/<target>/) and every saved finding
// (fuzz/findings/<target>/, kept as regressions once fixed) through the same target code the
// fuzzer runs (fuzz/Tallow.Fuzz.Targets), so every test run re-checks what AFL++ found: any
// exception a target lets out (not its parser's documented refusal) fails the test.
using Tallow.Fuzz.Targets;

namespace Tallow.Tests.Fuzz;

public sealed class CorpusReplayTests
{
    public static TheoryData<string> TargetNames()
    {
        var data = new TheoryData<string>();
        foreach (FuzzTarget target in FuzzTargets.All)
        {
            data.Add(target.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(TargetNames))]
    public void SavedCorpusAndFindingsPassTheirTarget(string name)
    {
        FuzzTarget target = FuzzTargets.Find(name)!;
        string[] corpus = Files("corpus", target.Corpus);
        Assert.True(corpus.Length > 0, $"fuzz/corpus/{target.Corpus}/ is empty or missing: run `dotnet fuzz/.build/bin/Tallow.Fuzz.dll seeds fuzz/corpus` or fuzz/run.sh");

        List<string> failures = Replay(target, [.. corpus, .. Files("findings", name)]);

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public void EveryCorpusFolderBelongsToATarget()
    {
        string[] folders = [.. Directory.GetDirectories(Path.Combine(FuzzRoot(), "corpus")).Select(Path.GetFileName)!];

        Assert.Equal(FuzzTargets.All.Select(t => t.Corpus).Distinct().Order(), folders.Order());
    }

    [Fact]
    public void AnExceptionOtherThanTheDocumentedRefusalFailsTheReplay()
    {
        // The same replay as above over a target whose "parser" has a bug: it must be reported.
        var broken = new FuzzTarget("broken", "test", data => _ = data[data.Length], () => []);
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(file, [1, 2, 3]);
            List<string> failures = Replay(broken, [file]);

            Assert.Single(failures);
            Assert.Contains(nameof(IndexOutOfRangeException), failures[0], StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static List<string> Replay(FuzzTarget target, string[] files)
    {
        var failures = new List<string>();
        foreach (string file in files)
        {
            try
            {
                target.Fuzz(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                failures.Add($"{target.Name}: {Path.GetFileName(file)}: {e}");
            }
        }

        return failures;
    }

    private static string[] Files(string kind, string target)
    {
        string dir = Path.Combine(FuzzRoot(), kind, target);
        return Directory.Exists(dir) ? [.. Directory.GetFiles(dir).Order(StringComparer.Ordinal)] : [];
    }

    /// <summary>fuzz/ of the repository these tests were built from.</summary>
    private static string FuzzRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tallow.slnx")))
            {
                return Path.Combine(dir.FullName, "fuzz");
            }
        }

        throw new InvalidOperationException("the repository root (Tallow.slnx) was not found above " + AppContext.BaseDirectory);
    }
}
