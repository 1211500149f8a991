// The record layer of one session (DESIGN.md §13; protocol.md "Dispatch"): the one read loop
// that takes every record off the SecureChannel and hands it to the part that owns it
// (RecordRoutes), and the send side that holds bulk records to each stream's window.
//
//   read loop:  ReceiveAsync ─▶ Session kinds: WindowUpdate → SendWindow.Grant, Leave → PeerLeft
//                             └▶ other kinds: inbox of their group (copy, never blocks), except
//                                after a path switch point (P2PSelect, P2PSwitched), where it
//                                waits until the negotiation moved reads to the new path.
//
// No part can stall another's records or the path's acknowledgements: the loop never waits on
// a consumer (flow control bounds every inbox), so keep-alives, acks, window updates and chat
// are always read while a file streams in either direction. When the loop ends (the peer left,
// the connection broke, a record failed authentication) every inbox and every waiting sender
// gets that reason.
using Tallow.Protocol.Records;
using Tallow.Wire;

namespace Tallow.Protocol.Session;

public sealed class RecordSession : IAsyncDisposable
{
    // How long a failed send waits for the read loop to take in a Leave that may be on the way.
    private static readonly TimeSpan LeaveCatchUp = TimeSpan.FromMilliseconds(500);

    private readonly SecureChannel _channel;
    private readonly RecordInbox[] _inboxes = new RecordInbox[RecordRoutes.GroupCount];
    private readonly SendWindow _transferWindow = new(FlowWindows.TransferWindow, FlowWindows.MaxWindowOf(FlowStream.Transfer));
    private readonly SendWindow _chatWindow = new(FlowWindows.ChatWindow);
    private readonly SendWindow _syncWindow = new(FlowWindows.SyncWindow, FlowWindows.MaxWindowOf(FlowStream.Sync));
    private readonly SendWindow _clipWindow = new(FlowWindows.ClipWindow);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TaskCompletionSource<string> _peerLeft = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Exception> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _readLoop;
    private volatile bool _leaving;

    public RecordSession(SecureChannel channel)
    {
        _channel = channel;
        for (int i = 0; i < _inboxes.Length; i++)
        {
            var group = (RecordGroup)i;
            FlowStream? stream = group switch
            {
                RecordGroup.IncomingTransfer => FlowStream.Transfer,
                RecordGroup.Chat => FlowStream.Chat,
                RecordGroup.Sync => FlowStream.Sync,
                RecordGroup.Clip => FlowStream.Clip,
                _ => null,
            };
            Func<RecordKind, bool> pauses = group == RecordGroup.Path
                ? kind => kind is RecordKind.P2PSelect or RecordKind.P2PSwitched
                : _ => false;
            _inboxes[i] = new RecordInbox(group, stream, pauses, SendWindowUpdateAsync);
        }
    }

    public SecureChannel Channel => _channel;

    /// <summary>Completes with the peer's words when it left the session on purpose (Leave).</summary>
    public Task<string> PeerLeft => _peerLeft.Task;

    /// <summary>Completes with the reason the read loop ended (never faults).</summary>
    public Task<Exception> Ended => _ended.Task;

    /// <summary>The inbox of <paramref name="group"/>'s records and the session's send side, for the part that owns them.</summary>
    public RecordPort Port(RecordGroup group) =>
        group == RecordGroup.Session ? throw new ArgumentOutOfRangeException(nameof(group)) : new RecordPort(this, _inboxes[(int)group]);

    /// <summary>Starts the read loop (once). Before it runs, nothing is read.</summary>
    public void Start()
    {
        _readLoop ??= Task.Run(ReadLoopAsync);
    }

    public ValueTask SendAsync(RecordKind kind, ReadOnlyMemory<byte> body, CancellationToken ct) => SendAsync(kind, body, null, ct);

    /// <summary>Sends one record; <paramref name="afterSend"/> runs before any other record can be sent (a path switch point).</summary>
    public async ValueTask SendAsync(RecordKind kind, ReadOnlyMemory<byte> body, Action? afterSend, CancellationToken ct)
    {
        using var buffer = new RecordBuffer(body.Length);
        body.CopyTo(buffer.Body);
        await SendAsync(buffer, kind, body.Length, ct, afterSend).ConfigureAwait(false);
    }

