// Dials every remote candidate from the shared port P while accepting on P (TCP simultaneous
// open, DESIGN.md §9.3; the responder dials half a second later so the SYNs do not cross, see
// PunchOptions.ResponderDialDelay), and proves the session key on every connection that forms (§9.4).
// The initiator takes the first proven connection; the responder looks up the one the
// initiator selected. Connections nobody takes are closed on dispose.
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Tallow.Net.Direct;

public sealed class HolePuncher : IAsyncDisposable
{
    private const int MaxPendingAccepts = 8;

    private readonly Socket _listener;
    private readonly IPEndPoint _localBind;
    private readonly DirectPathKey _key;
    private readonly PunchOptions _options;
    private readonly CancellationTokenSource _stop;
    private readonly ConcurrentDictionary<string, DirectConnection> _proven = new();
    private readonly TaskCompletionSource<DirectConnection> _firstProven = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Task> _tasks = [];
    private Task _dialsDone = Task.CompletedTask;
    private int _pendingAccepts;
    private int _stopped;

    public HolePuncher(Socket listener, DirectPathKey key, PunchOptions options, CancellationToken cancellationToken)
    {
        _listener = listener;
        _localBind = (IPEndPoint)listener.LocalEndPoint!;
        _key = key;
        _options = options;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    /// <summary>TCP connections that formed (dialed or accepted), whether or not the proof then held.</summary>
    public int ConnectsCompleted => Volatile.Read(ref _connects);

    private int _connects;

    /// <summary>Starts accepting on P and dialing each candidate.</summary>
    public void Start(IReadOnlyList<Candidate> remote)
    {
        _stop.CancelAfter(_options.OverallTimeout);
        _tasks.Add(Task.Run(AcceptLoopAsync));
        var dials = remote.Select(c => Task.Run(() => DialAsync(c))).ToList();
        _tasks.AddRange(dials);
        _dialsDone = dials.Count > 0 ? Task.WhenAll(dials) : Task.Delay(_options.CandidateTimeout, _stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>
    /// Initiator: the first proven connection, or null when the overall timeout passed or every
    /// dial ended and the accept grace expired with nothing proven.
    /// </summary>
    public async Task<DirectConnection?> WaitForFirstAsync(CancellationToken cancellationToken)
    {
        Task giveUp = _dialsDone.ContinueWith(_ => Task.Delay(_options.AcceptGrace), TaskScheduler.Default).Unwrap();
        Task overall = Task.Delay(Timeout.Infinite, _stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        Task winner = await Task.WhenAny(_firstProven.Task, giveUp, overall).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (winner == _firstProven.Task)
        {
            return Take(_firstProven.Task.Result.Id);
        }

        return _firstProven.Task.IsCompletedSuccessfully ? Take(_firstProven.Task.Result.Id) : null;
    }

    /// <summary>Removes and returns the proven connection with this id, if any.</summary>
    public DirectConnection? Take(byte[] id) => _proven.TryRemove(Convert.ToHexString(id), out DirectConnection? c) ? c : null;

    /// <summary>
    /// Responder: the connection the initiator named. The initiator may select it as soon as it has
    /// our proof, a moment before our side has read its proof, so wait for that (bounded).
    /// </summary>
    public async Task<DirectConnection?> TakeAsync(byte[] id, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.ProofTimeout);
        while (true)
        {
            Task changed = Volatile.Read(ref _registered).Task;
            if (Take(id) is DirectConnection connection)
            {
                return connection;
            }

            try
            {
                await changed.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return Take(id);
            }
        }
    }

    private TaskCompletionSource _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket accepted = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
                if (Interlocked.Increment(ref _pendingAccepts) > MaxPendingAccepts)
                {
                    Interlocked.Decrement(ref _pendingAccepts);
                    accepted.Dispose();
                    continue;
                }

                _ = Task.Run(async () =>
                {
                    try
                    {
                        Interlocked.Increment(ref _connects);
                        await ProveAndRegisterAsync(accepted).ConfigureAwait(false);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _pendingAccepts);
                    }
                });
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task DialAsync(Candidate candidate)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        deadline.CancelAfter(_options.CandidateTimeout);
        if (!_key.IsInitiator && !await DelayAsync(_options.ResponderDialDelay, deadline.Token).ConfigureAwait(false))
        {
            return;
        }

        bool firstAttempt = true;
        while (!deadline.IsCancellationRequested && !_firstProven.Task.IsCompleted)
        {
            Socket socket;
            try
            {
                socket = ReusableSocket.Bind(_localBind);
            }
            catch (SocketException)
            {
                return;
            }

            try
            {
                bool lowTtl = firstAttempt && candidate.Type == CandidateType.ServerReflexive && _options.FirstSynTtl > 0;
                firstAttempt = false;
                await ConnectAsync(socket, candidate.EndPoint, lowTtl, deadline.Token).ConfigureAwait(false);
                Interlocked.Increment(ref _connects);
                await ProveAndRegisterAsync(socket).ConfigureAwait(false);
                return; // proven or not, this address answered: no point dialing it again
            }
            catch (OperationCanceledException)
            {
                socket.Dispose();
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AddressNotAvailable)
            {
                socket.Dispose();
                return; // this 4-tuple already exists: the peer's dial reached our listener
            }
            catch (SocketException)
            {
                socket.Dispose();
            }

            if (!await DelayAsync(_options.RetryDelay, deadline.Token).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>False when <paramref name="token"/> ended the wait.</summary>
    private static async Task<bool> DelayAsync(TimeSpan delay, CancellationToken token)
    {
        try
        {
            await Task.Delay(delay, token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Connects; with <paramref name="lowTtl"/> the first SYN leaves with a low TTL and the socket
    /// ignores ICMP errors about packets whose TTL was below that (IP_MINTTL). Without the latter,
    /// a router answering the expired SYN with time-exceeded makes Linux abort the connect in
    /// SYN_SENT (tcp_v4_err checks the quoted packet's TTL against min_ttl before that branch), so
    /// the kernel's retransmission at the normal TTL — the one that meets the peer's SYN — never
    /// leaves. Measured in the NAT lab: without it 0/10 direct through RST NATs, with it 10/10.
    /// </summary>
    private async Task ConnectAsync(Socket socket, IPEndPoint remote, bool lowTtl, CancellationToken token)
    {
        short normalTtl = socket.Ttl;
        if (lowTtl)
        {
            socket.Ttl = (short)_options.FirstSynTtl;
            SetMinTtl(socket, _options.FirstSynTtl);
        }

        Task connect = socket.ConnectAsync(remote, token).AsTask();
        if (lowTtl)
        {
            await Task.WhenAny(connect, Task.Delay(_options.LowTtlHold, token)).ConfigureAwait(false);
            if (!connect.IsCompleted)
            {
                socket.Ttl = normalTtl; // the kernel's retransmission goes out at the normal TTL
            }
        }

        await connect.ConfigureAwait(false);
        if (lowTtl)
        {
            socket.Ttl = normalTtl;
            SetMinTtl(socket, 0);
        }
    }

    /// <summary>IP_MINTTL (IPv4, 21) or IPV6_MINHOPCOUNT (73) on Linux; elsewhere nothing.</summary>
    private static void SetMinTtl(Socket socket, int minimum)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            if (socket.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.SetRawSocketOption(41, 73, BitConverter.GetBytes(minimum));
            }
            else
            {
                socket.SetRawSocketOption(0, 21, BitConverter.GetBytes(minimum));
            }
        }
        catch (SocketException)
        {
            // An older kernel without the option: the trick then needs a silent router.
        }
    }

    private async Task ProveAndRegisterAsync(Socket socket)
    {
        DirectConnection? connection;
        try
        {
            connection = await DirectConnection.ProveAsync(socket, _key, _options.ProofTimeout, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            socket.Dispose();
            return;
        }

        if (connection is null)
        {
            return;
        }

        _proven[Convert.ToHexString(connection.Id)] = connection;
        _firstProven.TrySetResult(connection);
        Interlocked.Exchange(ref _registered, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        if (Volatile.Read(ref _stopped) == 1 && _proven.TryRemove(Convert.ToHexString(connection.Id), out DirectConnection? late))
        {
            await late.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops accepting and dialing and closes every connection nobody took.</summary>
    public async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _stopped, 1);
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        try
        {
            await Task.WhenAll(_tasks).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Each dial and the accept loop end on cancellation; nothing to report here.
        }

        foreach (string id in _proven.Keys)
        {
            if (_proven.TryRemove(id, out DirectConnection? c))
            {
                await c.DisposeAsync().ConfigureAwait(false);
            }
        }

        _stop.Dispose();
    }
}
