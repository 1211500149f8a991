// The options of `tallow drop-box`, checked before anything goes on the network: the folder,
// how many transfers and for how long, how many failed guesses end it, how many senders at once.
using Tallow.Protocol;
using Tallow.Protocol.Records;
using Tallow.Wire;

namespace Tallow.Cli.DropBox;

/// <param name="MaxTransfers">Stop after this many successful transfers (0: no limit).</param>
/// <param name="Expire">Stop when this much time has passed (null: no limit).</param>
/// <param name="MaxFailures">Failed handshakes (online guesses of the code) that stop the drop box.</param>
/// <param name="MaxSenders">Senders served at the same time (the routing room holds these plus the drop box).</param>
internal sealed record DropBoxSettings(string OutRoot, int MaxTransfers, TimeSpan? Expire, int MaxFailures, int MaxSenders)
{
    /// <summary>--throttle: what all transfers together may take in per second (null: no limit).</summary>
    public RateLimiter? Throttle { get; init; }

    public const int DefaultMaxFailures = 10;
    public const int DefaultMaxSenders = 4;
    public const int MinWords = 5;

    /// <summary>The routing room's capacity: every sender at once and the drop box itself.</summary>
    public byte Capacity => (byte)(MaxSenders + 1);

    public static DropBoxSettings Create(string outRoot, int maxTransfers, string? expire, int maxFailures, int maxSenders)
    {
        if (maxTransfers < 0)
        {
            throw new TallowException(FailureKind.Usage, "--max must be 1 or more (leave it out for no limit).");
        }

        TimeSpan? expireAfter = null;
        if (expire is not null)
        {
            expireAfter = DurationText.TryParse(expire, out TimeSpan parsed)
                ? parsed
                : throw new TallowException(FailureKind.Usage, $"--expire takes a duration like 90s, 30m, 2h, 1d or 1h30m (at most {DurationText.Max.TotalDays:0} days).");
        }

        if (maxFailures < 1 || maxFailures > 1000)
        {
            throw new TallowException(FailureKind.Usage, "--max-failures must be between 1 and 1000.");
        }

        if (maxSenders < RoomProtocol.MinCapacity - 1 || maxSenders > RelayProtocol.MaxRoomCapacity - 1)
        {
            throw new TallowException(FailureKind.Usage, $"--max-senders must be between {RoomProtocol.MinCapacity - 1} and {RelayProtocol.MaxRoomCapacity - 1}.");
        }

        return new DropBoxSettings(Path.GetFullPath(outRoot), maxTransfers, expireAfter, maxFailures, maxSenders);
    }
}
