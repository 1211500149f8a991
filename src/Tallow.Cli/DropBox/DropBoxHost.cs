// The drop box itself: member 0 of a routing room (protocol.md "Drop box") that pairs with each
// sender who joins (they always initiate to member 0) and takes one transfer from each, up to
// MaxSenders at once. A handshake that fails on the code is an online guess: at MaxFailures the
// room is closed to new members (RoomClose) and the drop box stops with exit 6. --max and
// --expire stop it with exit 0; Ctrl-C with 130, telling the senders still sending. A room that
// ends (a lost relay connection, a relay restart, the relay's unpaired timeout while no one came)
// is reopened on the same nameplate (bounded back-off, at most ReconnectFor), the code unchanged.
using System.Threading.Channels;
using Tallow.Cli.Output;
using Tallow.Net.Room;
using Tallow.Protocol;

namespace Tallow.Cli.DropBox;

internal sealed class DropBoxHost(RoomConnection connection, byte[] password, DropBoxSettings settings, Reporter reporter, Func<CancellationToken, Task<RoomConnection>> reopen)
{
    /// <summary>The name senders see for the drop box (RoomHello).</summary>
    public const string PeerName = "drop-box";

    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(10);

    /// <summary>How long a lost relay is retried before the drop box gives up (exit 4).</summary>
    private static readonly TimeSpan ReconnectFor = TimeSpan.FromMinutes(10);

    /// <summary>How long a sender cut off by the end of the drop box gets to hear why.</summary>
    private static readonly TimeSpan LeaveGrace = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _senders = [];
    private RoomConnection _connection = connection;
    private int _failures;
    private int _received;
    private string? _stopReason;
    private TallowException? _failure;

