// `tallow clip` once the session is open (README "Clipboard"; protocol.md "Clipboard").
//   send once:    the content read before the code was shown → ClipContent pieces; the answer
//                 (stored: exit 0; refused: exit 3 with the receiver's reason); then Leave.
//   receive once: the first content → checked (size before allocation, type, UTF-8) → the local
//                 clipboard → ClipAnswer; then the sender leaves.
//   --watch:      the clipboard is polled every 500 ms (+0.1 s per MiB it holds); a content that is not the one both sides
//                 last held (ClipEchoGuard) and is unchanged 300 ms later is sent; what arrives
//                 is stored and remembered, so the next poll does not send it back. Ctrl-C ends
//                 both sides (here 130, there "peer left" and 0), like chat.
using System.Text;
using Tallow.Cli.Commands;
using Tallow.Cli.Output;
using Tallow.Protocol;
using Tallow.Protocol.Clip;
using Tallow.Protocol.Session;
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Cli.Clipboard;

internal sealed record ClipOptions(long MaxBytes, bool Print, bool Watch);

internal sealed class ClipSession(OpenSession open, IClipboard clipboard, Reporter reporter, ClipOptions options)
{
    // Every poll reads the whole content (X11 and Wayland give no cheap change stamp every owner
    // supports): a large image is polled less often, 0.1 s more per MiB (16 MiB: every 2.1 s),
    // measured at about 17 % of a core for tallow alone when a 16 MiB image was read every 500 ms.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan PollPerMiB = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan SenderLeaves = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan EndCatchUp = TimeSpan.FromMilliseconds(500);

    private readonly ClipChannel _channel = new(open.Records.Port(RecordGroup.Clip));
    private readonly ClipEchoGuard _guard = new();
    private readonly SemaphoreSlim _clipboardLock = new(1, 1); // a poll's read-and-remember and a store's write-and-remember never interleave
    private bool _warnedTooLarge;
    private int _notUtf8Polls;
    private long _lastReadBytes;

    private RecordSession Records => open.Records;

    public async Task SendOnceAsync(ClipContent content, CancellationToken ct)
    {
        await _channel.SendAsync(content, ct).ConfigureAwait(false);
        reporter.Info($"Sent {ClipboardReader.Describe(content)}; waiting for the other side to store it...");
        while (true)
        {
            ClipIncoming incoming = await _channel.ReceiveAsync(options.MaxBytes, ct).ConfigureAwait(false);
            if (incoming.Answer is not ClipAnswerMessage answer)
            {
                await _channel.AnswerAsync(ClipAnswerStatus.Refused, "the other side only sends (it runs tallow clip without --watch)", ct).ConfigureAwait(false);
                continue;
            }

            if (answer.Status != ClipAnswerStatus.Stored)
            {
                await Records.LeaveAsync(string.Empty, ct).ConfigureAwait(false); // the answer was heard: a normal end, not a lost connection
                throw new TallowException(FailureKind.Declined, $"the other side did not store the clipboard: {PathSanitizer.Printable(answer.Text)}");
            }

            reporter.Event("clip_sent", ("type", content.Type), ("bytes", content.Bytes.LongLength));
            reporter.Info($"Done: {ClipboardReader.Describe(content)} is in the other side's clipboard.");
            await Records.LeaveAsync(string.Empty, ct).ConfigureAwait(false);
            return;
        }
    }

    public async Task ReceiveOnceAsync(CancellationToken ct)
    {
        reporter.Info("Waiting for the clipboard...");
        ClipIncoming incoming;
        do
        {
            incoming = await _channel.ReceiveAsync(options.MaxBytes, ct).ConfigureAwait(false);
        }
        while (incoming.Answer is not null); // an answer to nothing this side sent: nothing to do

        TallowException? failed = await StoreAsync(incoming, ct).ConfigureAwait(false);
        await Task.WhenAny(Records.Ended, Task.Delay(SenderLeaves, ct)).ConfigureAwait(false);
        if (!Records.Ended.IsCompleted)
        {
            await Records.LeaveAsync(string.Empty, ct).ConfigureAwait(false); // a --watch sender stays: this side is done
        }

        if (failed is not null)
        {
            throw failed;
        }
    }

