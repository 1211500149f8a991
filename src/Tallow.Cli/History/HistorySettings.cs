// Whether this process records its transfer in the local history (HistoryStore). One switch for
// every source: --no-history (send, receive, sync, watch), TALLOW_NO_HISTORY=1, and the client
// config file's `history = false` (wired through ConfigEnabled by whatever reads that file).
namespace Tallow.Cli.History;

internal static class HistorySettings
{
    /// <summary>True in a command that records its transfer (send, receive, sync, watch: CommonOptions.ApplyHistory).</summary>
    public static bool CommandRecords { get; set; }

    /// <summary>Set by --no-history.</summary>
    public static bool DisabledByFlag { get; set; }

    /// <summary>The config file's `history` key (true when the file says nothing).</summary>
    public static bool ConfigEnabled { get; set; } = true;

    /// <summary>TALLOW_NO_HISTORY=1 (or true/yes): no history for this process.</summary>
    public static bool DisabledByEnvironment =>
        Environment.GetEnvironmentVariable("TALLOW_NO_HISTORY")?.Trim().ToLowerInvariant() is "1" or "true" or "yes";

    public static bool Enabled => !DisabledByFlag && ConfigEnabled && !DisabledByEnvironment;
}
