// A chat room as one member runs it (protocol.md "Chat rooms"): a full mesh of RoomPeer pairs over
// one RoomConnection. The relay's news drives it: a member already there when this side entered
// gets a handshake from us (we are the joiner), a member who joins later starts one with us.
//   member: handshake → RoomHello both ways → joined (shown) → its messages → Leave / lost → left
// A message is sealed once per member currently joined, so a member who left gets nothing later
// and a joiner nothing earlier. A joiner whose handshake fails on our side is one failed join;
// after MaxFailedJoins the room stops admitting (RoomClose) and this side refuses new ids itself.
// Members' lists are compared through RoomView (ChatRoom.Views.cs).
using System.Security.Cryptography;
using System.Text;
using Tallow.Protocol;
using Tallow.Wire;

namespace Tallow.Net.Room;

/// <summary>A member as this side shows it; <see cref="Name"/> gains "#id" when an earlier member turns out to have the same name.</summary>
public sealed class RoomMember(byte id, string name, string safetyDigits, string safetyEmoji)
{
    public byte Id { get; } = id;

    public string Name { get; internal set; } = name;

    public string SafetyDigits { get; } = safetyDigits;

    public string SafetyEmoji { get; } = safetyEmoji;
}

/// <summary>What a room tells its user; called from the room's tasks (implementations serialise their output).</summary>
public interface IRoomObserver
{
    void MemberJoined(RoomMember member);

    void MemberLeft(RoomMember member, string reason);

    void Message(RoomMember member, ChatTextMessage message);

    void Notice(string text);

    void Warning(string text);
}

public sealed partial class ChatRoom : IAsyncDisposable
{
    public const int MaxFailedJoins = 3;

    private readonly RoomConnection _connection;
    private readonly byte[] _password;
    private readonly string _name;
    private readonly IRoomObserver _observer;
    private readonly RoomPeerOptions _options;
    private readonly Dictionary<byte, Joined> _members = [];
    private readonly HashSet<byte> _failedJoins = [];
    private readonly List<Task> _pairs = [];
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TaskCompletionSource<Exception> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _eventLoop;
    private int _initialPending;
    private int _initialWrongCode;
    private int _initialJoined;
    private readonly int _initialTotal;
    private volatile bool _admitting = true;

    /// <summary>Messages not yet sealed for one member: a member that stops reading holds up only its own queue.</summary>
    private const int OutboxCapacity = 256;

    /// <param name="Outbox">This side's messages for the member, sent in order by the member's own task.</param>
    private sealed record Joined(RoomPeer Peer, RoomMember Member, System.Threading.Channels.Channel<string> Outbox)
    {
        public bool WarnedFull { get; set; }
    }

    /// <summary>Runs the room on <paramref name="connection"/>; <paramref name="password"/> (the whole code) is copied and zeroed at the end.</summary>
    public ChatRoom(RoomConnection connection, ReadOnlySpan<byte> password, string name, IRoomObserver observer, RoomPeerOptions? options = null)
    {
        _connection = connection;
        _password = password.ToArray();
        _name = name;
        _observer = observer;
        _options = options ?? new RoomPeerOptions();
        DisplayName = name;
        _initialTotal = _initialPending = connection.InitialMembers;
        if (_initialTotal == 0)
        {
            _entered.TrySetResult(); // the creator: no one to greet yet
        }

        _viewTimer = new Timer(static s => ((ChatRoom)s!).CheckViews(), this, ViewCheckInterval, ViewCheckInterval);
        _eventLoop = Task.Run(EventLoopAsync);
    }

    public byte Self => _connection.Self;

    /// <summary>How this side is shown to the others (its name, with "#id" when an earlier member has the same name).</summary>
    public string DisplayName { get; private set; } = string.Empty;

    /// <summary>Completes with the reason when the room connection ended (the relay closed it or was lost).</summary>
    public Task<Exception> Ended => _ended.Task;

    public IReadOnlyList<RoomMember> Members
    {
        get
        {
            lock (_members)
            {
                return [.. _members.Values.Select(j => j.Member).OrderBy(m => m.Id)];
            }
        }
    }

