// The drop box's pure parts: the per-transfer folder name (time stamp, sender name reduced to
// letters, digits, '-' and '_', never hidden, never a path), unique folders on a real disk, and the
// --expire duration parser (units, combinations, refusals; arbitrary text never throws).
using FsCheck;
using FsCheck.Fluent;
using Tallow.Cli.DropBox;

namespace Tallow.Tests.Cli;

public class DropBoxNamingTests
{
    private static readonly DateTime At = new(2026, 12, 4, 14, 33, 7, DateTimeKind.Utc);

    [Theory]
    [InlineData("alice", "alice")]
    [InlineData("Bob Smith", "Bob-Smith")]
    [InlineData("../../etc", "etc")]
    [InlineData(".ssh", "ssh")]
    [InlineData("a/b\\c", "abc")]
    [InlineData("名前", "sender")]
    [InlineData("", "sender")]
    [InlineData(null, "sender")]
    [InlineData("x\u001b[31mred", "x31mred")]
    [InlineData("a. . .b", "a-b")]
    public void Sanitise_keeps_only_safe_characters(string? name, string expected) =>
        Assert.Equal(expected, DropBoxFolder.Sanitise(name));

    [Fact]
    public void Name_is_the_utc_time_then_the_sender() =>
        Assert.Equal("20261204-143307-alice", DropBoxFolder.Name(At, "alice"));

    [Fact]
    public void Sanitise_is_bounded_and_never_hidden_or_a_path()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), Prop.ForAll<string?>(text =>
        {
            string part = DropBoxFolder.Sanitise(text);
            return part.Length is > 0 and <= DropBoxFolder.MaxNameChars
                && !part.StartsWith('.') && !part.StartsWith('-')
                && part.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
        }));
    }

    [Fact]
    public void CreateUnique_never_reuses_a_folder()
    {
        string root = Path.Combine(Path.GetTempPath(), "tallow-dropbox-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            string first = DropBoxFolder.CreateUnique(root, At, "alice");
            string second = DropBoxFolder.CreateUnique(root, At, "alice");
            File.WriteAllText(Path.Combine(root, "20261204-143307-alice-3"), "a file in the way");
            string third = DropBoxFolder.CreateUnique(root, At, "alice");
            Assert.Equal(Path.Combine(root, "20261204-143307-alice"), first);
            Assert.Equal(Path.Combine(root, "20261204-143307-alice-2"), second);
            Assert.Equal(Path.Combine(root, "20261204-143307-alice-4"), third);
            Assert.All([first, second, third], d => Assert.True(Directory.Exists(d)));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("5s", 5)]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("2h", 7200)]
    [InlineData("1d", 86400)]
    [InlineData("1h30m", 5400)]
    [InlineData("2H", 7200)]
    [InlineData(" 10m ", 600)]
    [InlineData("30d", 30 * 86400)]
    public void Durations_parse(string text, int seconds)
    {
        Assert.True(DurationText.TryParse(text, out TimeSpan parsed));
        Assert.Equal(TimeSpan.FromSeconds(seconds), parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("m")]
    [InlineData("0s")]
    [InlineData("-5m")]
    [InlineData("1.5h")]
    [InlineData("5w")]
    [InlineData("31d")]
    [InlineData("99999999s")]
    [InlineData("1h 30m")]
    [InlineData("1111111111111111111111111111111s")]
    public void Bad_durations_are_refused(string? text) =>
        Assert.False(DurationText.TryParse(text, out _));

    [Fact]
    public void Arbitrary_text_never_throws()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), Prop.ForAll<string?>(text =>
        {
            bool ok = DurationText.TryParse(text, out TimeSpan parsed);
            return ok ? parsed > TimeSpan.Zero && parsed <= DurationText.Max : parsed == TimeSpan.Zero;
        }));
    }
}
