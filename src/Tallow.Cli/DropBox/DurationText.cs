// `--expire` values: a whole number with a unit, or several ("90s", "30m", "2h", "1d", "1h30m").
// Bounded and non-throwing: at most 32 characters and 30 days; anything else is refused with
// false so the command can say how to write it.
using System.Globalization;

namespace Tallow.Cli.DropBox;

internal static class DurationText
{
    public const int MaxLength = 32;

    public static readonly TimeSpan Max = TimeSpan.FromDays(30);

    /// <summary>Parses <paramref name="text"/>; false for an empty, malformed, zero or over-long duration.</summary>
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text) || text.Length > MaxLength)
        {
            return false;
        }

        ReadOnlySpan<char> rest = text.Trim();
        TimeSpan total = TimeSpan.Zero;
        while (!rest.IsEmpty)
        {
            int digits = 0;
            while (digits < rest.Length && char.IsAsciiDigit(rest[digits]))
            {
                digits++;
            }

            if (digits == 0 || digits > 7 || digits == rest.Length
                || !long.TryParse(rest[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out long value))
            {
                return false;
            }

            double seconds = char.ToLowerInvariant(rest[digits]) switch
            {
                's' => value,
                'm' => value * 60.0,
                'h' => value * 3600.0,
                'd' => value * 86400.0,
                _ => -1,
            };
            if (seconds < 0)
            {
                return false;
            }

            total += TimeSpan.FromSeconds(seconds);
            if (total > Max)
            {
                return false;
            }

            rest = rest[(digits + 1)..];
        }

        if (total <= TimeSpan.Zero)
        {
            return false;
        }

        duration = total;
        return true;
    }
}
