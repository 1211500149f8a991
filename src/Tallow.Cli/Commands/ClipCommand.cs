// `tallow clip` sends this computer's clipboard and prints a code; `tallow clip CODE` puts it into
// the clipboard there (README "Clipboard"; protocol.md "Clipboard"). `--watch` on both sides keeps
// the session open and mirrors every new clipboard content both ways. Same relay, proxy, --no-p2p
// and --verify options as send and receive; the clipboard itself is a tool found at run time
// (ClipboardBackends), checked before any session is opened so a missing tool fails at once.
using System.CommandLine;
using Tallow.Cli.Clipboard;
using Tallow.Cli.Output;
using Tallow.Protocol;
using Tallow.Protocol.Clip;

namespace Tallow.Cli.Commands;

internal static class ClipCommand
{
    public const long DefaultMaxBytes = 16L * 1024 * 1024;

    private const string HelpFooter = """
        Clipboard:
          Wayland: wl-copy/wl-paste (package wl-clipboard), when WAYLAND_DISPLAY is set
          X11: xclip, else xsel (text only), when DISPLAY is set
          none of them: received text goes to the terminal on stdout as OSC 52 (up to 74 KiB)

        Exit codes:
          0    stored in the other side's clipboard (--watch: the other side left)
          1    error (the other side broke the protocol, or sent text that is not UTF-8)
          2    usage
          3    refused by the other side (over its --max-size, a type its clipboard cannot hold), or it left
          4    network, relay or timeout
          5    no clipboard tool (the message names the packages), or the tool failed
          6    wrong code or failed authentication
          130  interrupted (Ctrl-C; the other side is told)
        """;

    public static Command Create()
    {
        var common = new CommonOptions();
        var code = new Argument<string[]>("code") { Arity = ArgumentArity.ZeroOrMore, Description = "Receive the clipboard sent with this code (none: send this computer's clipboard and print a code)" };
        var watch = new Option<bool>("--watch", "-w") { Description = "Stay connected and send every new clipboard content to the other side, both ways (run it with --watch on both sides; Ctrl-C ends)" };
        var print = new Option<bool>("--print") { Description = "Also print received text on stdout (by default only its type and size are shown)" };
        var maxSize = new Option<string?>("--max-size") { Description = "Largest clipboard content sent or received, e.g. 64MiB (default 16MiB, at most 256MiB)", HelpName = "SIZE" };
        Option<int> words = common.CreateWords();
        var verify = SafetyCheck.CreateOption();
        HelpFooters.Add("clip", HelpFooter);
        var command = new Command("clip", "Send the clipboard to one peer, or receive one into this clipboard; --watch mirrors both ways")
        {
            code, watch, print, maxSize, words, verify,
        };
        command.Options.Add(common.Code);
        common.AddTo(command);
        command.SetAction((result, ct) =>
        {
            var reporter = new Reporter(result.GetValue(common.Json), result.GetValue(common.Quiet));
            string joinCode = string.Join('-', result.GetValue(code) ?? []);
            return CommandRunner.RunAsync(reporter, async () =>
            {
                var options = new ClipOptions(MaxBytes(result.GetValue(maxSize)), result.GetValue(print), result.GetValue(watch));
                bool receiving = joinCode.Length > 0;
                IClipboard clipboard = ClipboardBackends.Find(forReading: options.Watch || !receiving, Environment.GetEnvironmentVariable, !Console.IsOutputRedirected);
                ClipContent? content = options.Watch || receiving ? null : await ReadToSendAsync(clipboard, options.MaxBytes, ct).ConfigureAwait(false);
                await using OpenSession session = receiving
                    ? await SessionSetup.JoinAsync(result, common, reporter, joinCode, result.GetValue(verify), ct).ConfigureAwait(false)
                    : await SessionSetup.CreateAsync(result, common, reporter, OpenRequest(result, common, reporter, result.GetValue(words), options.Watch), result.GetValue(verify), ct).ConfigureAwait(false);
                session.LeaveWhenCancelled("interrupted", ct); // Ctrl-C: the peer hears "left", not "lost"
                await session.UpgradeAsync(reporter, content?.Bytes.LongLength, ct).ConfigureAwait(false);
                Tallow.Protocol.Records.RateLimiter? throttle = common.ResolveThrottle(result);
                session.Records.Channel.SendThrottle = throttle; // --throttle limits what this side sends and what it takes in
                session.Records.Port(Tallow.Wire.RecordGroup.Clip).ReceiveThrottle = throttle;
                var clip = new ClipSession(session, clipboard, reporter, options);
                if (options.Watch)
                {
                    await clip.WatchAsync(ct).ConfigureAwait(false);
                }
                else if (content is not null)
                {
                    await clip.SendOnceAsync(content, ct).ConfigureAwait(false);
                }
                else
                {
                    await clip.ReceiveOnceAsync(ct).ConfigureAwait(false);
                }
            });
        });
        return command;
    }

    /// <summary>--max-size: a size such as 16MiB or 500KB, up to the protocol's bound.</summary>
    internal static long MaxBytes(string? text)
    {
        if (text is null)
        {
            return DefaultMaxBytes;
        }

        if (!ByteRate.TryParse(text, out ByteRate size, out _) || text.Contains('/', StringComparison.Ordinal) || size.BytesPerSecond > ClipChannel.MaxContentBytes)
        {
            throw new TallowException(FailureKind.Usage, $"--max-size needs a size from 1KB to 256MiB such as 16MiB or 500KB, not '{TerminalText.Clean(text.Length > 64 ? text[..64] : text)}'.");
        }

        return size.BytesPerSecond;
    }

    /// <summary>The content to send, read before a code is shown: an empty or oversized clipboard fails at once.</summary>
    private static async Task<ClipContent> ReadToSendAsync(IClipboard clipboard, long maxBytes, CancellationToken ct)
    {
        ClipboardRead read = await ClipboardReader.ReadAsync(clipboard, maxBytes, ct).ConfigureAwait(false);
        return read.State switch
        {
            ClipboardState.Content => read.Content!,
            ClipboardState.TooLarge => throw new TallowException(FailureKind.FileSystem, ClipboardReader.TooLarge(read.Type, maxBytes)),
            ClipboardState.NotUtf8 => throw new TallowException(FailureKind.FileSystem, ClipboardReader.NotUtf8Text),
            _ => throw new TallowException(FailureKind.FileSystem, $"the clipboard ({clipboard.Name}) holds no text or image: copy something first."),
        };
    }

    private static CreateRequest OpenRequest(ParseResult result, CommonOptions common, Reporter reporter, int words, bool watch) =>
        new(watch ? "clip --watch" : "clip",
            watch ? "Watching the clipboard: waiting for the other side to join." : "Clipboard read: waiting for the other side to join.",
            words,
            CodeSource.ForCreator(result.GetValue(common.Code), reporter, readEnvironment: false));
}