    /// <summary>A member by its shown name (case-insensitive), or null.</summary>
    public RoomMember? Find(string name) =>
        Members.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Returns once the handshakes with the members already there ended. When there were some and
    /// none succeeded, throws the wrong-code error (every one failed authentication) or a network error.
    /// </summary>
    public async Task EnteredAsync(CancellationToken ct)
    {
        await Task.WhenAny(_entered.Task, _ended.Task).WaitAsync(ct).ConfigureAwait(false);
        if (!_entered.Task.IsCompleted)
        {
            throw await _ended.Task.ConfigureAwait(false);
        }

        if (_initialTotal > 0 && Volatile.Read(ref _initialJoined) == 0)
        {
            throw Volatile.Read(ref _initialWrongCode) == _initialTotal
                ? TallowException.WrongCode()
                : new TallowException(FailureKind.Network,
                    "no member of the room finished the secure handshake: the room may admit no one any more (after failed joins), or the network failed. Ask someone in the room.");
        }
    }

    /// <summary>Queues <paramref name="text"/> for every member joined now (each member's task seals and sends it in order); returns how many took it.</summary>
    public int Send(string text)
    {
        if (Encoding.UTF8.GetByteCount(text) > ChatTextMessage.MaxTextBytes)
        {
            throw new TallowException(FailureKind.Usage, $"a message may be at most {ChatTextMessage.MaxTextBytes / 1024} KiB.");
        }

        Joined[] targets;
        lock (_members)
        {
            targets = [.. _members.Values];
        }

        int queued = 0;
        foreach (Joined joined in targets)
        {
            if (joined.Outbox.Writer.TryWrite(text))
            {
                queued++;
            }
            else if (!joined.WarnedFull)
            {
                joined.WarnedFull = true;
                _observer.Warning($"{joined.Member.Name} has not taken your last {OutboxCapacity} messages (stopped or stuck): they miss this one and later ones until they catch up.");
            }
        }

        return queued;
    }

    /// <summary>Tells every member this side leaves (bounded by <paramref name="ct"/>), then closes the room connection.</summary>
    public async Task LeaveAsync(string reason, CancellationToken ct)
    {
        Joined[] all;
        lock (_members)
        {
            all = [.. _members.Values];
        }

        await Task.WhenAll(all.Select(j => j.Peer.LeaveAsync(reason, ct))).ConfigureAwait(false);
        await DisposeAsync().ConfigureAwait(false);
    }

    private async Task EventLoopAsync()
    {
        CancellationToken ct = _lifetime.Token;
        try
        {
            await foreach (RoomEvent news in _connection.Events.ReadAllAsync(ct).ConfigureAwait(false))
            {
                switch (news.Kind)
                {
                    case RoomEventKind.Joined when news.WeInitiate:
                        Track(RunPairAsync(news.Stream!, weInitiate: true, ct));
                        break;
                    case RoomEventKind.Joined when !_admitting:
                        news.Stream!.Discard();
                        break;
                    case RoomEventKind.Joined:
                        Track(RunPairAsync(news.Stream!, weInitiate: false, ct));
                        break;
                    case RoomEventKind.Closed:
                        StopAdmitting("the room admits no one any more (closed on the relay); members already in stay.");
                        break;
                    case RoomEventKind.Left:
                        break; // the pair's stream ended: its session reports how the member left
                }
            }

            _ended.TrySetResult(new TallowException(FailureKind.Error, "the chat room was left."));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            _ended.TrySetResult(new TallowException(FailureKind.Error, "the chat room was left."));
        }
        catch (Exception e)
        {
            _ended.TrySetResult(e);
        }
    }

    private void Track(Task pair)
    {
        lock (_pairs)
        {
            _pairs.RemoveAll(t => t.IsCompleted);
            _pairs.Add(pair);
        }
    }

    private void StopAdmitting(string why)
    {
        if (!_admitting)
        {
            return;
        }

        _admitting = false;
        _observer.Warning(why);
    }

    /// <summary>Zeroes the code, leaves every pair and closes the room connection. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_lifetime.IsCancellationRequested)
        {
            return;
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
        await _eventLoop.ConfigureAwait(false);
        Task[] pairs;
        lock (_pairs)
        {
            pairs = [.. _pairs];
        }

        await Task.WhenAll(pairs).ConfigureAwait(false);
        await _viewTimer.DisposeAsync().ConfigureAwait(false);
        CryptographicOperations.ZeroMemory(_password);
    }
}
