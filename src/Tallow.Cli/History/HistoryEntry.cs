// One past transfer as the history keeps it: what moved (top-level names, "text" or the stream),
// how big, which way, over which path, and how it ended. Never content, the code or a password.
namespace Tallow.Cli.History;

/// <param name="Started">When the transfer began (UTC).</param>
/// <param name="Direction">"sent" or "received".</param>
/// <param name="Kind">"files", "text", "stream", "sync" or "watch".</param>
/// <param name="Names">Top-level entry names (at most <see cref="MaxNames"/>); "text" or "stream" for those kinds.</param>
/// <param name="NameCount">How many top-level names there were in all.</param>
/// <param name="Bytes">Total size offered (streams and sync: bytes moved); null when unknown.</param>
/// <param name="Path">"direct" or "relay".</param>
/// <param name="Relay">The relay's host:port, "built-in" for the sender's own LAN relay; null when no relay was reached.</param>
/// <param name="Result">"completed", "declined", "cancelled" or "failed".</param>
/// <param name="Reason">Why it did not complete (short, no secrets); null when completed.</param>
/// <param name="Seconds">Time from acceptance to the end; null when never accepted.</param>
internal sealed record HistoryEntry(
    DateTimeOffset Started, string Direction, string Kind, IReadOnlyList<string> Names, int NameCount, long? Bytes,
    string Path, string? Relay, string Result, string? Reason, double? Seconds)
{
    public const int MaxNames = 10;
    public const int MaxNameLength = 255;
    public const int MaxReasonLength = 200;
}
