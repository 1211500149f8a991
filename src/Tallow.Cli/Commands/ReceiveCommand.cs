// `tallow receive [CODE] [--out DIR] [--yes] [--allow-hidden] [--overwrite] [--select]`: receives
// what the sender offers. The code comes from CodeSource (argument, TALLOW_CODE or the prompt). A
// Files offer is shown entry by entry with its marks (OfferReview) before it is accepted; --yes
// refuses one that puts hidden names into existing folders unless --allow-hidden.
using System.CommandLine;
using System.Text;
using Tallow.Cli.Output;
using Tallow.Protocol;
using Tallow.Protocol.Records;
using Tallow.Protocol.Session;
using Tallow.Protocol.Transfer;
using Tallow.Protocol.Transfer.Selection;
using Tallow.Wire;

namespace Tallow.Cli.Commands;

internal static class ReceiveCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var code = new Argument<string[]>("code")
        {
            Arity = ArgumentArity.ZeroOrMore,
            Description = "The code phrase the sender shows. Best left out: you are asked for it (Tab completes words), or set TALLOW_CODE; a code given here is visible to other users of this computer",
        };
        Option<string> output = common.CreateOut("Folder to save into (a stream, too, when --out is given: saved there under the sender's --name; otherwise it goes to stdout)");
        var yes = new Option<bool>("--yes", "-y") { Description = "Accept the offer without asking (not one that puts hidden names like .ssh or .git into folders that exist here: see --allow-hidden)" };
        var allowHidden = new Option<bool>("--allow-hidden") { Description = "With --yes, also accept hidden names (starting with '.') going into the output folder or a folder already in it" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace existing files instead of saving as 'name (1).ext'" };
        var noResume = new Option<bool>("--no-resume") { Description = "Receive every file from the start, ignoring .tallow-part files and files already here" };
        var select = new Option<bool>("--select") { Description = "Choose which of the offered files to receive from a list (needs a terminal; in scripts use --only GLOB)" };
        var only = new Option<string[]>("--only") { Description = "Receive only offered files matching this gitignore-style pattern (repeatable; a matching folder takes everything in it)", AllowMultipleArgumentsPerToken = false };

        var dryRun = new Option<bool>("--dry-run") { Description = "Show what the sender offers (for a sync: what would change in the mirror), then decline; nothing is written" };
        var backup = new Option<string?>("--backup") { HelpName = "FOLDER", Description = "Sync: keep every file the mirror replaces or deletes in this folder (under a folder named by the time) instead of losing it" };
        var allowMassDelete = new Option<bool>("--allow-mass-delete") { Description = "Sync: allow a round to delete more than half of the mirror's files without asking" };
        var verify = SafetyCheck.CreateOption();
        var command = new Command("receive", "Receive files, text, a stream or a synced folder from a sender (asks for the code on the terminal, or reads $TALLOW_CODE)")
        {
            code, output, yes, allowHidden, overwrite, noResume, select, only, dryRun, backup, allowMassDelete, verify,
        };
        common.AddTo(command);
        common.AddHistoryTo(command);
        command.SetAction((result, ct) =>
        {
            common.ApplyHistory(result);
            var reporter = new Reporter(result.GetValue(common.Json), result.GetValue(common.Quiet));
            var args = new ReceiveArgs(
                result.GetValue(code) ?? [],
                result.GetValue(output) ?? ".",
                result.GetValue(yes),
                result.GetValue(allowHidden),
                result.GetValue(overwrite),
                !result.GetValue(noResume),
                result.GetValue(select),
                result.GetValue(only) ?? [],
                result.GetValue(verify),
                new SyncReceiveArgs(result.GetValue(output) ?? ".", result.GetValue(yes), result.GetValue(allowHidden), result.GetValue(dryRun), result.GetValue(allowMassDelete), result.GetValue(backup)),
                result.GetResult(output) is { Implicit: false });
            return CommandRunner.RunAsync(reporter, ResumeHint, () =>
            {
                string outDir = common.ResolveOut(result); // --out, else out in the config file, else "."
                args = args with { OutDir = outDir, Sync = args.Sync with { OutDir = outDir } };
                if (common.Settings(result).Out.Source != SettingSource.Default)
                {
                    OutputFolderCheck.EnsureWritable(args.OutDir); // before the code is spent on a session
                }

                return RunAsync(result, reporter, common, args, ct);
            });
        });
        return command;
    }

    private const string ResumeHint =
        "To resume, have the sender run the same 'tallow send' again and run 'tallow receive' here again with its code (same --out): finished files are kept and .tallow-part files continue where they stopped.";

    private sealed record ReceiveArgs(string[] Code, string OutDir, bool Yes, bool AllowHidden, bool Overwrite, bool Resume, bool Select, string[] Only, bool Verify, SyncReceiveArgs Sync, bool OutGiven);

    private static async Task RunAsync(ParseResult result, Reporter reporter, CommonOptions common, ReceiveArgs args, CancellationToken ct)
    {
        if (args.Select && (reporter.Json || !FileSelector.TerminalAvailable))
        {
            throw new TallowException(FailureKind.Usage, "--select shows an interactive list and needs a terminal on stdin and stderr (and no --json): to choose files in a script, use --only GLOB.");
        }

        if (args.Select && args.Only.Length > 0)
        {
            throw new TallowException(FailureKind.Usage, "give either --select (choose from a list) or --only GLOB, not both.");
        }

        IReadOnlyList<GlobPattern> only = ParseOnly(args.Only);
        RateLimiter? throttle = common.ResolveThrottle(result);
        bool lanDiscovery = common.ResolveRelay(result) is null && common.ResolveProxy(result) is null; // zero-config: the prompt completes the number from mDNS
        SessionWarmup.Start(); // loads crypto and SQLite while the code is checked or typed
        string code = await CodeSource.ForReceiveAsync(args.Code, reporter, lanDiscovery, ct).ConfigureAwait(false); // before any connection
        await using OpenSession session = await SessionSetup.JoinAsync(result, common, reporter, code, args.Verify, ct).ConfigureAwait(false);
        session.LeaveWhenCancelled("cancelled by the receiver", ct);
        RecordPort incoming = session.Records.Port(RecordGroup.IncomingTransfer);
        incoming.ReceiveThrottle = throttle;
        var receiver = new TransferReceiver(incoming, reporter);
        TransferOffer offer = await receiver.ReceiveOfferAsync(ct).ConfigureAwait(false);
        if (!args.Sync.DryRun)
        {
            reporter.History.Begin(sending: false, offer); // a dry run only looks: not a transfer
        }

        if (offer.Kind is TransferKind.Sync or TransferKind.Watch)
        {
            await session.UpgradeAsync(reporter, bytesLeft: null, ct).ConfigureAwait(false);
            await SyncReceiving.RunAsync(session, offer, args.Sync, reporter, ct).ConfigureAwait(false);
            return;
        }

        if (args.Sync.DryRun)
        {
            DryRunReport.Render(offer, reporter);
            await receiver.RejectAsync("the receiver only looked at the offer (--dry-run)", ct).ConfigureAwait(false);
            return;
        }

        if (offer.Kind == TransferKind.Files && only.Count > 0 && !OnlyMatches.AnyMatch(offer, only, reporter))
        {
            await receiver.RejectAsync("nothing offered matches the receiver's --only", ct).ConfigureAwait(false);
            throw new TallowException(FailureKind.Declined, OnlyMatches.NothingMatched(only));
        }

        bool streamToFolder = offer.Kind == TransferKind.Stream && args.OutGiven; // otherwise a stream goes to stdout
        string summary = OfferSummary.Describe(offer);
        string outRoot = Path.GetFullPath(args.OutDir);
        OfferReview? review = offer.Kind == TransferKind.Files ? OfferReview.Create(offer, outRoot, args.Overwrite, Selection(null, only)) : null;
        reporter.Event("offer", [
            ("kind", offer.Kind.ToString().ToLowerInvariant()),
            ("files", offer.Entries.Count(e => e.Type == EntryType.File)),
            ("bytes", offer.Kind == TransferKind.Stream ? null : (long)offer.TotalSize),
            .. review?.JsonFields() ?? []]);

        IReadOnlyList<int>? selectedEntryIndices = null; // indices into offer.Entries; null = the whole offer
        bool accepted;
        if (args.Select && offer.Kind == TransferKind.Files && offer.Entries.Any(e => e.Type == EntryType.File))
        {
            selectedEntryIndices = await SelectAsync(offer, reporter, ct).ConfigureAwait(false); // --select is the consent: no y/N after it
            accepted = selectedEntryIndices is { Count: > 0 };
        }
        else
        {
            string streamFile = streamToFolder ? Path.Combine(outRoot, offer.Entries[0].Path) : string.Empty;
            bool hiddenStream = streamToFolder && offer.Entries[0].Path.StartsWith('.') && Directory.Exists(outRoot); // like .profile into a home folder
            if (args.Yes && !args.AllowHidden && (review is { HiddenIntoExisting.Count: > 0 } || hiddenStream))
            {
                await receiver.RejectAsync("hidden names need the receiver's confirmation", ct).ConfigureAwait(false);
                throw new TallowException(FailureKind.Declined, review?.RefusalMessage(outRoot)
                    ?? $"the stream would be saved as '{PathSanitizer.Printable(streamFile)}', a hidden name in a folder that exists: nothing was written. Run again without --yes to be asked, or add --allow-hidden.");
            }

            string where = offer.Kind == TransferKind.Files ? $"into '{outRoot}'" : streamToFolder ? $"as '{PathSanitizer.Printable(streamFile)}'" : "to stdout";
            accepted = await ConfirmAsync(offer, summary, review, where, args, reporter, ct).ConfigureAwait(false);
        }

        if (!accepted)
        {
            await receiver.RejectAsync("declined by the receiver", ct).ConfigureAwait(false);
            throw new TallowException(FailureKind.Declined, "transfer declined.");
        }

        // Created only now: an offer that is declined or refused leaves no new folder behind.
        using OutputDirectory? output = offer.Kind == TransferKind.Files || streamToFolder ? new OutputDirectory(args.OutDir, args.Overwrite) : null;

        using ReceivePlan? plan = offer.Kind != TransferKind.Files ? null : await FileReceiving.AcceptAsync(receiver, offer, output!, Selection(selectedEntryIndices, only), args.Resume, reporter, ct).ConfigureAwait(false);
        if (plan is null)
        {
            await receiver.AcceptAsync(ct).ConfigureAwait(false);
        }

        long? bytesLeft = plan?.BytesToReceive ?? (offer.Entries[0].Size == TransferOffer.UnknownSize ? null : (long)offer.Entries[0].Size);
        await session.UpgradeAsync(reporter, bytesLeft, ct).ConfigureAwait(false); // what is left after --only, --select, resume: tiny stays on the relay
        reporter.StartTransferClock();
        TransferSummary received;
        try
        {
            if (plan is not null)
            {
                reporter.Info(FileReceiving.Describe(plan, offer, summary, output!));
                try
                {
                    received = await receiver.ReceiveFilesAsync(offer, plan, output!, ct).ConfigureAwait(false);
                }
                catch (TallowException ex) when (reporter.FilesCompleted > 0)
                {
                    throw new TallowException(ex.Kind, $"{ex.Message} Before that, {reporter.FilesCompleted} file(s) were received completely and verified; anything unfinished stays as a .tallow-part file.", ex);
                }
            }
            else if (output is not null)
            {
                reporter.Info($"Receiving {summary} into '{Path.Combine(output.Root, offer.Entries[0].Path)}'");
                received = await receiver.ReceiveStreamAsync(offer, output, ct).ConfigureAwait(false);
            }
            else
            {
                received = await ReceiveToStdoutAsync(receiver, offer, reporter, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            reporter.FinishProgress();
        }

        reporter.History.AddBytesMoved(received.Bytes);
        reporter.Event("transfer_complete", ("bytes", received.Bytes), ("wire_bytes", received.WireBytes), ("files", received.Files), ("seconds", reporter.TransferElapsed.TotalSeconds));
        string what = plan is not null && received.Files != offer.Entries.Count(e => e.Type == EntryType.File)
            ? $"{received.Files} of {offer.Entries.Count(e => e.Type == EntryType.File)} files ({Units.Bytes(received.Bytes)}; the rest were already here or not selected)"
            : summary;
        reporter.Info($"Received {what} in {reporter.TransferElapsed.TotalSeconds:0.0} s{SendCommand.Compressed(received.Bytes, received.WireBytes)}.");
    }

    private static IReadOnlyList<GlobPattern> ParseOnly(string[] patterns)
    {
        var parsed = new List<GlobPattern>();
        foreach (string text in patterns)
        {
            if (!GlobPattern.TryParse(text, out GlobPattern? pattern, out string error) || pattern!.IsNegated)
            {
                throw new TallowException(FailureKind.Usage, $"--only '{text}' is not a valid pattern: {(pattern?.IsNegated == true ? "'!' cannot be used here" : error)}. Quote it so the shell does not expand it.");
            }

            parsed.Add(pattern);
        }

        return parsed;
    }

    /// <summary>
    /// Which offered entries to take: the files picked in the list, or the entries whose path (or
    /// a folder above it) matches an --only pattern; null = everything.
    /// </summary>
    private static Func<int, OfferEntry, bool>? Selection(IReadOnlyList<int>? picked, IReadOnlyList<GlobPattern> only)
    {
        if (picked is not null)
        {
            var set = picked.ToHashSet();
            return (index, _) => set.Contains(index);
        }

        return only.Count == 0 ? null : (_, entry) => only.Any(p => p.MatchesPathOrAncestor(entry.Path, entry.Type == EntryType.Directory));
    }

    /// <summary>Text and streams go to stdout: raw bytes when stdout is redirected, escaped for a terminal otherwise; in JSON mode text is an event.</summary>
    private static async Task<TransferSummary> ReceiveToStdoutAsync(TransferReceiver receiver, TransferOffer offer, Reporter reporter, CancellationToken ct)
    {
        if (reporter.Json)
        {
            using var buffer = new BoundedBuffer(SendCommand.MaxTextBytes);
            TransferSummary text = await receiver.ReceiveStreamAsync(offer, buffer, ct).ConfigureAwait(false);
            reporter.Event("text_received", ("text", Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length)));
            return text;
        }

        await using Stream stdout = Console.OpenStandardOutput();
        if (Console.IsOutputRedirected)
        {
            return await receiver.ReceiveStreamAsync(offer, stdout, ct).ConfigureAwait(false);
        }

        await using var terminal = new TerminalSafeStream(stdout);
        reporter.ContentOnTerminal(); // a live bar would overwrite the last line of what is shown
        TransferSummary shown = await receiver.ReceiveStreamAsync(offer, terminal, ct).ConfigureAwait(false);
        await terminal.WriteAsync("\n"u8.ToArray(), ct).ConfigureAwait(false);
        return shown;
    }

    /// <summary>`--select`: the user picks files; returns the chosen entries' indices in the offer, or null when cancelled.</summary>
    private static async Task<IReadOnlyList<int>?> SelectAsync(TransferOffer offer, Reporter reporter, CancellationToken ct)
    {
        (IReadOnlyList<SelectableFile> files, IReadOnlyList<int> entryIndices) = FileSelection.FromOffer(offer);
        IReadOnlyList<int>? chosen = await FileSelector.SelectAsync(files, ct).ConfigureAwait(false);
        if (chosen is null || chosen.Count == 0)
        {
            reporter.Info(chosen is null ? "Selection cancelled." : "No files selected.");
            return chosen;
        }

        ulong bytes = 0;
        foreach (int i in chosen)
        {
            bytes += files[i].Size;
        }

        reporter.Info($"Selected {chosen.Count} of {files.Count} files ({Units.Bytes(bytes)}).");
        return [.. chosen.Select(i => entryIndices[i])];
    }

    private static async Task<bool> ConfirmAsync(TransferOffer offer, string summary, OfferReview? review, string where, ReceiveArgs args, Reporter reporter, CancellationToken ct)
    {
        if (args.Yes || offer.Kind == TransferKind.Text)
        {
            return true;
        }

        if (Console.IsInputRedirected || reporter.Json)
        {
            reporter.Warn("not accepting without confirmation: stdin is not a terminal. Run again with --yes to accept automatically.");
            return false;
        }

        if (review is null)
        {
            Console.Error.Write($"Accept {summary} {where}? [y/N] ");
        }
        else
        {
            foreach (string line in review.Describe(summary, PromptLines(), args.Overwrite))
            {
                Console.Error.WriteLine(TerminalText.Clean(line));
            }

            Console.Error.Write($"Accept {TerminalText.Clean(where)}? [y/N] ");
        }

        string? answer = await Task.Run(Console.ReadLine, ct).WaitAsync(ct).ConfigureAwait(false);
        return answer is not null && (answer.Trim().Equals("y", StringComparison.OrdinalIgnoreCase) || answer.Trim().Equals("yes", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Entry lines that fit on the terminal with the prompt's other lines (20 when its height is unknown).</summary>
    private static int PromptLines()
    {
        try
        {
            int height = Console.WindowHeight;
            return height > 0 ? Math.Max(2, height - 5) : 20;
        }
        catch (Exception ex) when (ex is IOException or PlatformNotSupportedException or InvalidOperationException)
        {
            return 20;
        }
    }
}