    public async Task WatchAsync(CancellationToken ct)
    {
        ClipboardRead baseline = await ClipboardReader.ReadAsync(clipboard, options.MaxBytes, ct).ConfigureAwait(false);
        if (baseline.Content is ClipContent now)
        {
            _guard.Remember(now); // what was copied before the session is not sent: only new content is
        }

        reporter.Event("clip_watching", ("clipboard", clipboard.Name));
        reporter.Info($"Watching the clipboard ({clipboard.Name}): new content on either side goes to the other. Ctrl-C ends.");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task receiving = ReceiveLoopAsync(stop.Token);
        Task polling = PollLoopAsync(stop.Token);
        try
        {
            Task first = await Task.WhenAny(receiving, polling, Records.Ended).ConfigureAwait(false);
            if (first != Records.Ended && !ct.IsCancellationRequested)
            {
                // A loop that ended because the session did sees its end a moment before Ended completes.
                await Task.WhenAny(Records.Ended, Task.Delay(EndCatchUp, CancellationToken.None)).ConfigureAwait(false);
            }

            if (first != Records.Ended && !Records.Ended.IsCompleted)
            {
                await first.ConfigureAwait(false); // Ctrl-C, or a local failure (the clipboard tool broke): the peer is told below
            }
        }
        catch (TallowException e) when (!Records.Ended.IsCompleted)
        {
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await Records.LeaveAsync(e.Message, grace.Token).ConfigureAwait(false);
            throw;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(Quietly(receiving), Quietly(polling)).ConfigureAwait(false);
        }

        ct.ThrowIfCancellationRequested();
        if (Records.PeerLeft.IsCompleted)
        {
            string why = PathSanitizer.Printable(Records.PeerLeft.Result);
            reporter.Event("peer_left", ("reason", why));
            reporter.Info(why.Length > 0 ? $"The other side left ({why})." : "The other side left.");
            return;
        }

        throw await Records.Ended.ConfigureAwait(false);
    }

    private async Task ReceiveLoopAsync(CancellationToken ct)
    {
        while (true)
        {
            ClipIncoming incoming = await _channel.ReceiveAsync(options.MaxBytes, ct).ConfigureAwait(false);
            if (incoming.Answer is ClipAnswerMessage answer)
            {
                if (answer.Status != ClipAnswerStatus.Stored)
                {
                    reporter.Warn($"the other side did not store the last content: {PathSanitizer.Printable(answer.Text)}");
                }

                continue;
            }

            if (await StoreAsync(incoming, ct).ConfigureAwait(false) is TallowException failed)
            {
                reporter.Warn(failed.Message); // one content refused; the watch goes on
            }
        }
    }

