// `tallow chat` once the session is open (DESIGN.md §13): what the user types becomes sealed
// ChatMessage records; the peer's messages, offers and transfers arrive on their own inboxes,
// so messages keep flowing both ways while a file moves in either direction.
//
//   input:  text → message   /send PATH → offer a file or folder (one at a time)
//           /accept, /decline → answer the peer's offer   /quit (Ctrl-C) → leave now
//           end of input (Ctrl-D, end of stdin) → finish transfers under way, then leave
//   peer:   message → shown; offer → accepted with --yes (not one putting hidden names into
//           existing folders, OfferReview, unless --allow-hidden), asked on a terminal, else declined;
//           Leave → "peer left", exit 0; a lost connection → network error, exit 4.
using System.Diagnostics;
using Tallow.Cli.Commands;
using Tallow.Cli.Output;
using Tallow.Protocol;
using Tallow.Protocol.Chat;
using Tallow.Protocol.Records;
using Tallow.Protocol.Session;
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Cli.Chat;

internal sealed record ChatOptions(string OutDir, bool Yes, bool Interactive, bool AllowHidden = false);

internal sealed class ChatSession(OpenSession open, IChatView view, ChatOptions options)
{
    public const string QuitCommand = "/quit";
    private const string Help = "/send PATH offers a file or folder; /accept or /decline answers an offer; /quit leaves; start a message with // to begin it with /.";

    private readonly ChatChannel _chat = new(open.Records.Port(RecordGroup.Chat));
    private Task _outgoing = Task.CompletedTask;
    private Task _receiving = Task.CompletedTask;
    private TaskCompletionSource<bool>? _decision;

