// Tuning of the direct path, with the reasoning next to each value (DESIGN.md §9.6).
namespace Tallow.Net.Direct;

public sealed record PathTimings
{
    /// <summary>
    /// Sealed bytes sent on the direct path but not yet acknowledged, at the start. They are kept
    /// so a broken direct connection can be replayed over the relay, and they are the sender's
    /// largest memory cost; 4 MiB fills a 50 ms path at 80 MB/s, far more than a LAN or loopback
    /// needs. Longer, faster paths grow it (WindowGrowth) up to RetransmitWindowMax.
    /// </summary>
    public int RetransmitWindow { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// The most the retransmit window grows to: 32 MiB covers the 10 MB bandwidth-delay product of
    /// 1 Gbit/s at 80 ms plus the socket buffers on the way, and is the sender's memory bound for it
    /// (it only grows while the receiver acknowledges a whole window per round trip).
    /// </summary>
    public int RetransmitWindowMax { get; init; } = 32 * 1024 * 1024;

    /// <summary>The receiver acknowledges after this many bytes (a quarter of the window keeps the pipe full).</summary>
    public int AckEveryBytes { get; init; } = 1024 * 1024;

    /// <summary>Acknowledgements also go out on this tick when frames arrived, and double as heartbeats.</summary>
    public TimeSpan AckInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>A heartbeat (an Ack) at least this often, so the peer can tell silence from idleness.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>No byte at all on the direct path for this long while waiting for one ⇒ the path is dead (black hole, NAT timeout).</summary>
    public TimeSpan SilenceTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait for the peer's PathResync on the relay after the direct path broke.</summary>
    public TimeSpan ResyncTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Relay keep-alive while it carries nothing else (the relay's idle timeout is 30 min by default).</summary>
    public TimeSpan RelayPingInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>At the end, how long to wait for the peer to close its side of the direct connection.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(2);
}