    private async Task PollLoopAsync(CancellationToken ct)
    {
        while (true)
        {
            await Task.Delay(PollInterval + (PollPerMiB * (Interlocked.Read(ref _lastReadBytes) / (1024.0 * 1024))), ct).ConfigureAwait(false);
            ClipContent? changed;
            await _clipboardLock.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                changed = await ReadChangeAsync(ct).ConfigureAwait(false);
                if (changed is not null)
                {
                    _guard.Remember(changed);
                }
            }
            finally
            {
                _clipboardLock.Release();
            }

            if (changed is not null)
            {
                await _channel.SendAsync(changed, ct).ConfigureAwait(false);
                reporter.Event("clip_sent", ("type", changed.Type), ("bytes", changed.Bytes.LongLength));
                reporter.Info($"Sent {ClipboardReader.Describe(changed)}.");
            }
        }
    }

    /// <summary>New content that stayed the same over the debounce interval, or null.</summary>
    private async Task<ClipContent?> ReadChangeAsync(CancellationToken ct)
    {
        ClipboardRead read = await ClipboardReader.ReadAsync(clipboard, options.MaxBytes, ct).ConfigureAwait(false);
        if (read.State == ClipboardState.TooLarge)
        {
            Interlocked.Exchange(ref _lastReadBytes, options.MaxBytes);
            if (!_warnedTooLarge)
            {
                reporter.Warn(ClipboardReader.TooLarge(read.Type, options.MaxBytes) + " It was not sent.");
                _warnedTooLarge = true;
            }

            return null;
        }

        _warnedTooLarge = false;
        if (read.State == ClipboardState.NotUtf8)
        {
            // Skipped, not fatal: usually the clipboard changed owner while it was read, and the
            // next poll sees the new content; text that stays non-UTF-8 is said once.
            if (_notUtf8Polls++ == 1)
            {
                reporter.Warn(ClipboardReader.NotUtf8Text + " It was not sent.");
            }

            return null;
        }

        _notUtf8Polls = 0;
        Interlocked.Exchange(ref _lastReadBytes, read.Content?.Bytes.LongLength ?? 0);
        if (read.Content is not ClipContent content || !_guard.IsNew(content))
        {
            return null;
        }

        await Task.Delay(Debounce, ct).ConfigureAwait(false);
        ClipboardRead again = await ClipboardReader.ReadAsync(clipboard, options.MaxBytes, ct).ConfigureAwait(false);
        return again.Content is ClipContent settled && settled.Fingerprint().AsSpan().SequenceEqual(content.Fingerprint()) ? settled : null;
    }

    /// <summary>Checks and stores one incoming content and answers it; the local error when it was refused.</summary>
    private async Task<TallowException?> StoreAsync(ClipIncoming incoming, CancellationToken ct)
    {
        TallowException? refused = incoming.Content switch
        {
            null => new TallowException(FailureKind.Declined,
                $"the other side sent {KindOf(incoming.TooLargeType)} of {Units.Bytes(incoming.TooLargeSize)}, over this side's limit of {Units.Bytes(options.MaxBytes)}: nothing was stored. Raise it with --max-size."),
            { IsWellFormed: false } => new TallowException(FailureKind.Error, "the other side sent text that is not valid UTF-8: nothing was stored."),
            ClipContent c when !clipboard.CanHold(c.Type) => new TallowException(FailureKind.FileSystem,
                $"the other side sent {c.Type}, but {clipboard.Name} holds text only: {ClipboardBackends.InstallHint} to receive images."),
            _ => null,
        };
        if (refused is null)
        {
            ClipContent content = incoming.Content!;
            await _clipboardLock.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                await clipboard.WriteAsync(content, ct).ConfigureAwait(false);
                _guard.Remember(content);
            }
            catch (TallowException e)
            {
                refused = e;
            }
            finally
            {
                _clipboardLock.Release();
            }
        }

        if (refused is not null)
        {
            await _channel.AnswerAsync(ClipAnswerStatus.Refused, refused.Message, ct).ConfigureAwait(false);
            return refused;
        }

        await _channel.AnswerAsync(ClipAnswerStatus.Stored, string.Empty, ct).ConfigureAwait(false);
        Received(incoming.Content!);
        return null;
    }

    private void Received(ClipContent content)
    {
        string? text = options.Print && content.IsText ? Encoding.UTF8.GetString(content.Bytes) : null;
        reporter.Event("clip_received", ("type", content.Type), ("bytes", content.Bytes.LongLength), ("clipboard", clipboard.Name), ("text", text));
        reporter.Info($"Received {ClipboardReader.Describe(content)} into the clipboard ({clipboard.Name}).");
        if (text is not null && !reporter.Json)
        {
            using Stream stdout = Console.OpenStandardOutput();
            byte[] shown = Console.IsOutputRedirected ? content.Bytes : Encoding.UTF8.GetBytes(TerminalText.CleanLines(text));
            stdout.Write(shown);
            stdout.Write("\n"u8);
            stdout.Flush();
        }
    }

    private static string KindOf(string? type) => type is null || ClipMime.IsText(type) ? "text" : type;

    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is TallowException or OperationCanceledException or IOException)
        {
            // The session's end is reported once, by WatchAsync.
        }
    }
}
