// `tallow send FILE... | DIR | --text TEXT | --text - | < stdin`: offers content to one receiver.
// The code is generated, or --code / TALLOW_CODE (CodeSource); the receiver is told to type it.
// `--to CODE` (or `--to` last, with TALLOW_CODE or the prompt) sends files to a drop box instead (DropBoxSending).
using System.CommandLine;
using System.Text;
using Tallow.Cli.Output;
using Tallow.Crypto;
using Tallow.Protocol;
using Tallow.Protocol.Records;
using Tallow.Protocol.Session;
using Tallow.Protocol.Transfer;
using Tallow.Protocol.Transfer.Compression;
using Tallow.Wire;

namespace Tallow.Cli.Commands;

internal static class SendCommand
{
    public const int DefaultChunkSize = 1024 * 1024;

    /// <summary>Largest text (--text, --text -): what a receiver collects for one JSON event.</summary>
    public const int MaxTextBytes = 16 * 1024 * 1024;

    public static Command Create()
    {
        var common = new CommonOptions();
        var paths = new Argument<string[]>("paths") { Arity = ArgumentArity.ZeroOrMore, Description = "Files or folders to send (none, or '-': read stdin)" };
        var text = new Option<string?>("--text", "-t") { Description = "Send this text instead of files; '-' reads it from stdin (up to 16 MiB), which keeps it out of the process list" };
        Option<int> words = common.CreateWords();
        var chunk = new Option<int>("--chunk-size") { Description = "Bytes per encrypted chunk", DefaultValueFactory = _ => DefaultChunkSize };
        var follow = new Option<bool>("--follow-symlinks") { Description = "Send what symlinks point to instead of skipping them" };
        var name = new Option<string>("--name") { Description = "Name of the stream when sending stdin", DefaultValueFactory = _ => "stdin" };
        var qr = new Option<bool>("--qr") { Description = "Also show the receive command (with the code) as a QR code, to scan with a phone (not with --json)" };
        var compress = new Option<string>("--compress") { Description = "zstd per chunk: auto (only where it shrinks the data), zstd (try every chunk) or none", DefaultValueFactory = _ => "auto" };
        compress.AcceptOnlyFromAmong("auto", "zstd", "none");
        var to = new Option<string?>("--to")
        {
            HelpName = "CODE",
            Arity = ArgumentArity.ZeroOrOne,
            Description = "Send files to the drop box with this code (tallow drop-box); '--to' alone, last, reads $TALLOW_CODE or asks for it, which keeps the code out of the process list",
        };

        var verify = SafetyCheck.CreateOption();
        var selection = new SendSelectionOptions();
        var command = new Command("send", "Send files, a folder, text or stdin to one receiver") { paths, text, words, chunk, follow, name, compress, verify, qr, to };
        selection.AddTo(command);
        common.Code.Description = "Use this code phrase instead of a generated one (default: $TALLOW_CODE; prefer the variable: arguments are visible to other users of this computer)";
        command.Options.Add(common.Code);
        common.AddTo(command);
        common.AddHistoryTo(command);
        command.SetAction((result, ct) =>
        {
            common.ApplyHistory(result);
            var reporter = new Reporter(result.GetValue(common.Json), result.GetValue(common.Quiet), "file_sent");
            return CommandRunner.RunAsync(reporter, () => RunAsync(result, reporter, common, new SendArgs(
                result.GetValue(paths) ?? [],
                result.GetValue(text),
                result.GetValue(words),
                result.GetValue(chunk),
                result.GetValue(follow),
                result.GetValue(name) ?? "stdin",
                CompressionModeOf(result.GetValue(compress)),
                result.GetValue(verify),
                selection.Resolve(result),
                result.GetResult(chunk) is { Implicit: false },
                result.GetValue(qr),
                result.GetResult(to) is null ? null : [.. result.GetValue(to) is string given ? [given] : Array.Empty<string>()]), ct));
        });
        return command;
    }

    private sealed record SendArgs(string[] Paths, string? Text, int Words, int ChunkSize, bool FollowSymlinks, string StreamName, CompressionMode Compression, bool Verify, SendSelection Selection, bool ChunkSizeGiven, bool Qr, string[]? DropBoxCode);

    private static CompressionMode CompressionModeOf(string? value) => value switch
    {
        "zstd" => CompressionMode.Always,
        "none" => CompressionMode.Never,
        _ => CompressionMode.Auto,
    };

