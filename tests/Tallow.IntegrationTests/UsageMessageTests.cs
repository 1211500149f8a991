// What a new user sees for a mistake on the command line (issue 15, item 12): bare `tallow` and
// `tallow help` show the help; a misspelt command or option gets one "did you mean" error and a
// pointer to that command's --help; no .NET type names; a declined offer is not an "error:"; the
// words are "code", not "nameplate". The real binary; a real relay only for the declined offer.
using System.Text.RegularExpressions;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class UsageMessageTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    [Theory]
    [InlineData(new string[0], "tallow [command]")]
    [InlineData(new[] { "help" }, "tallow [command]")]
    [InlineData(new[] { "help", "receive" }, "tallow receive")]
    public async Task Bare_tallow_and_tallow_help_show_the_help(string[] args, string usage)
    {
        await using TallowProcess process = TallowProcess.Start(args);
        Check.Exit(0, await process.WaitForExitAsync(Check.ShortTimeout), process, "tallow");
        Check.Contains(usage, process.Stdout, Check.Describe(process, "tallow"));
        Assert.DoesNotContain("error", process.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(new[] { "recieve" }, "unknown command 'recieve': did you mean 'receive'?", "tallow --help")]
    [InlineData(new[] { "send", "--relya", "127.0.0.1:9", "f" }, "unknown option '--relya': did you mean '--relay'?", "tallow send --help")]
    [InlineData(new[] { "relay", "serve", "--bnd", "127.0.0.1:0" }, "unknown option '--bnd': did you mean '--bind'?", "tallow relay serve --help")]
    [InlineData(new[] { "send", "--words", "abc", "f" }, "'abc' is not valid for --words: it must be a whole number", "tallow send --help")]
    public async Task A_mistake_gets_one_error_with_a_suggestion_and_the_commands_help(string[] args, string expected, string help)
    {
        await using TallowProcess process = TallowProcess.Start(args);
        Check.Exit(2, await process.WaitForExitAsync(Check.ShortTimeout), process, "tallow");
        string stderr = process.Stderr;
        Check.Contains("error: " + expected, stderr, Check.Describe(process, "tallow"));
        Check.Contains($"Run '{help}' for usage.", stderr, Check.Describe(process, "tallow"));
        Assert.DoesNotContain("Required command was not provided", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", stderr, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(stderr, "^error:", RegexOptions.Multiline));
    }

    [Fact]
    public async Task A_p2p_timeout_of_0_says_it_must_be_greater_than_0_and_points_to_the_help()
    {
        await using TallowProcess process = TallowProcess.Start(["receive", "7-alpha-beta", "--p2p-timeout", "0", "--relay", "127.0.0.1:9"]);
        Check.Exit(2, await process.WaitForExitAsync(Check.ShortTimeout), process, "receive");
        Check.Contains("greater than 0", process.Stderr, Check.Describe(process, "receive"));
        Assert.DoesNotContain("between 0", process.Stderr, StringComparison.Ordinal);
        Check.Contains("Run 'tallow receive --help' for usage.", process.Stderr, Check.Describe(process, "receive"));
    }

    [Fact]
    public async Task Nobody_on_the_lan_is_reported_in_terms_of_the_code_not_a_nameplate()
    {
        await using TallowProcess process = TallowProcess.Start(["receive", "417-alpha-beta"]);
        Check.Exit(4, await process.WaitForExitAsync(TimeSpan.FromSeconds(30)), process, "receive");
        Check.Contains("no one with a code starting 417- found", process.Stderr, Check.Describe(process, "receive"));
        Assert.DoesNotContain("nameplate", process.Stderr + process.Stdout, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Declining_is_said_plainly_not_as_an_error_on_either_side()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("d.bin", 1000);
        await using TallowProcess sender = TallowProcess.Start(["send", source, "--relay", fixture.Relay.Address]);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Match code = Match.Empty;
        while (!(code = Regex.Match(sender.Stderr, @"Code is: (\S+)")).Success && clock.Elapsed < Check.ShortTimeout)
        {
            await Task.Delay(50);
        }

        Assert.True(code.Success, Check.Describe(sender, "sender"));

        // No --yes and stdin is not a terminal: the receiver declines.
        await using TallowProcess receiver = TallowProcess.Start(["receive", code.Groups[1].Value, "--relay", fixture.Relay.Address, "--out", dir.Combine("out")]);
        Check.Exit(3, await receiver.WaitForExitAsync(Check.ShortTimeout), receiver, "receiver");
        Check.Exit(3, await sender.WaitForExitAsync(Check.ShortTimeout), sender, "sender");
        Check.Contains("declined", receiver.Stderr, Check.Describe(receiver, "receiver"));
        Check.Contains("declined", sender.Stderr, Check.Describe(sender, "sender"));
        Assert.DoesNotContain("error:", receiver.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("error:", sender.Stderr, StringComparison.Ordinal);
    }
}
