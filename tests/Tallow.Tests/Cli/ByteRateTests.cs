// The --throttle RATE parser: decimal and binary units, bits, "/s", case, and clear refusals of
// zero, negatives, NaN, absurd rates and junk. Arbitrary text never makes it throw.
using FsCheck;
using FsCheck.Fluent;
using Tallow.Cli.Commands;

namespace Tallow.Tests.Cli;

public class ByteRateTests
{
    [Theory]
    [InlineData("10MB", 10_000_000)]
    [InlineData("5MiB", 5 * 1024 * 1024)]
    [InlineData("500KB", 500_000)]
    [InlineData("500k", 500_000)]
    [InlineData("1.5MB", 1_500_000)]
    [InlineData("2G", 2_000_000_000)]
    [InlineData("800KiB", 800 * 1024)]
    [InlineData("10mb", 10_000_000)]
    [InlineData("5mib", 5 * 1024 * 1024)]
    [InlineData("5Mi", 5 * 1024 * 1024)]
    [InlineData("4MB/s", 4_000_000)]
    [InlineData("4 MB/s", 4_000_000)]
    [InlineData(" 4mb/S ", 4_000_000)]
    [InlineData("100Mbit", 12_500_000)]
    [InlineData("100Mbps", 12_500_000)]
    [InlineData("100mbit/s", 12_500_000)]
    [InlineData("100kbit", 12_500)]
    [InlineData("8Kibit", 1024)]
    [InlineData("1GiB", 1L << 30)]
    [InlineData("1TB", 1_000_000_000_000)]
    [InlineData("250000", 250_000)]
    [InlineData("250000B", 250_000)]
    [InlineData(".5MB", 500_000)]
    [InlineData("1000", 1000)]
    public void Accepts(string text, long expected)
    {
        Assert.True(ByteRate.TryParse(text, out ByteRate rate, out string error), error);
        Assert.Equal(expected, rate.BytesPerSecond);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("0")]
    [InlineData("0MB")]
    [InlineData("0.0k")]
    [InlineData("-5MB")]
    [InlineData("+5MB")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1e6")]
    [InlineData("1,000KB")]
    [InlineData("1.2.3MB")]
    [InlineData("MB")]
    [InlineData("10XB")]
    [InlineData("10 M B")]
    [InlineData("10MBs")]
    [InlineData("10kbbit")]
    [InlineData("2TB")]
    [InlineData("1PB")]
    [InlineData("999999999999999999999999999999")]
    [InlineData("500")]
    [InlineData("100bit")]
    [InlineData("fast")]
    [InlineData("１０MB")]
    [InlineData("10MB\u001b[31m")]
    public void Refuses_with_a_message_that_names_the_option(string text)
    {
        Assert.False(ByteRate.TryParse(text, out _, out string error));
        Assert.Contains("--throttle", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', error);
    }

    [Fact]
    public void Refusals_say_what_is_wrong()
    {
        ByteRate.TryParse("0MB", out _, out string zero);
        Assert.Contains("more than zero", zero, StringComparison.Ordinal);
        ByteRate.TryParse("5TiB", out _, out string huge);
        Assert.Contains("1 TB/s", huge, StringComparison.Ordinal);
        ByteRate.TryParse("10 parsecs", out _, out string junk);
        Assert.Contains("10 parsecs", junk, StringComparison.Ordinal);
    }

    [Fact]
    public void Arbitrary_text_never_throws()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), Prop.ForAll<string?>(text =>
        {
            bool ok = ByteRate.TryParse(text, out ByteRate rate, out string error);
            return ok
                ? rate.BytesPerSecond is >= ByteRate.MinBytesPerSecond and <= 1_000_000_000_000
                : !string.IsNullOrEmpty(error);
        }));
    }

    [Fact]
    public void Whole_numbers_with_any_unit_scale_exactly()
    {
        string[] units = ["k", "KB", "KiB", "M", "mb", "MiB", "G", "GiB"];
        long[] scale = [1000, 1000, 1024, 1_000_000, 1_000_000, 1 << 20, 1_000_000_000, 1 << 30];
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), Prop.ForAll(Gen.Choose(1, 900).ToArbitrary(), Gen.Choose(0, units.Length - 1).ToArbitrary(), (n, u) =>
            ByteRate.TryParse($"{n}{units[u]}/s", out ByteRate rate, out _) && rate.BytesPerSecond == n * scale[u]));
    }
}
