// `tallow sync DIR [--delete] [--dry-run]` and `tallow watch DIR [--delete] [--debounce 1s]`:
// one-way mirroring of DIR to the receiver's <out>/<name of DIR>, moving only changed chunks
// (protocol.md "Sync"). The receiver runs the ordinary `tallow receive`. sync runs one round
// (and up to two more for files that changed while they were sent); watch then keeps the session
// open and runs a round per batch of changes (SyncWatch).
using System.CommandLine;
using Tallow.Cli.Output;
using Tallow.Crypto;
using Tallow.Protocol;
using Tallow.Protocol.Records;
using Tallow.Protocol.Sync;
using Tallow.Protocol.Transfer;
using Tallow.Protocol.Transfer.Compression;
using Tallow.Wire;

namespace Tallow.Cli.Commands;

internal static class SyncCommand
{
    /// <summary>Rounds a sync runs at most: the first, and again for files that changed while being sent.</summary>
    private const int MaxRounds = 3;

    public static Command CreateSync() => Create(watch: false);

    public static Command CreateWatch() => Create(watch: true);

    private static Command Create(bool watch)
    {
        var common = new CommonOptions();
        var folder = new Argument<string>("folder") { Description = "The folder to mirror to the receiver" };
        var delete = new Option<bool>("--delete") { Description = "Also remove from the mirror what this folder no longer has" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Connect, list what would change on the receiver's side, change nothing" };
        var debounce = new Option<string>("--debounce") { Description = "Quiet time after the last change before a batch is sent (e.g. 500ms, 1s, 2m)", DefaultValueFactory = _ => "1s" };
        Option<int> words = common.CreateWords();
        var verify = SafetyCheck.CreateOption();
        var command = watch
            ? new Command("watch", "Mirror a folder to a receiver, then keep sending each change as it happens (Ctrl-C ends both sides)") { folder, delete, debounce, words, verify }
            : new Command("sync", "Mirror a folder to a receiver, sending only what changed since the mirror was last synced") { folder, delete, dryRun, words, verify };
        common.Code.Description = "Use this code phrase instead of a generated one (default: $TALLOW_CODE)";
        command.Options.Add(common.Code);
        common.AddTo(command);
        common.AddHistoryTo(command);
        command.SetAction((result, ct) =>
        {
            common.ApplyHistory(result);
            var reporter = new Reporter(result.GetValue(common.Json), result.GetValue(common.Quiet), "sync_change");
            var args = new SyncArgs(
                result.GetValue(folder)!, result.GetValue(delete), !watch && result.GetValue(dryRun), watch,
                watch ? ParseDebounce(result.GetValue(debounce)) : TimeSpan.Zero, result.GetValue(words), result.GetValue(verify));
            return CommandRunner.RunAsync(reporter, () => RunAsync(result, common, reporter, args, ct));
        });
        return command;
    }

    internal sealed record SyncArgs(string Folder, bool Delete, bool DryRun, bool Watch, TimeSpan Debounce, int Words, bool Verify);

    private static async Task RunAsync(ParseResult result, CommonOptions common, Reporter reporter, SyncArgs args, CancellationToken ct)
    {
        string root = Path.GetFullPath(args.Folder).TrimEnd('/');
        string name = Path.GetFileName(root);
        if (!Directory.Exists(root))
        {
            throw new TallowException(FailureKind.Usage, $"'{PathSanitizer.Printable(args.Folder)}' is not a folder: sync mirrors a folder (to send files, use 'tallow send').");
        }

        if (!PathSanitizer.IsSafeComponent(name, out _))
        {
            throw new TallowException(FailureKind.Usage, $"'{PathSanitizer.Printable(args.Folder)}' has no name to mirror as: name the folder itself, e.g. 'tallow sync ./photos'.");
        }

        string? code = CodeSource.ForCreator(result.GetValue(common.Code), reporter, readEnvironment: true);
        string headline = args.Watch ? $"Watching '{PathSanitizer.Printable(name)}': the receiver gets a mirror of it, kept up to date" : $"Syncing '{PathSanitizer.Printable(name)}'";
        var request = new CreateRequest("receive", headline, args.Words, code, JoinerAsksForCode: true);
        await using OpenSession session = await SessionSetup.CreateAsync(result, common, reporter, request, args.Verify, ct).ConfigureAwait(false);
        session.Records.Channel.SendThrottle = common.ResolveThrottle(result);
        var offer = new TransferOffer(args.Watch ? TransferKind.Watch : TransferKind.Sync, ContentChunker.MaxSize, [new OfferEntry(EntryType.Directory, name, 0, 0x1ED, 0)]);
        if (!args.DryRun)
        {
            reporter.History.Begin(sending: true, offer);
        }

        byte[] body = new byte[offer.GetSize()];
        await session.Records.Port(RecordGroup.OutgoingTransfer).SendAsync(RecordKind.Offer, body.AsMemory(0, offer.Write(body)), ct).ConfigureAwait(false);
        await session.UpgradeAsync(reporter, bytesLeft: null, ct).ConfigureAwait(false); // the receiver answers the offer's kind by upgrading too

        try
        {
            await using TreeWatcher? watcher = args.Watch ? SyncWatch.StartWatcher(root, args.Debounce) : null; // from before the first round: nothing is missed
            uint round = await SyncOnceAsync(session, root, name, args, reporter, 1, [], ct).ConfigureAwait(false);
            if (watcher is not null)
            {
                await new SyncWatch(session, root, name, args, reporter).RunAsync(watcher, round, ct).ConfigureAwait(false);
                return; // the receiver left
            }

            await session.Records.LeaveAsync("done", ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await session.Records.LeaveAsync("interrupted", grace.Token).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A round over <paramref name="scope"/>, repeated (up to <see cref="MaxRounds"/>) while files changed as they were sent; returns the last round number used.</summary>
    internal static async Task<uint> SyncOnceAsync(OpenSession session, string root, string name, SyncArgs args, Reporter reporter, uint round, IReadOnlyList<string> scope, CancellationToken ct)
    {
        var sender = new SyncSender(new SyncLink(session.Records.Port(RecordGroup.Sync)), reporter, CompressionMode.Auto);
        for (int attempt = 1; ; attempt++, round++)
        {
            reporter.StartTransferClock();
            SyncRoundResult done;
            try
            {
                done = await sender.RunRoundAsync(round, root, scope, args.Delete, args.DryRun, reporter.Warn, ct).ConfigureAwait(false);
            }
            finally
            {
                reporter.FinishProgress();
            }

            SyncReport.Sent(reporter, name, round, done, args, reporter.TransferElapsed);
            if (args.DryRun || done.Applied.Failed == 0 || attempt == MaxRounds)
            {
                if (done.Applied.Failed > 0)
                {
                    reporter.Warn($"{done.Applied.Failed} entries could not be updated on the receiver's side (see its output); run the sync again to complete them.");
                }

                return round;
            }

            reporter.Info($"{done.Applied.Failed} entries were not updated (they changed while being sent); syncing again.");
        }
    }

    private static TimeSpan ParseDebounce(string? text)
    {
        text = (text ?? "1s").Trim();
        (string number, double scale) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1)
            : text.EndsWith('m') ? (text[..^1], 60)
            : (text, 1);
        if (!double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value) || value * scale is < 0.05 or > 3600)
        {
            throw new TallowException(FailureKind.Usage, $"--debounce '{PathSanitizer.Printable(text)}' is not a duration between 50ms and 60m (e.g. 500ms, 1s, 2m).");
        }

        return TimeSpan.FromSeconds(value * scale);
    }
}
