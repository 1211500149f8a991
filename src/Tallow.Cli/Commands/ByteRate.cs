// The RATE of --throttle: a number, an optional unit and an optional "/s", e.g. 10MB, 5MiB, 500k,
// 1.5MB/s, 100Mbit, 100Mbps. Units are case-insensitive; k/M/G/T (with or without B) are powers
// of 1000, Ki/Mi/Gi/Ti (with or without B) powers of 1024; "bit"/"bps" forms are bits (÷ 8).
// TryParse never throws; a rate is whole bytes per second in [MinBytesPerSecond, 1 TB/s].
using System.Globalization;
using Tallow.Protocol.Records;

namespace Tallow.Cli.Commands;

internal readonly record struct ByteRate(long BytesPerSecond)
{
    /// <summary>Slowest accepted rate: below it even a 1 KiB record (the smallest chunk) is a large part of a 10 s window.</summary>
    public const long MinBytesPerSecond = 1000;

    public const string Examples = "e.g. 10MB, 5MiB, 500KB, 1.5MB/s or 100Mbit";

    private const int MaxTextLength = 64;

    private static readonly Dictionary<string, double> Multipliers = new(StringComparer.OrdinalIgnoreCase)
    {
        [""] = 1, ["b"] = 1,
        ["k"] = 1e3, ["kb"] = 1e3, ["ki"] = 1024, ["kib"] = 1024,
        ["m"] = 1e6, ["mb"] = 1e6, ["mi"] = 1 << 20, ["mib"] = 1 << 20,
        ["g"] = 1e9, ["gb"] = 1e9, ["gi"] = 1 << 30, ["gib"] = 1 << 30,
        ["t"] = 1e12, ["tb"] = 1e12, ["ti"] = 1L << 40, ["tib"] = 1L << 40,
    };

    public static bool TryParse(string? text, out ByteRate rate, out string error)
    {
        rate = default;
        error = $"--throttle needs a rate such as 10MB, 5MiB or 100Mbit (per second), not '{Printable(text)}'.";
        if (string.IsNullOrWhiteSpace(text) || text.Length > MaxTextLength)
        {
            return false;
        }

        ReadOnlySpan<char> s = text.AsSpan().Trim();
        if (s.EndsWith("/s", StringComparison.OrdinalIgnoreCase))
        {
            s = s[..^2].TrimEnd();
        }

        int numberEnd = 0;
        while (numberEnd < s.Length && (char.IsAsciiDigit(s[numberEnd]) || s[numberEnd] == '.'))
        {
            numberEnd++;
        }

        // Digits and at most one point only: no sign, exponent, NaN, Infinity or thousands separators.
        if (!double.TryParse(s[..numberEnd], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value)
            || !TryUnit(s[numberEnd..].TrimStart(), out double multiplier))
        {
            return false;
        }

        double bytes = value * multiplier;
        if (!double.IsFinite(bytes) || bytes <= 0)
        {
            error = $"--throttle must be more than zero ({Examples}); leave it out for no limit.";
            return false;
        }

        if (bytes > RateLimiter.MaxBytesPerSecond)
        {
            error = $"--throttle '{Printable(text)}' is more than 1 TB/s: check the unit ({Examples}).";
            return false;
        }

        if (bytes < MinBytesPerSecond)
        {
            error = $"--throttle '{Printable(text)}' is below the slowest rate, 1KB/s ({Examples}).";
            return false;
        }

        rate = new ByteRate((long)Math.Round(bytes));
        return true;
    }

    private static bool TryUnit(ReadOnlySpan<char> unit, out double multiplier)
    {
        double divisor = 1;
        if (EndsWith(ref unit, "bps") || EndsWith(ref unit, "bit") || EndsWith(ref unit, "bits"))
        {
            if (unit.EndsWith("b", StringComparison.OrdinalIgnoreCase))
            {
                multiplier = 0; // "kbbit", "MBbps": bytes and bits at once
                return false;
            }

            divisor = 8;
        }

        var lookup = Multipliers.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(unit, out multiplier))
        {
            multiplier /= divisor;
            return true;
        }

        return false;
    }

    private static bool EndsWith(ref ReadOnlySpan<char> unit, string suffix)
    {
        if (!unit.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        unit = unit[..^suffix.Length];
        return true;
    }

    /// <summary>The user's text for an error message, without control characters and cut to a sane length.</summary>
    private static string Printable(string? text)
    {
        if (text is null)
        {
            return string.Empty;
        }

        string cut = text.Length > MaxTextLength ? text[..MaxTextLength] + "…" : text;
        return string.Concat(cut.Select(c => char.IsControl(c) ? '?' : c));
    }
}