    private static async Task RunAsync(ParseResult result, Reporter reporter, CommonOptions common, SendArgs args, CancellationToken ct)
    {
        RateLimiter? throttle = common.ResolveThrottle(result);
        if (throttle is not null && !args.ChunkSizeGiven)
        {
            args = args with { ChunkSize = RateLimiter.ChunkSizeFor(throttle.BytesPerSecond) }; // one record stays a small part of a 10 s window
        }

        if (args.ChunkSize < TransferOffer.MinChunkSize || args.ChunkSize > TransferOffer.MaxChunkSize)
        {
            throw new TallowException(FailureKind.Usage, $"--chunk-size must be between {TransferOffer.MinChunkSize} and {TransferOffer.MaxChunkSize} bytes.");
        }

        if (args.Selection.DryRun)
        {
            // Only the input is looked at: no relay, no embedded relay, no mDNS.
            DryRunReport.Render(PrepareContent(args, reporter).Offer, reporter);
            return;
        }

        // Everything about the input is checked before any connection is made.
        Content content = PrepareContent(args, reporter);
        reporter.History.Begin(sending: true, content.Offer);
        if (args.DropBoxCode is not null)
        {
            await SendToDropBoxAsync(result, reporter, common, args, content, throttle, ct).ConfigureAwait(false);
            return;
        }

        string? code = CodeSource.ForCreator(result.GetValue(common.Code), reporter, readEnvironment: true);
        var request = new CreateRequest("receive", $"Sending {content.Summary}", args.Words, code, JoinerAsksForCode: true, ShowQr: args.Qr);
        await using OpenSession session = await SessionSetup.CreateAsync(result, common, reporter, request, args.Verify, ct).ConfigureAwait(false);
        session.LeaveWhenCancelled("cancelled by the sender", ct);
        session.Records.Channel.SendThrottle = throttle;
        var sender = new TransferSender(session.Records.Port(RecordGroup.OutgoingTransfer), reporter, args.Compression)
        {
            // The direct path is tried once the receiver said what it takes: a small remainder stays on the relay.
            BeforeContent = (bytesLeft, token) => session.UpgradeAsync(reporter, bytesLeft ?? (content.Stream as ReadAheadStream)?.KnownLength, token),
            RawOnly = () => session.PeerIsWeb, // a web page reads no zstd (docs/protocol.md "Web peers")
        };
        TransferSummary sent; // the reporter's clock starts when the receiver accepts (OnOfferAccepted)
        try
        {
            if (content.Plan is SourcePlan plan)
            {
                sent = await sender.SendFilesAsync(plan.Offer, plan.LocalPaths, ct).ConfigureAwait(false);
            }
            else
            {
                await using Stream source = content.Stream!;
                sent = await sender.SendStreamAsync(content.Offer, source, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            reporter.FinishProgress();
        }

        Sent(reporter, content, sent);
    }

    /// <summary>`--to`: the files go to a drop box (its code from --to, TALLOW_CODE or the prompt).</summary>
    private static async Task SendToDropBoxAsync(ParseResult result, Reporter reporter, CommonOptions common, SendArgs args, Content content, RateLimiter? throttle, CancellationToken ct)
    {
        if (content.Plan is not SourcePlan plan || args.Verify || args.Qr || result.GetResult(common.Code) is not null)
        {
            throw new TallowException(FailureKind.Usage, "--to sends files and folders to a drop box: not text or stdin, and not with --code, --verify or --qr.");
        }

        bool lanDiscovery = common.ResolveRelay(result) is null && common.ResolveProxy(result) is null;
        string code = await CodeSource.ForReceiveAsync(args.DropBoxCode!, reporter, lanDiscovery, ct, "tallow send FILES --to").ConfigureAwait(false);
        TransferSummary sent = await DropBox.DropBoxSending.SendAsync(result, common, reporter, code, plan, args.Compression, throttle, ct).ConfigureAwait(false);
        Sent(reporter, content, sent);
    }

    /// <summary>The end of a send: history, the transfer_complete event and the "Sent …" line.</summary>
    private static void Sent(Reporter reporter, Content content, TransferSummary sent)
    {
        reporter.History.AddBytesMoved(sent.Bytes);
        TimeSpan elapsed = reporter.TransferElapsed;
        reporter.Event("transfer_complete", ("bytes", sent.Bytes), ("wire_bytes", sent.WireBytes), ("files", sent.Files), ("seconds", elapsed.TotalSeconds));
        string what = content.Plan is SourcePlan sentPlan && sent.Bytes != content.Bytes
            ? $"{sent.Files} of {sentPlan.Offer.Entries.Count(e => e.Type == EntryType.File)} files ({Units.Bytes(sent.Bytes)}; the receiver had or skipped the rest)"
            : content.Summary;
        reporter.Info($"Sent {what} in {elapsed.TotalSeconds:0.0} s{Compressed(sent.Bytes, sent.WireBytes)}.");
    }

    /// <summary>", 3.1x smaller on the wire" when compression saved at least 5%.</summary>
    internal static string Compressed(long contentBytes, long wireBytes) =>
        wireBytes > 0 && wireBytes < contentBytes * 0.95 ? $" ({Units.Bytes(wireBytes)} on the wire, {(double)contentBytes / wireBytes:0.0}x smaller)" : string.Empty;

    /// <summary>The path that means "read stdin" (`tallow send - < file`); a file named '-' is sent as ./-.</summary>
    private const string StdinPath = "-";

    private sealed record Content(TransferOffer Offer, SourcePlan? Plan, Stream? Stream, string Summary, long Bytes);

    private static Content PrepareContent(SendArgs args, Reporter reporter)
    {
        bool fromStdin = args.Paths.Length == 0 || args.Paths is [StdinPath];
        if (!fromStdin && args.Paths.Contains(StdinPath))
        {
            throw new TallowException(FailureKind.Usage, "'-' (stdin) cannot be sent together with other paths: send the stream on its own, or name a file called '-' as './-'.");
        }

        args.Selection.CheckApplicable(sendingFiles: args.Text is null && !fromStdin);
        if (args.Text is not null)
        {
            if (args.Paths.Length > 0)
            {
                throw new TallowException(FailureKind.Usage, "give either --text or paths, not both.");
            }

            byte[] bytes = args.Text == "-" ? ReadTextFromStdin(reporter) : Encoding.UTF8.GetBytes(args.Text);
            if (bytes.Length > MaxTextBytes)
            {
                throw new TallowException(FailureKind.Usage, $"the text is larger than {MaxTextBytes / (1024 * 1024)} MiB: send it as a file, or pipe it into 'tallow send' as a stream.");
            }

            var offer = new TransferOffer(TransferKind.Text, args.ChunkSize, [new OfferEntry(EntryType.File, "text", (ulong)bytes.Length, 0x1A4, 0)]);
            return new Content(offer, null, new MemoryStream(bytes, writable: false), OfferSummary.Describe(offer), bytes.Length);
        }

        if (fromStdin)
        {
            if (!Console.IsInputRedirected)
            {
                if (args.Paths.Length == 0)
                {
                    throw new TallowException(FailureKind.Usage, "nothing to send: name files or folders, use --text, or pipe data into 'tallow send'.");
                }

                reporter.Info("Type what to send, then press Ctrl-D on an empty line.");
            }

            if (!PathSanitizer.IsSafeComponent(args.StreamName, out _) || args.StreamName.Contains('/', StringComparison.Ordinal))
            {
                throw new TallowException(FailureKind.Usage, "--name must be a plain file name (no '/', not empty).");
            }

            var offer = new TransferOffer(TransferKind.Stream, args.ChunkSize, [new OfferEntry(EntryType.File, args.StreamName, TransferOffer.UnknownSize, 0x1A4, 0)]);
            return new Content(offer, null, new ReadAheadStream(Console.OpenStandardInput(), (int)OpenSession.DirectWorthwhileBytes), OfferSummary.Describe(offer), -1);
        }

        var scan = new ScanOptions { FollowSymlinks = args.FollowSymlinks, Filter = args.Selection.Filter };
        SourcePlan plan = SourceScanner.Scan(args.Paths, args.ChunkSize, scan, reporter.Warn);
        return new Content(plan.Offer, plan, null, OfferSummary.Describe(plan.Offer), (long)plan.Offer.TotalSize);
    }

    /// <summary>`--text -`: stdin up to its end, reading at most one byte past <see cref="MaxTextBytes"/> (the caller refuses more).</summary>
    private static byte[] ReadTextFromStdin(Reporter reporter)
    {
        if (!Console.IsInputRedirected)
        {
            reporter.Info("Type the text, then press Ctrl-D on an empty line.");
        }

        using Stream stdin = Console.OpenStandardInput();
        var text = new MemoryStream();
        byte[] buffer = new byte[64 * 1024];
        int read;
        while (text.Length <= MaxTextBytes && (read = stdin.Read(buffer, 0, (int)Math.Min(buffer.Length, MaxTextBytes + 1 - text.Length))) > 0)
        {
            text.Write(buffer, 0, read);
        }

        return text.ToArray();
    }
}
