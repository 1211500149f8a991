// Failed attempts per client address (DESIGN.md §5.5), against nameplate scanning and password
// guessing: a Claim of a nameplate nobody waits on or that already has two peers, and an Auth with
// the wrong relay password, each count as one failure of the address (AddressKey: IPv4 address or
// IPv6 /64). When MaxFailures fall within Window (counted from the first failure of the window),
// the address is blocked: its Claims and Auths are refused for Block, then it starts afresh. A
// success never clears failures (an attacker could interleave claims of its own rooms). Entries
// that are neither blocked nor inside a window are pruned, so a scan from many addresses cannot
// grow the table without bound.
namespace Tallow.Relay;

internal sealed class FailedClaimLimiter
{
    // Pruning walks the table; do it at most once a second and only when the table is large.
    private const int PruneThreshold = 4096;

    private readonly Dictionary<UInt128, Entry> _entries = [];
    private readonly TimeProvider _time;
    private long _lastPrune;

    /// <param name="maxFailures">Failures within <paramref name="window"/> that block the address; zero or negative disables the limit.</param>
    public FailedClaimLimiter(int maxFailures, TimeSpan window, TimeSpan block, TimeProvider time)
    {
        MaxFailures = maxFailures;
        Window = window;
        Block = block;
        _time = time;
        _lastPrune = time.GetTimestamp();
    }

    public int MaxFailures { get; }

    public TimeSpan Window { get; }

    public TimeSpan Block { get; }

    public bool Enabled => MaxFailures > 0;

    /// <summary>Addresses with an entry (failures in a window, or a block); for tests and pruning checks.</summary>
    public int Tracked
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>True while <paramref name="key"/> is blocked; <paramref name="remaining"/> is the time left.</summary>
    public bool IsBlocked(UInt128 key, out TimeSpan remaining)
    {
        remaining = TimeSpan.Zero;
        if (!Enabled)
        {
            return false;
        }

        long now = _time.GetTimestamp();
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out Entry? entry) || !entry.Blocked)
            {
                return false;
            }

            TimeSpan blockedFor = _time.GetElapsedTime(entry.BlockStart, now);
            if (blockedFor >= Block)
            {
                _entries.Remove(key); // the block is over: a fresh start
                return false;
            }

            remaining = Block - blockedFor;
            return true;
        }
    }

    /// <summary>Counts one failure of <paramref name="key"/>; true when it is the one that starts a block.</summary>
    public bool RecordFailure(UInt128 key)
    {
        if (!Enabled)
        {
            return false;
        }

        long now = _time.GetTimestamp();
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out Entry? entry))
            {
                entry = new Entry { WindowStart = now };
                _entries[key] = entry;
            }
            else if (entry.Blocked)
            {
                if (_time.GetElapsedTime(entry.BlockStart, now) < Block)
                {
                    return false; // raced with the block (checked before it began): already refused from now on
                }

                entry.Blocked = false;
                entry.Failures = 0;
                entry.WindowStart = now;
            }
            else if (_time.GetElapsedTime(entry.WindowStart, now) > Window)
            {
                entry.Failures = 0;
                entry.WindowStart = now;
            }

            entry.Failures++;
            bool blocks = entry.Failures >= MaxFailures;
            if (blocks)
            {
                entry.Blocked = true;
                entry.BlockStart = now;
            }

            if (_entries.Count > PruneThreshold && _time.GetElapsedTime(_lastPrune, now) > TimeSpan.FromSeconds(1))
            {
                Prune(now);
            }

            return blocks;
        }
    }

    private void Prune(long now)
    {
        _lastPrune = now;
        foreach ((UInt128 key, Entry entry) in _entries)
        {
            bool over = entry.Blocked
                ? _time.GetElapsedTime(entry.BlockStart, now) >= Block
                : _time.GetElapsedTime(entry.WindowStart, now) > Window;
            if (over)
            {
                _entries.Remove(key);
            }
        }
    }

    private sealed class Entry
    {
        public long WindowStart;
        public int Failures;
        public bool Blocked;
        public long BlockStart;
    }
}
