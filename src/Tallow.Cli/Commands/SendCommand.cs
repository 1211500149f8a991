// `tallow send FILE... | DIR | --text TEXT | < stdin`: offers content to one receiver.
using System.CommandLine;
using System.Net;
using System.Text;
using Tallow.Cli.Hosting;
using Tallow.Cli.Output;
using Tallow.Crypto;
using Tallow.Net.Discovery;
using Tallow.Net.Session;
using Tallow.Protocol;
using Tallow.Protocol.Records;
using Tallow.Protocol.Transfer;
using Tallow.Protocol.Transfer.Compression;
using Tallow.Wire;

namespace Tallow.Cli.Commands;

internal static class SendCommand
{
    public const int DefaultChunkSize = 1024 * 1024;

    /// <summary>
    /// Below this size (text, small files) no direct path is attempted: the attempt costs a
    /// round of messages on loopback and about a second through NATs, more than it saves.
    /// </summary>
    private const long DirectWorthwhileBytes = 1024 * 1024;

    public static Command Create()
    {
        var common = new CommonOptions();
        var paths = new Argument<string[]>("paths") { Arity = ArgumentArity.ZeroOrMore, Description = "Files or folders to send (none: read stdin)" };
        var text = new Option<string?>("--text", "-t") { Description = "Send this text instead of files" };
        var words = new Option<int>("--words") { Description = "Number of words in the generated code", DefaultValueFactory = _ => CodePhrase.DefaultWordCount };
        var chunk = new Option<int>("--chunk-size") { Description = "Bytes per encrypted chunk", DefaultValueFactory = _ => DefaultChunkSize };
        var follow = new Option<bool>("--follow-symlinks") { Description = "Send what symlinks point to instead of skipping them" };
        var name = new Option<string>("--name") { Description = "Name of the stream when sending stdin", DefaultValueFactory = _ => "stdin" };
        var compress = new Option<string>("--compress") { Description = "zstd per chunk: auto (only where it shrinks the data), zstd (try every chunk) or none", DefaultValueFactory = _ => "auto" };
        compress.AcceptOnlyFromAmong("auto", "zstd", "none");

        var verify = SafetyCheck.CreateOption();
        var selection = new SendSelectionOptions();
        var command = new Command("send", "Send files, a folder, text or stdin to one receiver") { paths, text, words, chunk, follow, name, compress, verify };
        selection.AddTo(command);
        command.Options.Add(common.Code);
        common.AddTo(command);
        command.SetAction((result, ct) =>
        {
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
                result.GetResult(chunk) is { Implicit: false }), ct));
        });
        return command;
    }

    private sealed record SendArgs(string[] Paths, string? Text, int Words, int ChunkSize, bool FollowSymlinks, string StreamName, CompressionMode Compression, bool Verify, SendSelection Selection, bool ChunkSizeGiven);

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

        if (args.Words < CodePhrase.MinWordCount || args.Words > CodePhrase.MaxWordCount)
        {
            throw new TallowException(FailureKind.Usage, $"--words must be between {CodePhrase.MinWordCount} and {CodePhrase.MaxWordCount}.");
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

        // Behind a proxy nothing may listen or announce on the LAN: no embedded relay, no mDNS (DESIGN.md §11).
        if (common.ResolveProxy(result) is not null && common.ResolveRelay(result) is null)
        {
            throw new TallowException(FailureKind.Usage,
                "with --proxy or --tor a relay is required (the built-in LAN relay would listen and announce this computer): pass --relay host:port or set TALLOW_RELAY.");
        }

        // Everything about the input is checked before any connection is made.
        Content content = PrepareContent(args, reporter);

        string? customCode = null;
        uint requestedNameplate = 0;
        if (result.GetValue(common.Code) is string codeText)
        {
            if (!CodePhrase.TryNormalize(codeText, out string normalized))
            {
                throw new TallowException(FailureKind.Usage, "the --code is empty: give a phrase, or leave --code out to get a generated one.");
            }

            customCode = normalized;
            requestedNameplate = CodePhrase.NameplateOf(normalized, out _);
            if (CodePhrase.EstimateEntropyBits(normalized) < 40)
            {
                reporter.Warn("this code is short and easy to guess: anyone who guesses it first can receive instead. Prefer a generated code.");
            }
        }

        RelayAddress? configured = common.ResolveRelay(result);
        await using EmbeddedRelay? embedded = configured is null ? await EmbeddedRelay.StartAsync(ct).ConfigureAwait(false) : null;
        SessionOptions options = common.SessionOptions(result, configured ?? embedded!.Local, configured is null ? null : common.ResolvePassword(result)) with
        {
            DirectNotNeeded = content.Bytes is >= 0 and < DirectWorthwhileBytes,
        };
        if (embedded is not null && requestedNameplate == 0)
        {
            // A LAN may have several embedded relays, each with its own nameplate 1: a random one
            // keeps LAN discovery unambiguous (the words still carry all of the code's secrecy).
            requestedNameplate = (uint)System.Security.Cryptography.RandomNumberGenerator.GetInt32(1, 1000);
        }

        await using PeerSession session = await PeerSession.CreateRoomAsync(options, requestedNameplate, ct).ConfigureAwait(false);
        string code = customCode ?? CodePhrase.Generate(session.Nameplate, args.Words);
        RelayAddress relay = configured ?? embedded!.Advertised;
        await using MdnsAnnouncer? announcer = embedded is not null && !IPAddress.IsLoopback(IPAddress.Parse(embedded.Advertised.Host))
            ? MdnsAnnouncer.Start(session.Nameplate, embedded.Advertised.Port)
            : null;
        string withRelay = $"tallow receive {code} --relay {relay}" + (options.RelayFingerprint is { } pin ? $" --relay-fingerprint {pin}" : string.Empty);
        string receiveCommand = announcer is not null ? $"tallow receive {code}" : withRelay;
        reporter.Event("code", ("code", code), ("command", receiveCommand), ("relay", relay.ToString()), ("lan_discovery", announcer is not null));
        reporter.Info($"Sending {content.Summary}");
        reporter.Info($"Code is: {code}");
        reporter.Info(announcer is not null
            ? $"On the other computer run:\n\n    {receiveCommand}\n\n(on this local network it finds this computer by itself; from elsewhere: {withRelay})\n"
            : $"On the other computer run:\n\n    {receiveCommand}\n");

        SecureChannel channel = await session.EstablishAsync(code, options, ct).ConfigureAwait(false);
        channel.SendThrottle = throttle;
        reporter.Event("peer_connected");
        reporter.Info("Receiver connected; secure session established.");
        await session.UpgradeAsync(options, new P2PReporter(reporter), ct).ConfigureAwait(false);
        if (args.Verify)
        {
            await SafetyCheck.RunAsync(session, reporter, ct).ConfigureAwait(false);
        }

        var sender = new TransferSender(channel, reporter, args.Compression);
        reporter.StartTransferClock();
        TransferSummary sent;
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

    private sealed record Content(TransferOffer Offer, SourcePlan? Plan, Stream? Stream, string Summary, long Bytes);

    private static Content PrepareContent(SendArgs args, Reporter reporter)
    {
        args.Selection.CheckApplicable(sendingFiles: args.Text is null && args.Paths.Length > 0);
        if (args.Text is not null)
        {
            if (args.Paths.Length > 0)
            {
                throw new TallowException(FailureKind.Usage, "give either --text or paths, not both.");
            }

            byte[] bytes = Encoding.UTF8.GetBytes(args.Text);
            var offer = new TransferOffer(TransferKind.Text, args.ChunkSize, [new OfferEntry(EntryType.File, "text", (ulong)bytes.Length, 0x1A4, 0)]);
            return new Content(offer, null, new MemoryStream(bytes, writable: false), OfferSummary.Describe(offer), bytes.Length);
        }

        if (args.Paths.Length == 0)
        {
            if (!Console.IsInputRedirected)
            {
                throw new TallowException(FailureKind.Usage, "nothing to send: name files or folders, use --text, or pipe data into 'tallow send'.");
            }

            if (!PathSanitizer.IsSafeComponent(args.StreamName, out _))
            {
                throw new TallowException(FailureKind.Usage, "--name must be a plain file name.");
            }

            var offer = new TransferOffer(TransferKind.Stream, args.ChunkSize, [new OfferEntry(EntryType.File, args.StreamName, TransferOffer.UnknownSize, 0x1A4, 0)]);
            return new Content(offer, null, Console.OpenStandardInput(), OfferSummary.Describe(offer), -1);
        }

        var scan = new ScanOptions { FollowSymlinks = args.FollowSymlinks, Filter = args.Selection.Filter };
        SourcePlan plan = SourceScanner.Scan(args.Paths, args.ChunkSize, scan, reporter.Warn);
        return new Content(plan.Offer, plan, null, OfferSummary.Describe(plan.Offer), (long)plan.Offer.TotalSize);
    }
}
