// A chat room's pairs (ChatRoom.cs): each member's handshake, its time in the room and how it
// left. Failed handshakes with joiners are the room's online guesses (MaxFailedJoins); a pair
// whose session breaks (a forged, replayed, reordered or dropped record ends the record layer)
// is reported with a warning naming the member, who is then out of this side's room.
using Tallow.Protocol;
using Tallow.Wire;

namespace Tallow.Net.Room;

public sealed partial class ChatRoom
{
    private async Task RunPairAsync(RoutedStream stream, bool weInitiate, CancellationToken ct)
    {
        RoomPeer peer;
        RoomMember member;
        try
        {
            peer = await RoomPeer.ConnectAsync(stream, Self, weInitiate, _password, _connection.Nameplate, _name, _options, ct).ConfigureAwait(false);
            member = Admit(peer); // listed before EnteredAsync returns, for a member that was already there
            if (weInitiate)
            {
                Interlocked.Increment(ref _initialJoined);
            }
        }
        catch (Exception e) when (e is TallowException or IOException or OperationCanceledException)
        {
            OnHandshakeFailed(stream.Member, weInitiate, e, ct);
            return;
        }
        finally
        {
            if (weInitiate && Interlocked.Decrement(ref _initialPending) == 0)
            {
                _entered.TrySetResult();
            }
        }

        _observer.MemberJoined(member);
        ViewChanged();
        string? reason = null;
        try
        {
            reason = await RunMemberAsync(peer, member, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // This side leaves the room: nothing to report.
        }

        lock (_members)
        {
            _members.Remove(member.Id);
        }

        await peer.DisposeAsync().ConfigureAwait(false);
        if (reason is not null && !ct.IsCancellationRequested)
        {
            _observer.MemberLeft(member, reason);
            ViewChanged();
        }
    }

    private void OnHandshakeFailed(byte id, bool weInitiate, Exception e, CancellationToken ct)
    {
        if (ct.IsCancellationRequested)
        {
            return;
        }

        bool wrongCode = e is TallowException { Kind: FailureKind.Authentication };
        if (weInitiate)
        {
            if (wrongCode)
            {
                Interlocked.Increment(ref _initialWrongCode);
            }

            _observer.Warning($"could not connect to member #{id}: {e.Message}");
            return;
        }

        if (!wrongCode)
        {
            _observer.Notice($"someone (#{id}) started to join but did not finish: {e.Message}");
            return;
        }

        int failed;
        lock (_failedJoins)
        {
            _failedJoins.Add(id);
            failed = _failedJoins.Count;
        }

        _observer.Warning($"someone (#{id}) tried to join with a wrong code ({failed} of {MaxFailedJoins} failed joins allowed).");
        if (failed >= MaxFailedJoins)
        {
            StopAdmitting($"{failed} joins failed with a wrong code: the room admits no one any more (members already in stay). Open a new room to add people.");
            _ = _connection.CloseAdmissionsAsync(ct);
        }
    }

    /// <summary>
    /// Lists a member whose handshake finished. Names are unique by member id whatever order the
    /// handshakes finish in: of members with the same name (case-insensitive), the one with the
    /// lowest id keeps it and every other is shown as "name#id" — renamed, with a notice, when an
    /// earlier member's handshake finishes after its own.
    /// </summary>
    private RoomMember Admit(RoomPeer peer)
    {
        lock (_members)
        {
            string name = peer.Name;
            bool SameName(string other) => string.Equals(other, name, StringComparison.OrdinalIgnoreCase);
            bool clash = SameName(_name) && Self < peer.Id || _members.Values.Any(j => j.Member.Id < peer.Id && SameName(j.Peer.Name));
            var member = new RoomMember(peer.Id, clash ? $"{name}#{peer.Id}" : name, peer.SafetyDigits, peer.SafetyEmoji);
            var outbox = System.Threading.Channels.Channel.CreateBounded<string>(
                new System.Threading.Channels.BoundedChannelOptions(OutboxCapacity) { SingleReader = true, FullMode = System.Threading.Channels.BoundedChannelFullMode.Wait });
            _members[peer.Id] = new Joined(peer, member, outbox);
            foreach (Joined later in _members.Values.Where(j => j.Member.Id > peer.Id && SameName(j.Peer.Name) && !j.Member.Name.Contains('#', StringComparison.Ordinal)))
            {
                string before = later.Member.Name;
                later.Member.Name = $"{later.Peer.Name}#{later.Member.Id}";
                _observer.Notice($"{member.Name} (#{member.Id}) was in the room first: the other {before} is now shown as {later.Member.Name}.");
            }

            if (SameName(_name) && peer.Id < Self && !DisplayName.Contains('#', StringComparison.Ordinal))
            {
                DisplayName = $"{_name}#{Self}";
                _observer.Notice($"another member is also called {_name}: the others see you as {DisplayName}.");
            }

            return member;
        }
    }

    /// <summary>The member's messages and room records until its session ends; returns why it ended.</summary>
    private async Task<string> RunMemberAsync(RoomPeer peer, RoomMember member, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task messages = ShowMessagesAsync(peer, member, stop.Token);
        Task views = ReadViewsAsync(peer, member, stop.Token);
        Task outgoing = SendQueuedAsync(peer, member, stop.Token);
        Exception ended = await peer.Records.Ended.WaitAsync(ct).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(Quietly(messages), Quietly(views), Quietly(outgoing)).ConfigureAwait(false);
        if (peer.Records.PeerLeft.IsCompleted)
        {
            string text = Protocol.Transfer.PathSanitizer.Printable(peer.Records.PeerLeft.Result);
            return text.Length > 0 ? $"left ({text})" : "left";
        }

        if (ended is TallowException { Kind: FailureKind.Network })
        {
            return "connection lost";
        }

        _observer.Warning($"the session with {member.Name} broke ({ended.Message}); the relay may be tampering with the room. {member.Name} no longer gets or sends messages here.");
        return "session broken";
    }

    /// <summary>Seals and sends this side's messages for one member, in order, as fast as that member takes them.</summary>
    private async Task SendQueuedAsync(RoomPeer peer, RoomMember member, CancellationToken ct)
    {
        System.Threading.Channels.ChannelReader<string> outbox;
        lock (_members)
        {
            outbox = _members[member.Id].Outbox.Reader;
        }

        await foreach (string text in outbox.ReadAllAsync(ct).ConfigureAwait(false))
        {
            await peer.Chat.SendAsync(text, ct).ConfigureAwait(false);
        }
    }

    private async Task ShowMessagesAsync(RoomPeer peer, RoomMember member, CancellationToken ct)
    {
        while (true)
        {
            ChatTextMessage message = await peer.Chat.ReceiveAsync(ct).ConfigureAwait(false);
            _observer.Message(member, message);
        }
    }

    private async Task ReadViewsAsync(RoomPeer peer, RoomMember member, CancellationToken ct)
    {
        while (true)
        {
            Protocol.Records.Record record = await peer.RoomPort.ReceiveAsync(ct).ConfigureAwait(false);
            if (record.Kind == RecordKind.RoomView && RoomViewMessage.TryParse(record.Body.Span, out byte[] ids))
            {
                ViewReceived(member, ids);
            }
        }
    }

    /// <summary>This side's list for RoomView: itself and every member joined now.</summary>
    private byte[] CurrentView()
    {
        lock (_members)
        {
            return [Self, .. _members.Keys];
        }
    }

    /// <summary>Sends this side's RoomView to every member (after a change).</summary>
    private async Task SendViewAsync(CancellationToken ct)
    {
        byte[] body = RoomViewMessage.Write(CurrentView());
        Joined[] all;
        lock (_members)
        {
            all = [.. _members.Values];
        }

        foreach (Joined joined in all)
        {
            try
            {
                await joined.Peer.RoomPort.SendAsync(RecordKind.RoomView, body, ct).ConfigureAwait(false);
            }
            catch (TallowException)
            {
                // That pair ended: its own loop reports it.
            }
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
            // The pair's end is reported once, by RunMemberAsync.
        }
    }
}