    /// <summary>Seals the buffer's first <paramref name="bodyLength"/> body bytes in place and sends them, within the stream's window.</summary>
    public async ValueTask SendAsync(RecordBuffer buffer, RecordKind kind, int bodyLength, CancellationToken ct, Action? afterSend = null)
    {
        if (RecordRoutes.StreamOf(kind) is FlowStream stream)
        {
            await WindowOf(stream).TakeAsync(FlowWindows.CostOf(bodyLength), ct).ConfigureAwait(false);
        }

        try
        {
            await _channel.SendAsync(buffer, kind, bodyLength, ct, afterSend).ConfigureAwait(false);
        }
        catch (TallowException e) when (e.Kind == FailureKind.Network && !_leaving)
        {
            // The peer may have left on purpose (Ctrl-C) with its Leave still on the way in, e.g.
            // over a direct path whose close the sending side noticed first: report the leaving.
            if (_readLoop is not null)
            {
                await Task.WhenAny(_ended.Task, Task.Delay(LeaveCatchUp, CancellationToken.None)).ConfigureAwait(false);
            }

            if (_peerLeft.Task.IsCompleted)
            {
                throw PeerLeftException(_peerLeft.Task.Result);
            }

            throw;
        }
    }

    /// <summary>Tells the peer this side is leaving on purpose (best effort), so it reports "left", not "lost".</summary>
    public async Task LeaveAsync(string reason, CancellationToken ct)
    {
        _leaving = true;
        try
        {
            await this.SendReasonAsync(RecordKind.Leave, CancelReason.Cancelled, reason, ct).ConfigureAwait(false);
        }
        catch (TallowException)
        {
            // The peer is gone already: leaving is done.
        }
    }

    private SendWindow WindowOf(FlowStream stream) => stream switch
    {
        FlowStream.Transfer => _transferWindow,
        FlowStream.Sync => _syncWindow,
        FlowStream.Clip => _clipWindow,
        _ => _chatWindow,
    };

    private async ValueTask SendWindowUpdateAsync(FlowStream stream, uint bytes, CancellationToken ct)
    {
        byte[] body = new byte[WindowUpdateMessage.Size];
        new WindowUpdateMessage(stream, bytes).Write(body);
        await _channel.SendAsync(RecordKind.WindowUpdate, body, ct).ConfigureAwait(false);
    }

    private async Task ReadLoopAsync()
    {
        Exception reason;
        try
        {
            while (true)
            {
                Record record = await _channel.ReceiveAsync(_lifetime.Token).ConfigureAwait(false);
                if (!RecordRoutes.TryGetGroup(record.Kind, out RecordGroup group))
                {
                    throw Broken($"a message of unknown kind {(byte)record.Kind}");
                }

                if (group == RecordGroup.Session)
                {
                    OnSessionRecord(record);
                    continue;
                }

                RecordInbox inbox = _inboxes[(int)group];
                byte[]? owned = RecordRoutes.IsBulk(record.Kind) ? _channel.DetachLastRecord() : null; // content from the direct path: kept, not copied
                if (!inbox.TryEnqueue(record.Kind, record.Body.Span, owned, out bool pause))
                {
                    throw Broken("more data than the receiver allowed");
                }

                if (pause)
                {
                    await inbox.WaitResumedAsync().WaitAsync(_lifetime.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            reason = new TallowException(FailureKind.Error, "the session was closed.");
        }
        catch (TallowException e) when (_peerLeft.Task.IsCompleted && e.Kind == FailureKind.Network)
        {
            reason = PeerLeftException(_peerLeft.Task.Result);
        }
        catch (TallowException e) when (_leaving && e.Kind == FailureKind.Network)
        {
            reason = new TallowException(FailureKind.Error, "the session was closed.");
        }
        catch (Exception e)
        {
            reason = e;
        }

        _transferWindow.Fail(reason);
        _chatWindow.Fail(reason);
        _syncWindow.Fail(reason);
        _clipWindow.Fail(reason);
        foreach (RecordInbox inbox in _inboxes)
        {
            inbox.Fail(reason);
        }

        _ended.TrySetResult(reason);
    }

    private void OnSessionRecord(Record record)
    {
        switch (record.Kind)
        {
            case RecordKind.WindowUpdate when WindowUpdateMessage.TryParse(record.Body.Span, out WindowUpdateMessage update):
                WindowOf(update.Stream).Grant(update.Bytes);
                break;
            case RecordKind.Leave:
                string text = ReasonMessage.TryParse(record.Body.Span, out ReasonMessage why) ? why.Text : string.Empty;
                _peerLeft.TrySetResult(text);
                break;
            default:
                throw Broken("a malformed session message");
        }
    }

    /// <summary>The error every part of the session sees after the peer left on purpose.</summary>
    public static TallowException PeerLeftException(string text) => new(
        FailureKind.Declined, text.Length > 0 ? $"the peer left the session ({Transfer.PathSanitizer.Printable(text)})." : "the peer left the session.");

    private static TallowException Broken(string what) => new(
        FailureKind.Error, $"the peer broke the session protocol ({what}): the session was stopped. Both sides may need the same tallow version.");

    public async ValueTask DisposeAsync()
    {
        await _lifetime.CancelAsync().ConfigureAwait(false);
        if (_readLoop is not null)
        {
            await _readLoop.ConfigureAwait(false);
        }

        foreach (RecordInbox inbox in _inboxes)
        {
            inbox.Clear();
        }

        _lifetime.Dispose();
    }
}
