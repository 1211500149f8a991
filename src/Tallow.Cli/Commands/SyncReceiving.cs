// The receiving side of `tallow sync` / `tallow watch`, entered from `tallow receive` when the
// offer is a sync: the mirror is <out>/<name>. Every round's plan is reviewed here before a byte
// moves: the first round asks (or --yes), --dry-run lists the plan and stops, deleting more than
// half of the mirror needs an interactive "delete" or --allow-mass-delete even with --yes, and
// --yes refuses hidden names going into existing folders of a folder that is not yet a tallow
// mirror unless --allow-hidden (like receive). A watch serves rounds until the sender leaves or
// Ctrl-C here, and survives a lost connection by reconnecting without a new code.
using Tallow.Cli.Output;
using Tallow.Protocol;
using Tallow.Protocol.Sync;
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Cli.Commands;

internal sealed record SyncReceiveArgs(string OutDir, bool Yes, bool AllowHidden, bool DryRun, bool AllowMassDelete, string? Backup);

internal sealed class SyncReceiving
{
    private readonly OpenSession _session;
    private readonly SyncReceiveArgs _args;
    private readonly Reporter _reporter;
    private readonly string _mirror;
    private readonly bool _watch;
    private readonly bool _wasMirror;
    private bool _accepted;

    private SyncReceiving(OpenSession session, SyncReceiveArgs args, Reporter reporter, string mirror, bool watch)
    {
        _session = session;
        _args = args;
        _reporter = reporter;
        _mirror = mirror;
        _watch = watch;
        _wasMirror = Directory.Exists(Path.Combine(mirror, SyncTree.StateFolder));
    }

    public static async Task RunAsync(OpenSession session, TransferOffer offer, SyncReceiveArgs args, Reporter reporter, CancellationToken ct)
    {
        if (offer.Entries.Count != 1 || offer.Entries[0].Type != EntryType.Directory || !PathSanitizer.IsSafeComponent(offer.Entries[0].Path, out _))
        {
            throw SyncLink.Broken("a sync offer without a single folder name");
        }

        string name = offer.Entries[0].Path;
        string mirror = Path.Combine(Path.GetFullPath(args.OutDir), name);
        string? backup = args.Backup is null ? null : Path.GetFullPath(args.Backup);
        if (backup is not null && (backup == mirror || backup.StartsWith(mirror + "/", StringComparison.Ordinal)))
        {
            await new SyncLink(session.Records.Port(RecordGroup.Sync)).TryStopAsync(CancelReason.Declined, "the receiver's --backup folder is inside the mirror").ConfigureAwait(false);
            throw new TallowException(FailureKind.Usage, $"--backup '{backup}' is inside the mirror '{mirror}': choose a folder outside it.");
        }

        bool watch = offer.Kind == TransferKind.Watch;
        reporter.Event("offer", ("kind", watch ? "watch" : "sync"), ("name", name), ("mirror", mirror));
        reporter.Info(watch ? $"The sender keeps '{TerminalText.Clean(PathSanitizer.Printable(name))}' mirrored here, at '{TerminalText.Clean(mirror)}', as it changes." : $"The sender mirrors '{TerminalText.Clean(PathSanitizer.Printable(name))}' to '{TerminalText.Clean(mirror)}'.");
        await new SyncReceiving(session, args, reporter, mirror, watch).ServeAsync(backup, ct).ConfigureAwait(false);
    }

