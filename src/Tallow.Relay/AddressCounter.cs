// What one client address holds at once (DESIGN.md §5.5): its connections, or its rooms still
// waiting for a peer, against a per-address limit (keys from AddressKey: IPv4 address or IPv6 /64).
// Every successful TryAcquire is matched by exactly one Release. An entry exists only while its
// count is above zero, so the table never has more entries than the relay has connections (or rooms).
namespace Tallow.Relay;

internal sealed class AddressCounter
{
    private readonly Dictionary<UInt128, int> _counts = [];

    /// <param name="limit">Most held at once per address; zero or negative disables the limit (and the counting).</param>
    public AddressCounter(int limit) => Limit = limit;

    public int Limit { get; }

    public bool Enabled => Limit > 0;

    /// <summary>Addresses that hold at least one now.</summary>
    public int Addresses
    {
        get
        {
            lock (_counts)
            {
                return _counts.Count;
            }
        }
    }

    /// <summary>Counts one more for <paramref name="key"/>; false (nothing counted) when it already holds Limit.</summary>
    public bool TryAcquire(UInt128 key)
    {
        if (!Enabled)
        {
            return true;
        }

        lock (_counts)
        {
            _counts.TryGetValue(key, out int count);
            if (count >= Limit)
            {
                return false;
            }

            _counts[key] = count + 1;
            return true;
        }
    }

    /// <summary>Gives back one that TryAcquire counted.</summary>
    public void Release(UInt128 key)
    {
        if (!Enabled)
        {
            return;
        }

        lock (_counts)
        {
            if (!_counts.TryGetValue(key, out int count))
            {
                return;
            }

            if (count <= 1)
            {
                _counts.Remove(key);
            }
            else
            {
                _counts[key] = count - 1;
            }
        }
    }

    /// <summary>How many <paramref name="key"/> holds now (0 when the limit is disabled).</summary>
    public int CountOf(UInt128 key)
    {
        lock (_counts)
        {
            return _counts.GetValueOrDefault(key);
        }
    }
}
