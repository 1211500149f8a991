// The web page (issue 19) end to end: web/e2e/run.mjs drives Debian's headless Chromium with
// puppeteer-core against a real `tallow relay serve --web --web-root web/dist` and real `tallow`
// processes (CLI → browser and browser → CLI with hash checks for a text, a 100 MiB file and a
// folder; browser → browser; a wrong code; a tampered record; a 70 s idle offer, then 2 MiB at
// 100 KB/s each way: longer than the keep-alive and silence timers). Each scenario is one node process
// bounded by a timeout; on timeout its whole tree (relay, CLIs, Chromium) is killed by PID.
// Also here: the page's own unit tests (zip writer, QR encoder) and the check that the committed
// web/dist is exactly what web/build.sh makes from the sources, with its hash in the README.
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests.Web;

[Collection(WebPageCollection.Name)]
public sealed class BrowserTests
{
    private static string WebDir => Path.Combine(Repo.Root, "web");

    [Theory]
    [InlineData("cli-to-browser-text", 120)]
    [InlineData("cli-to-browser-file", 300)]
    [InlineData("cli-to-browser-folder", 120)]
    [InlineData("cli-to-browser-idle-then-slow", 240)]
    [InlineData("browser-to-cli-slow", 180)]
    [InlineData("browser-to-cli-text", 120)]
    [InlineData("browser-to-cli-file", 300)]
    [InlineData("browser-to-cli-folder", 120)]
    [InlineData("browser-to-browser", 180)]
    [InlineData("wrong-code", 120)]
    [InlineData("tampered", 120)]
    [InlineData("declined", 120)]
    [InlineData("share-link", 120)]
    public void Scenario_passes_in_headless_chromium(string scenario, int timeoutSeconds)
    {
        RequireSetup();
        _ = Repo.TallowBinary; // built once if missing: the scenarios run artifacts/tallow/tallow
        ToolResult result = Tool.Run(TimeSpan.FromSeconds(timeoutSeconds), "node", Path.Combine(WebDir, "e2e", "run.mjs"), scenario);
        Assert.True(result.ExitCode == 0 && result.Stdout.Contains($"PASS {scenario}", StringComparison.Ordinal),
            $"scenario {scenario} failed ({result.ExitCode}):\n{result.Stdout}\n{result.Stderr}");
    }

    [Fact]
    public void Zip_writer_and_qr_encoder_pass_their_tests()
    {
        RequireSetup();
        ToolResult result = Tool.Run(TimeSpan.FromSeconds(120), "node", "--test",
            Path.Combine(WebDir, "e2e", "zip.test.mjs"), Path.Combine(WebDir, "e2e", "qr.test.mjs"));
        Assert.True(result.ExitCode == 0 && result.Stdout.Contains("# fail 0", StringComparison.Ordinal), result.Output);
    }

    [Fact]
    public void Committed_dist_is_exactly_a_fresh_build()
    {
        RequireSetup();
        using var dir = new TempDir();
        string fresh = dir.Combine("dist");
        string printed = Tool.Check(TimeSpan.FromSeconds(120), Path.Combine(WebDir, "build.sh"), fresh);
        string committed = Path.Combine(WebDir, "dist");
        string[] names = ["index.html", "tallow.js", "sw.js", "style.css"];
        foreach (string name in names)
        {
            Assert.True(File.Exists(Path.Combine(committed, name)), $"web/dist/{name} is missing: run web/build.sh and commit web/dist");
            Assert.True(File.ReadAllBytes(Path.Combine(fresh, name)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(committed, name))),
                $"web/dist/{name} differs from a fresh build of web/src: run web/build.sh and commit web/dist");
        }

        string index = File.ReadAllText(Path.Combine(committed, "index.html"));
        string sri = printed.Trim().Split(' ')[^1];
        Assert.StartsWith("sha384-", sri, StringComparison.Ordinal);
        Assert.Contains($"src=\"tallow.js\" integrity=\"{sri}\"", index, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", index, StringComparison.Ordinal);
        Assert.True(File.ReadAllText(Path.Combine(Repo.Root, "README.md")).Contains($"web bundle {sri}", StringComparison.Ordinal),
            $"README.md must state the committed bundle's hash: web bundle {sri}");
        Assert.DoesNotContain(" style=", index, StringComparison.Ordinal);
    }

    private static void RequireSetup()
    {
        Assert.True(File.Exists("/usr/bin/chromium"), "Debian's chromium is missing: run ./setup.sh");
        Assert.True(Directory.Exists(Path.Combine(WebDir, "e2e", "node_modules", "puppeteer-core")), "web/e2e/node_modules is missing: run ./setup.sh");
        Assert.True(Directory.Exists(Path.Combine(WebDir, "node_modules", "@noble")), "web/node_modules is missing: run ./setup.sh");
    }
}

/// <summary>One browser scenario at a time: each runs Chromium, a relay and CLIs on two shared cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WebPageCollection
{
    public const string Name = "Web page in Chromium";
}