    private async Task ServeAsync(string? backup, CancellationToken ct)
    {
        var link = new SyncLink(_session.Records.Port(RecordGroup.Sync));
        var receiver = new SyncReceiver(link, _mirror, backup, _reporter);
        try
        {
            while (true)
            {
                SyncRoundReport? report;
                try
                {
                    report = await receiver.RunRoundAsync(DecideAsync, ct).ConfigureAwait(false);
                }
                catch (TallowException) when (link.PeerStopped is string why)
                {
                    _reporter.Info($"The sender stopped: {TerminalText.Clean(why)}.");
                    return; // e.g. its --dry-run: nothing here changed
                }
                catch (TallowException ex) when (_session.Records.PeerLeft.IsCompleted)
                {
                    // The sender left on purpose (done, Ctrl-C): never a network error. In the middle of
                    // a round a sync was cancelled (exit 3); a watch simply ended, with a warning.
                    _reporter.FinishProgress();
                    const string Unfinished = "The round was not finished: the mirror holds whole files, old or new; sync again to complete it.";
                    if (!receiver.Idle && !_watch)
                    {
                        throw new TallowException(FailureKind.Declined, $"{ex.Message} {Unfinished}", ex);
                    }

                    if (!receiver.Idle)
                    {
                        _reporter.Warn($"the sender left during a round. {Unfinished}");
                    }

                    if (_watch)
                    {
                        SyncReport.PeerLeft(_reporter, "sender", _session.Records.PeerLeft.Result);
                    }

                    return; // the sender finished (or stopped) and left
                }
                catch (TallowException) when (_watch && _session.Records.Ended.IsCompleted && !_session.Records.PeerLeft.IsCompleted && !ct.IsCancellationRequested)
                {
                    _reporter.FinishProgress();
                    await _session.ReconnectAsync(_reporter, ct).ConfigureAwait(false); // the sender catches up with a full round
                    link = new SyncLink(_session.Records.Port(RecordGroup.Sync));
                    receiver = new SyncReceiver(link, _mirror, backup, _reporter);
                    continue;
                }
                finally
                {
                    _reporter.FinishProgress();
                }

                if (report is null)
                {
                    if (_args.DryRun)
                    {
                        return;
                    }

                    throw _refusal ?? new TallowException(FailureKind.Declined, "sync declined.");
                }

                SyncReport.Applied(_reporter, _mirror, report, _watch, _reporter.TransferElapsed);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _session.Records.LeaveAsync("interrupted", grace.Token).ConfigureAwait(false);
            throw;
        }
    }

    private TallowException? _refusal;

    private async Task<SyncDecision> DecideAsync(SyncReview review, CancellationToken ct)
    {
        SyncDecision decision = await ReviewAsync(review, ct).ConfigureAwait(false);
        _reporter.StartTransferClock(); // the round's time, not the wait for it or for the user's answer
        return decision;
    }

    private async Task<SyncDecision> ReviewAsync(SyncReview review, CancellationToken ct)
    {
        SyncReport.Plan(_reporter, review.Round, review, listEach: _args.DryRun);
        string summary = review.Summary(b => Units.Bytes(b));
        if (_args.DryRun)
        {
            _reporter.Info($"Dry run: '{TerminalText.Clean(_mirror)}' would get {summary}; nothing was changed.");
            return SyncDecision.Stop("the receiver only listed the plan (--dry-run): nothing was changed");
        }

        if (review.IsEmpty)
        {
            return SyncDecision.Go;
        }

        if (review.IsMassDelete && !_args.AllowMassDelete)
        {
            string what = $"this sync would delete {review.DeletedFiles} of the {review.MirrorFiles} files in '{_mirror}'";
            if (!Interactive || !await AskAsync($"Warning: {what}. Type 'delete' to allow it: ", "delete", ct).ConfigureAwait(false))
            {
                return Refuse(FailureKind.Declined, $"{what}: refused. To allow it, confirm on a terminal or pass --allow-mass-delete.", "the receiver refused to delete more than half of the mirror");
            }
        }

        if (!_accepted && !_wasMirror && _args.Yes && !_args.AllowHidden && review.HiddenIntoExisting.Count > 0)
        {
            string names = string.Join(", ", review.HiddenIntoExisting.Take(5).Select(TerminalText.Clean));
            return Refuse(FailureKind.Declined,
                $"the sync would put hidden names into folders that already exist in '{_mirror}' ({names}{(review.HiddenIntoExisting.Count > 5 ? ", …" : string.Empty)}): refused. Run without --yes to review them, or add --allow-hidden.",
                "hidden names need the receiver's confirmation");
        }

        if (!_accepted && !_args.Yes)
        {
            if (!Interactive)
            {
                return Refuse(FailureKind.Declined, "not accepting without confirmation: stdin is not a terminal. Run again with --yes to accept automatically.", "declined by the receiver");
            }

            string exec = review.Executables.Count > 0 ? $" ({review.Executables.Count} executable)" : string.Empty;
            string hidden = review.HiddenIntoExisting.Count > 0 ? $"\nHidden names into existing folders: {string.Join(", ", review.HiddenIntoExisting.Take(5).Select(TerminalText.Clean))}" : string.Empty;
            if (!await AskAsync($"Sync into '{TerminalText.Clean(_mirror)}': {summary}{exec}.{hidden}\nAccept? [y/N] ", "y", ct).ConfigureAwait(false))
            {
                return Refuse(FailureKind.Declined, "sync declined.", "declined by the receiver");
            }
        }

        _accepted = true;
        return SyncDecision.Go;
    }

    private SyncDecision Refuse(FailureKind kind, string message, string toSender)
    {
        _refusal = new TallowException(kind, message);
        return SyncDecision.Stop(toSender);
    }

    private bool Interactive => !_reporter.Json && !Console.IsInputRedirected;

    private static async Task<bool> AskAsync(string question, string yes, CancellationToken ct)
    {
        Console.Error.Write(question);
        string? answer = await Task.Run(Console.ReadLine, ct).WaitAsync(ct).ConfigureAwait(false);
        answer = answer?.Trim() ?? string.Empty;
        return answer.Equals(yes, StringComparison.OrdinalIgnoreCase) || (yes == "y" && answer.Equals("yes", StringComparison.OrdinalIgnoreCase));
    }
}
