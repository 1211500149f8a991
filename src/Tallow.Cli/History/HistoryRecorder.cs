// Writes a command's transfer into the history when the command ends (called by CommandRunner,
// the one place outcomes become exit codes). Recording never changes a transfer's outcome: any
// failure (locked, corrupt or read-only database, a missing native library) becomes one warning,
// and the exit code stays what it was.
using Tallow.Cli.Output;
using Tallow.Protocol;

namespace Tallow.Cli.History;

internal static class HistoryRecorder
{
    /// <summary>Records the draft's transfer, ended with <paramref name="exitCode"/> (and <paramref name="failure"/>'s text when it failed).</summary>
    public static void Record(HistoryDraft draft, int exitCode, string? failure, Reporter reporter)
    {
        if (!draft.Begun || !HistorySettings.Enabled)
        {
            return;
        }

        try
        {
            HistoryEntry entry = ToEntry(draft, exitCode, failure);
            using HistoryStore store = HistoryStore.TakePrepared(HistoryStore.DefaultPath) ?? HistoryStore.Open(HistoryStore.DefaultPath, create: true)!;
            store.Append(entry);
        }
        catch (Exception ex) // the history is a convenience: nothing it does may fail a transfer
        {
            string why = HistoryStore.Describe(ex);
            reporter.Warn($"this transfer was not added to the history '{HistoryStore.DefaultPath}' ({draft.ShortReason(why)}); the transfer itself is not affected. "
                + "'tallow history --clear' starts a new history; --no-history or TALLOW_NO_HISTORY=1 turns recording off.");
        }
    }

    /// <summary>
    /// completed (exit 0); declined (refused before it began); cancelled (stopped after it began,
    /// by either side, or Ctrl-C); failed with its reason (network, files, wrong code, a bug).
    /// </summary>
    internal static HistoryEntry ToEntry(HistoryDraft draft, int exitCode, string? failure)
    {
        string result = exitCode switch
        {
            0 => "completed",
            (int)FailureKind.Interrupted => "cancelled",
            (int)FailureKind.Declined => draft.Accepted ? "cancelled" : "declined",
            _ => "failed",
        };
        string? reason = exitCode == 0 || failure is null ? null : draft.ShortReason(failure);
        double? seconds = draft.SinceAccepted is TimeSpan elapsed ? Math.Round(elapsed.TotalSeconds, 3) : null;
        return new HistoryEntry(draft.Started, draft.Direction, draft.Kind, draft.Names, draft.NameCount, draft.Bytes, draft.Path, draft.Relay, result, reason, seconds);
    }
}
