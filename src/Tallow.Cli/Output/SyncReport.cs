// How sync and watch rounds look: one line per round for people, and JSON events (sync_plan
// with the counts, sync_change per path, sync_round with what was done) for scripts. A dry run
// lists every change, one line each, with a mark: + new, ~ changed, > renamed, = mode or time,
// d folder, - delete.
using Tallow.Cli.Commands;
using Tallow.Protocol.Sync;
using Tallow.Protocol.Transfer;

namespace Tallow.Cli.Output;

internal static class SyncReport
{
    /// <summary>The sender's account of a round (its plan, the receiver's SyncApplied).</summary>
    public static void Sent(Reporter reporter, string name, uint round, SyncRoundResult done, SyncCommand.SyncArgs args, TimeSpan elapsed)
    {
        if (args.DryRun)
        {
            SyncReview review = SyncReview.Create(done.Plan.Ops, done.Index, done.Index.Count(e => e.Type != SyncEntryType.Directory), mirrorExists: true, store: null, _ => null, round);
            Plan(reporter, round, review, listEach: true);
            reporter.Info($"Dry run: the receiver's '{PathSanitizer.Printable(name)}' would get {review.Summary(b => "up to " + Units.Bytes(b))} (it reuses what it already has); nothing was changed.");
            return;
        }

        SyncApplied applied = done.Applied;
        reporter.History.AddBytesMoved(done.ContentBytes);
        reporter.Event("sync_round", ("round", (long)round), ("written", (long)applied.Written), ("deleted", (long)applied.Deleted), ("failed", (long)applied.Failed),
            ("bytes", done.ContentBytes), ("wire_bytes", done.WireBytes), ("seconds", elapsed.TotalSeconds));
        string what = applied.Written + applied.Deleted == 0 && applied.Failed == 0
            ? "already up to date"
            : $"{Count(applied.Written, "written")}{Count(applied.Deleted, "deleted")}{Count(applied.Failed, "failed")}".TrimEnd(',', ' ');
        string moved = done.ContentBytes > 0 ? $"; {Units.Bytes(done.ContentBytes)} of changed content sent{SendCommand.Compressed(done.ContentBytes, done.WireBytes)}" : string.Empty;
        reporter.Info($"{Stamp(args.Watch)}Synced '{PathSanitizer.Printable(name)}': {what}{moved} ({elapsed.TotalSeconds:0.0} s).");
    }

    /// <summary>The plan as the receiver (or a dry run) sees it: the sync_plan event and, when asked, a line per change.</summary>
    public static void Plan(Reporter reporter, uint round, SyncReview review, bool listEach)
    {
        reporter.Event("sync_plan", ("round", (long)round), ("new", review.NewFiles), ("changed", review.ChangedFiles), ("renamed", review.Renamed),
            ("metadata", review.MetadataOnly), ("new_folders", review.NewFolders), ("delete", review.DeletedFiles),
            ("bytes_to_transfer", review.BytesToTransfer), ("mass_delete", review.IsMassDelete));
        if (!listEach)
        {
            return;
        }

        foreach ((string action, SyncOp op) in review.Changes)
        {
            reporter.Event("sync_change", ("round", (long)round), ("action", action), ("path", op.Path), ("size", op.Kind == SyncOpKind.File ? op.Size : null), ("planned", true));
            if (!reporter.Json)
            {
                string size = op.Kind == SyncOpKind.File ? $" ({Units.Bytes(op.Size)})" : string.Empty;
                reporter.Info($"  {Mark(action)} {TerminalText.Clean(PathSanitizer.Printable(op.Path))}{size}");
            }
        }
    }

    /// <summary>The receiver's account of an applied round: an event per change, one line for people.</summary>
    public static void Applied(Reporter reporter, string mirror, SyncRoundReport report, bool watch, TimeSpan elapsed)
    {
        foreach ((string action, SyncOp op) in report.Review.Changes)
        {
            reporter.Event("sync_change", ("round", (long)report.Round), ("action", action), ("path", op.Path), ("size", op.Kind == SyncOpKind.File ? op.Size : null));
        }

        SyncApplied applied = report.Applied;
        reporter.History.AddBytesMoved(applied.BytesReceived);
        reporter.Event("sync_applied", ("round", (long)report.Round), ("written", (long)applied.Written), ("deleted", (long)applied.Deleted), ("failed", (long)applied.Failed),
            ("bytes", applied.BytesReceived), ("backed_up", report.BackedUp), ("seconds", elapsed.TotalSeconds));
        if (report.Review.IsEmpty && watch)
        {
            return; // a batch that changed nothing here (e.g. a file saved twice): no line
        }

        string backup = report.BackedUp > 0 ? $"; {report.BackedUp} old versions kept in the backup" : string.Empty;
        string failed = applied.Failed > 0 ? $"; {applied.Failed} not updated yet" : string.Empty;
        reporter.Info($"{Stamp(watch)}Synced '{TerminalText.Clean(mirror)}': {report.Review.Summary(b => Units.Bytes(b)).Replace(" to transfer", " received", StringComparison.Ordinal)}{backup}{failed} ({elapsed.TotalSeconds:0.0} s).");
    }

    /// <summary>The other side ended the watch on purpose (Ctrl-C there, or it finished).</summary>
    public static void PeerLeft(Reporter reporter, string who, string reason)
    {
        reporter.Event("peer_left", ("reason", reason));
        reporter.Info($"The {who} stopped watching{(reason.Length > 0 ? $" ({TerminalText.Clean(PathSanitizer.Printable(reason))})" : string.Empty)}.");
    }

    private static string Mark(string action) => action switch
    {
        "new" => "+",
        "changed" => "~",
        "renamed" => ">",
        "metadata" => "=",
        "folder" => "d",
        _ => "-",
    };

    private static string Count(uint n, string what) => n > 0 ? $"{n} {what}, " : string.Empty;

    private static string Stamp(bool watch) => watch ? $"{DateTime.Now:HH:mm:ss} " : string.Empty;
}