    public async Task RunAsync(CancellationToken ct)
    {
        RecordSession records = open.Records;
        view.Joined();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task messages = ShowMessagesAsync(stop.Token);
        Task offers = AnswerOffersAsync(stop.Token);
        try
        {
            bool endOfInput = await ReadInputAsync(records, stop.Token).ConfigureAwait(false);
            if (endOfInput)
            {
                await Task.WhenAny(Task.WhenAll(_outgoing, _receiving), records.Ended).ConfigureAwait(false);
            }

            if (!records.Ended.IsCompleted)
            {
                await records.LeaveAsync(string.Empty, ct).ConfigureAwait(false);
                return;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await records.LeaveAsync("interrupted", grace.Token).ConfigureAwait(false);
            throw;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(Quietly(messages), Quietly(offers), Quietly(_outgoing), Quietly(_receiving)).ConfigureAwait(false);
        }

        if (records.PeerLeft.IsCompleted)
        {
            view.PeerLeft(records.PeerLeft.Result);
            return;
        }

        throw await records.Ended.ConfigureAwait(false);
    }

    /// <summary>Reads and handles lines until /quit (false), the end of input (true) or the end of the session (false).</summary>
    private async Task<bool> ReadInputAsync(RecordSession records, CancellationToken ct)
    {
        while (true)
        {
            Task<string?> line = view.ReadLineAsync(ct);
            if (await Task.WhenAny(line, records.Ended).ConfigureAwait(false) != line)
            {
                return false;
            }

            string? text = await line.ConfigureAwait(false);
            if (text is null)
            {
                return true;
            }

            if (text == QuitCommand)
            {
                return false;
            }

            await HandleAsync(text, ct).ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(string line, CancellationToken ct)
    {
        string trimmed = line.Trim();
        if (trimmed.Length == 0)
        {
            return;
        }

        if (trimmed.StartsWith("/send ", StringComparison.Ordinal))
        {
            StartSending(trimmed["/send ".Length..].Trim(), ct);
        }
        else if (trimmed is "/accept" or "/decline")
        {
            TaskCompletionSource<bool>? decision = Interlocked.Exchange(ref _decision, null);
            if (decision is null)
            {
                view.Info("there is no offer to answer.");
            }
            else
            {
                decision.TrySetResult(trimmed == "/accept");
            }
        }
        else if (trimmed == "/help")
        {
            view.Info(Help);
        }
        else if (trimmed.StartsWith('/') && !trimmed.StartsWith("//", StringComparison.Ordinal))
        {
            view.Info($"unknown command '{trimmed.Split(' ')[0]}'. {Help}");
        }
        else
        {
            string text = line.StartsWith("//", StringComparison.Ordinal) ? line[1..] : line;
            try
            {
                await _chat.SendAsync(text, ct).ConfigureAwait(false);
                view.Sent(text);
            }
            catch (TallowException e) when (e.Kind == FailureKind.Usage)
            {
                view.Info(e.Message);
            }
        }
    }

    /// <summary>/send PATH: scans now (errors are shown at once), sends in the background; one outgoing transfer at a time.</summary>
    private void StartSending(string path, CancellationToken ct)
    {
        if (!_outgoing.IsCompleted)
        {
            view.Info("a transfer is already being offered or sent: wait until it has finished.");
            return;
        }

        SourcePlan plan;
        try
        {
            plan = SourceScanner.Scan([path], SendCommand.DefaultChunkSize, new ScanOptions(), view.Info);
        }
        catch (TallowException e)
        {
            view.Info(e.Message);
            return;
        }

        view.Info($"Offering {OfferSummary.Describe(plan.Offer)}...");
        _outgoing = SendAsync(plan, ct);
    }

    private async Task SendAsync(SourcePlan plan, CancellationToken ct)
    {
        ITransferObserver observer = view.TransferObserver(sending: true);
        var sender = new TransferSender(open.Records.Port(RecordGroup.OutgoingTransfer), observer);
        var clock = Stopwatch.StartNew();
        try
        {
            TransferSummary sent = await sender.SendFilesAsync(plan.Offer, plan.LocalPaths, ct).ConfigureAwait(false);
            view.TransferCompleted(sending: true, sent, clock.Elapsed);
        }
        catch (TallowException e) when (!ct.IsCancellationRequested && !open.Records.Ended.IsCompleted)
        {
            view.Info(e.Message);
        }
    }

    private async Task ShowMessagesAsync(CancellationToken ct)
    {
        while (true)
        {
            view.Message(await _chat.ReceiveAsync(ct).ConfigureAwait(false));
        }
    }

    /// <summary>The peer's offers, one after another, for the whole chat.</summary>
    private async Task AnswerOffersAsync(CancellationToken ct)
    {
        RecordPort port = open.Records.Port(RecordGroup.IncomingTransfer);
        while (true)
        {
            ITransferObserver observer = view.TransferObserver(sending: false);
            var receiver = new TransferReceiver(port, observer);
            TransferOffer offer;
            try
            {
                offer = await receiver.ReceiveOfferAsync(ct).ConfigureAwait(false);
            }
            catch (TallowException e) when (!open.Records.Ended.IsCompleted && !ct.IsCancellationRequested)
            {
                view.Info(e.Message); // a refused offer (unsafe path, malformed): the chat goes on
                continue;
            }

            string summary = OfferSummary.Describe(offer);
            if (offer.Kind != TransferKind.Files)
            {
                await receiver.RejectAsync("a chat takes files and folders", ct).ConfigureAwait(false);
                continue;
            }

            OfferReview review = OfferReview.Create(offer, options.OutDir, overwrite: false);
            bool yes = options.Yes && (options.AllowHidden || review.HiddenIntoExisting.Count == 0);
            view.Offer(offer, summary, ask: !yes && options.Interactive);
            if (options.Yes && !yes)
            {
                view.Info($"--yes does not accept this offer: {review.HiddenWarning}" + (options.Interactive ? "." : " (start tallow chat with --allow-hidden to accept such offers)."));
            }

            if (!await DecideAsync(yes, ct).ConfigureAwait(false))
            {
                await receiver.RejectAsync("declined by the receiver", ct).ConfigureAwait(false);
                view.Info(options.Interactive ? "Declined." : options.Yes ? "Declined." : "Declined: run tallow chat with --yes to accept files.");
                continue;
            }

            var receiving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _receiving = receiving.Task;
            try
            {
                await ReceiveAsync(receiver, offer, summary, observer, ct).ConfigureAwait(false);
            }
            finally
            {
                receiving.TrySetResult();
            }
        }
    }

    /// <summary><paramref name="yes"/>: accepted without asking; otherwise asked on a terminal, else declined.</summary>
    private async Task<bool> DecideAsync(bool yes, CancellationToken ct)
    {
        if (yes || !options.Interactive)
        {
            return yes;
        }

        var decision = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _decision, decision);
        return await decision.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    private async Task ReceiveAsync(TransferReceiver receiver, TransferOffer offer, string summary, ITransferObserver observer, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            using var output = new OutputDirectory(options.OutDir, overwrite: false);
            using ReceivePlan plan = await FileReceiving.AcceptAsync(receiver, offer, output, null, resume: true, observer, ct).ConfigureAwait(false);
            view.Info(FileReceiving.Describe(plan, offer, summary, output));
            TransferSummary received = await receiver.ReceiveFilesAsync(offer, plan, output, ct).ConfigureAwait(false);
            view.TransferCompleted(sending: false, received, clock.Elapsed);
        }
        catch (TallowException e) when (!ct.IsCancellationRequested && !open.Records.Ended.IsCompleted)
        {
            view.Info(e.Message);
        }
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is TallowException or OperationCanceledException or IOException)
        {
            // The session's end is reported once, by RunAsync.
        }
    }
}