    /// <summary>Runs until --max, --expire, too many failed guesses (throws, exit 6), a relay lost for good (throws, exit 4) or Ctrl-C.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
        using Timer? expiry = settings.Expire is TimeSpan after ? new Timer(_ => Stop($"--expire {Units.Duration(after)} passed"), null, after, Timeout.InfiniteTimeSpan) : null;
        try
        {
            while (!linked.IsCancellationRequested)
            {
                await ServeAsync(linked.Token).ConfigureAwait(false);
                if (!linked.IsCancellationRequested)
                {
                    await ReconnectAsync(linked.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            // Stopped by a limit: reported below.
        }
        finally
        {
            await linked.CancelAsync().ConfigureAwait(false);
            await WaitForSendersAsync().ConfigureAwait(false);
            await _connection.DisposeAsync().ConfigureAwait(false);
        }

        ct.ThrowIfCancellationRequested();
        string reason = _failure?.Message ?? _stopReason ?? "stopped";
        reporter.Event("dropbox_closed", ("reason", reason), ("transfers", Volatile.Read(ref _received)), ("failed_guesses", Volatile.Read(ref _failures)));
        if (_failure is not null)
        {
            throw _failure;
        }

        reporter.Info($"Drop box closed: {reason} ({Volatile.Read(ref _received)} transfer(s) received).");
    }

    /// <summary>Takes the room's events until the room connection ends (returns) or the drop box stops (throws OperationCanceledException).</summary>
    private async Task ServeAsync(CancellationToken ct)
    {
        ChannelReader<RoomEvent> events = _connection.Events;
        try
        {
            while (await events.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (events.TryRead(out RoomEvent news))
                {
                    if (news is { Kind: RoomEventKind.Joined, WeInitiate: true })
                    {
                        news.Stream?.Discard(); // there before the drop box: not a sender (senders join after it)
                    }
                    else if (news.Kind == RoomEventKind.Joined && news.Stream is RoutedStream stream)
                    {
                        lock (_senders)
                        {
                            _senders.RemoveAll(t => t.IsCompleted);
                            _senders.Add(Task.Run(() => ServeSenderAsync(stream, ct), CancellationToken.None));
                        }
                    }
                    else if (news.Kind == RoomEventKind.Closed && Volatile.Read(ref _failure) is null)
                    {
                        // The relay admits no one any more without being asked (every member id of the
                        // room used): let the transfers under way finish, then open the room again.
                        reporter.Info("The relay's room admits no more senders: opening it again with the same code once the transfers under way are done.");
                        await WaitForSendersAsync().ConfigureAwait(false);
                        return;
                    }
                }
            }

            reporter.Warn("the relay ended the drop box's room: opening it again with the same code...");
        }
        catch (Exception e) when (e is TallowException or ChannelClosedException or IOException)
        {
            reporter.Event("dropbox_reconnecting", ("reason", e.Message));
            reporter.Warn($"the drop box's room ended ({e.Message.TrimEnd('.')}): opening it again with the same code...");
        }
    }

    private async Task ServeSenderAsync(RoutedStream stream, CancellationToken ct)
    {
        RoomPeer peer;
        try
        {
            peer = await RoomPeer.ConnectAsync(stream, _connection.Self, weInitiate: false, password, _connection.Nameplate, PeerName, new RoomPeerOptions(), ct).ConfigureAwait(false);
        }
        catch (TallowException e) when (e.Kind == FailureKind.Authentication)
        {
            FailedGuess(stream.Member);
            return;
        }
        catch (Exception e) when (e is TallowException or IOException or OperationCanceledException)
        {
            if (!ct.IsCancellationRequested)
            {
                reporter.Info($"Someone (#{stream.Member}) started to send but did not finish the handshake: {e.Message}");
            }

            return;
        }

        await using (peer.ConfigureAwait(false))
        {
            try
            {
                DropBoxReceipt receipt = await DropBoxTransfer.ReceiveAsync(peer, settings, reporter, ct).ConfigureAwait(false);
                Received(receipt);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                using var grace = new CancellationTokenSource(LeaveGrace);
                await Quietly(peer.LeaveAsync("the drop box closed before the transfer finished", grace.Token)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TallowException or IOException or UnauthorizedAccessException)
            {
                string sender = TerminalText.Clean(peer.Name);
                reporter.Event("transfer_failed", ("sender", sender), ("error", e.Message));
                reporter.Warn($"transfer from {sender} not received: {e.Message}");
            }
        }
    }

    private void Received(DropBoxReceipt receipt)
    {
        int count = Interlocked.Increment(ref _received);
        reporter.Event("transfer_received", ("sender", receipt.Sender), ("folder", receipt.Folder), ("files", receipt.Files), ("bytes", receipt.Bytes), ("seconds", receipt.Elapsed.TotalSeconds));
        reporter.Essential($"{DateTime.Now:HH:mm:ss} received from {receipt.Sender}: {receipt.Files} file(s), {Units.Bytes(receipt.Bytes)} in {receipt.Elapsed.TotalSeconds:0.0} s -> {receipt.Folder}");
        if (settings.MaxTransfers > 0 && count >= settings.MaxTransfers)
        {
            Stop($"--max {settings.MaxTransfers} transfers received");
        }
    }

    private void FailedGuess(byte member)
    {
        int failed = Interlocked.Increment(ref _failures);
        reporter.Event("guess_failed", ("member", member), ("failed", failed), ("max_failures", settings.MaxFailures));
        reporter.Warn($"someone (#{member}) tried to send with a wrong code ({failed} of {settings.MaxFailures} failed attempts allowed).");
        if (failed >= settings.MaxFailures && Interlocked.CompareExchange(ref _failure, new TallowException(FailureKind.Authentication,
                $"{failed} attempts with a wrong code: someone may be guessing it, so the drop box stopped. Start a new one (it gets a new code), or raise --max-failures."), null) is null)
        {
            _ = _connection.CloseAdmissionsAsync(CancellationToken.None);
            Stop(_failure!.Message);
        }
    }

    private void Stop(string reason)
    {
        Interlocked.CompareExchange(ref _stopReason, reason, null);
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already over.
        }
    }

    /// <summary>Reopens the routing room on the same nameplate, retrying with back-off; throws (exit 4) after ReconnectFor.</summary>
    private async Task ReconnectAsync(CancellationToken ct)
    {
        await _connection.DisposeAsync().ConfigureAwait(false);
        DateTime giveUp = DateTime.UtcNow + ReconnectFor;
        TimeSpan wait = FirstRetry;
        while (true)
        {
            await Task.Delay(wait, ct).ConfigureAwait(false);
            try
            {
                _connection = await reopen(ct).ConfigureAwait(false);
                reporter.Event("dropbox_reconnected");
                reporter.Info("Reconnected to the relay: the drop box takes transfers again, with the same code.");
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                if (DateTime.UtcNow >= giveUp)
                {
                    throw new TallowException(FailureKind.Network, $"the relay could not be reached again for {ReconnectFor.TotalMinutes:0} minutes ({e.Message}): the drop box stopped.");
                }
            }

            wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, LongestRetry.Ticks));
        }
    }

    /// <summary>Until every sender's task has ended (they end by themselves, or when cancelled).</summary>
    private async Task WaitForSendersAsync()
    {
        Task[] running;
        lock (_senders)
        {
            running = [.. _senders];
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or TallowException or IOException)
        {
            // Best effort.
        }
    }
}
