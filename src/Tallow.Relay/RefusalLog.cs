// Keeps refusals from flooding the relay's log (an attacker's connections are refused by the
// thousand per minute): per client address (AddressKey) and reason, one line per Interval; the
// next line that gets through says how many were left out since. Metrics still count every one.
// Bounded: at most MaxTracked address/reason pairs; when full, the table starts again.
namespace Tallow.Relay;

internal sealed class RefusalLog(TimeProvider time)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    public const int MaxTracked = 4096;

    private readonly Dictionary<(UInt128 Address, RelayRejectionReason Reason), Entry> _entries = [];

    /// <summary>
    /// The line to log for this refusal, or null when one like it was logged within the interval. A line
    /// after a quiet interval carries the count of those left out.
    /// </summary>
    public string? Admit(UInt128 address, RelayRejectionReason reason, string line)
    {
        DateTimeOffset now = time.GetUtcNow();
        lock (_entries)
        {
            if (_entries.TryGetValue((address, reason), out Entry entry) && now - entry.Logged < Interval)
            {
                _entries[(address, reason)] = entry with { Suppressed = entry.Suppressed + 1 };
                return null;
            }

            if (_entries.Count >= MaxTracked)
            {
                _entries.Clear();
            }

            _entries[(address, reason)] = new Entry(now, 0);
            return entry.Suppressed > 0 ? $"{line} (and {entry.Suppressed} more like it from that address in the last {(now - entry.Logged).TotalMinutes:0} min)" : line;
        }
    }

    private readonly record struct Entry(DateTimeOffset Logged, long Suppressed);
}
