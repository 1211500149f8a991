// `tallow receive CODE [--out DIR] [--yes] [--overwrite] [--select]`: receives what the sender offers.
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
        var code = new Argument<string[]>("code") { Arity = ArgumentArity.OneOrMore, Description = "The code phrase the sender shows (words may be separated by spaces or dashes)" };
        var output = new Option<string>("--out", "-o") { Description = "Folder to save into", DefaultValueFactory = _ => "." };
        var yes = new Option<bool>("--yes", "-y") { Description = "Accept the offer without asking" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace existing files instead of saving as 'name (1).ext'" };
        var noResume = new Option<bool>("--no-resume") { Description = "Receive every file from the start, ignoring .tallow-part files and files already here" };
        var select = new Option<bool>("--select") { Description = "Choose which of the offered files to receive from a list (needs a terminal; in scripts use --only GLOB)" };
        var only = new Option<string[]>("--only") { Description = "Receive only offered files matching this gitignore-style pattern (repeatable; a matching folder takes everything in it)", AllowMultipleArgumentsPerToken = false };

        var verify = SafetyCheck.CreateOption();
        var command = new Command("receive", "Receive files, text or a stream from a sender") { code, output, yes, overwrite, noResume, select, only, verify };
        common.AddTo(command);
        command.SetAction((result, ct) =>
        {
            var reporter = new Reporter(result.GetValue(common.Json), result.GetValue(common.Quiet));
            var args = new ReceiveArgs(
                string.Join('-', result.GetValue(code) ?? []),
                result.GetValue(output) ?? ".",
                result.GetValue(yes),
                result.GetValue(overwrite),
                !result.GetValue(noResume),
                result.GetValue(select),
                result.GetValue(only) ?? [],
                result.GetValue(verify));
            return CommandRunner.RunAsync(reporter, () => RunAsync(result, reporter, common, args, ct));
        });
        return command;
    }

    private sealed record ReceiveArgs(string Code, string OutDir, bool Yes, bool Overwrite, bool Resume, bool Select, string[] Only, bool Verify);

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
        await using OpenSession session = await SessionSetup.JoinAsync(result, common, reporter, args.Code, args.Verify, ct).ConfigureAwait(false);
        RecordPort incoming = session.Records.Port(RecordGroup.IncomingTransfer);
        incoming.ReceiveThrottle = throttle;
        var receiver = new TransferReceiver(incoming, reporter);
        TransferOffer offer = await receiver.ReceiveOfferAsync(ct).ConfigureAwait(false);
        string summary = OfferSummary.Describe(offer);
        reporter.Event("offer", ("kind", offer.Kind.ToString().ToLowerInvariant()), ("files", offer.Entries.Count(e => e.Type == EntryType.File)), ("bytes", offer.Kind == TransferKind.Stream ? null : (long)offer.TotalSize));

        OutputDirectory? output = null;
        if (offer.Kind == TransferKind.Files)
        {
            output = new OutputDirectory(args.OutDir, args.Overwrite);
        }

        IReadOnlyList<int>? selectedEntryIndices = null; // indices into offer.Entries; null = the whole offer
        bool accepted;
        if (args.Select && offer.Kind == TransferKind.Files && offer.Entries.Any(e => e.Type == EntryType.File))
        {
            selectedEntryIndices = await SelectAsync(offer, reporter, ct).ConfigureAwait(false); // --select is the consent: no y/N after it
            accepted = selectedEntryIndices is { Count: > 0 };
        }
        else
        {
            accepted = await ConfirmAsync(offer, summary, output, args.Yes, reporter, ct).ConfigureAwait(false);
        }

        if (!accepted)
        {
            await receiver.RejectAsync("declined by the receiver", ct).ConfigureAwait(false);
            throw new TallowException(FailureKind.Declined, "transfer declined.");
        }

        using ReceivePlan? plan = output is null ? null : await FileReceiving.AcceptAsync(receiver, offer, output, Selection(selectedEntryIndices, only), args.Resume, reporter, ct).ConfigureAwait(false);
        if (plan is null)
        {
            await receiver.AcceptAsync(ct).ConfigureAwait(false);
        }

        reporter.StartTransferClock();
        TransferSummary received;
        try
        {
            if (output is not null)
            {
                reporter.Info(FileReceiving.Describe(plan!, offer, summary, output));
                try
                {
                    received = await receiver.ReceiveFilesAsync(offer, plan!, output, ct).ConfigureAwait(false);
                }
                catch (TallowException ex) when (reporter.FilesCompleted > 0)
                {
                    throw new TallowException(ex.Kind, $"{ex.Message} Before that, {reporter.FilesCompleted} file(s) were received completely and verified; anything unfinished stays as a .tallow-part file.", ex);
                }
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
            using var buffer = new BoundedBuffer(16 * 1024 * 1024);
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

    private static async Task<bool> ConfirmAsync(TransferOffer offer, string summary, OutputDirectory? output, bool yes, Reporter reporter, CancellationToken ct)
    {
        if (yes || offer.Kind == TransferKind.Text)
        {
            return true;
        }

        if (Console.IsInputRedirected || reporter.Json)
        {
            reporter.Warn("not accepting without confirmation: stdin is not a terminal. Run again with --yes to accept automatically.");
            return false;
        }

        string where = output is null ? "to stdout" : $"into '{output.Root}'";
        Console.Error.Write($"Accept {summary} {where}? [y/N] ");
        string? answer = await Task.Run(Console.ReadLine, ct).WaitAsync(ct).ConfigureAwait(false);
        return answer is not null && (answer.Trim().Equals("y", StringComparison.OrdinalIgnoreCase) || answer.Trim().Equals("yes", StringComparison.OrdinalIgnoreCase));
    }
}
