// The "hold" attacker (relay-load hold): from ONE source address it takes and keeps as much of
// the relay as it can get — each new connection opens a room and waits in it, and when the relay
// refuses more waiting rooms the next connection claims one of the attacker's own rooms instead,
// so it holds paired rooms too — while a second address scans nameplates with claims. Nothing is
// given back until the attack ends. Refusals are counted by error code; the relay closes every
// refused connection itself.
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Tallow.Net;
using Tallow.Wire;

namespace Tallow.Bench.RelayLoad;

internal sealed class Holder
{
    // Safety bounds; the attack normally ends by cancellation long before.
    private const int MaxAttempts = 1_000_000;
    private const uint ScanRange = 2000;

    private readonly IPEndPoint _relay;
    private readonly IPAddress _holdFrom;
    private readonly IPAddress _scanFrom;
    private readonly ConcurrentBag<RelayConnection> _held = [];
    private readonly ConcurrentQueue<uint> _ownWaiting = new();
    private readonly ConcurrentDictionary<string, int> _refusals = new();
    private readonly ConcurrentDictionary<string, int> _scans = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private int _heldConnections;
    private int _peakConnections;
    private int _waitingRooms;
    private int _pairedRooms;
    private double _peakAt;
    private volatile bool _roomsRefused;

    public Holder(IPEndPoint relay, IPAddress holdFrom, IPAddress scanFrom)
    {
        _relay = relay;
        _holdFrom = holdFrom;
        _scanFrom = scanFrom;
    }

    public int HeldConnections => Volatile.Read(ref _heldConnections);

    public override string ToString() =>
        $"holder {_holdFrom}: holds {HeldConnections} connections ({_waitingRooms} waiting rooms, {_pairedRooms} paired rooms), peak {_peakConnections} reached after {_peakAt:0.0} s; "
        + $"refusals: {Describe(_refusals)}\n  scanner {_scanFrom}: claims {Describe(_scans)}";

    /// <summary>Runs <paramref name="workers"/> holding loops and one scanning loop until <paramref name="token"/> ends.</summary>
    public async Task RunAsync(int workers, CancellationToken token)
    {
        try
        {
            await Task.WhenAll([.. Enumerable.Range(0, workers).Select(_ => Task.Run(() => HoldAsync(token), CancellationToken.None)), Task.Run(() => ScanAsync(token), CancellationToken.None)]).ConfigureAwait(false);
        }
        finally
        {
            foreach (RelayConnection connection in _held)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task HoldAsync(CancellationToken token)
    {
        for (int i = 0; i < MaxAttempts && !token.IsCancellationRequested; i++)
        {
            RelayConnection? connection = null;
            try
            {
                connection = await ConnectAsync(_holdFrom, token).ConfigureAwait(false);
                if (_roomsRefused && _ownWaiting.TryDequeue(out uint nameplate))
                {
                    await connection.ClaimAsync(nameplate, token).ConfigureAwait(false);
                    Interlocked.Decrement(ref _waitingRooms);
                    Interlocked.Increment(ref _pairedRooms);
                    _roomsRefused = false;
                }
                else
                {
                    _ownWaiting.Enqueue(await connection.AllocateAsync(0, token).ConfigureAwait(false));
                    Interlocked.Increment(ref _waitingRooms);
                }

                Keep(connection);
                connection = null;
            }
            catch (RelayException e)
            {
                _refusals.AddOrUpdate(Label(e), 1, (_, n) => n + 1);
                _roomsRefused |= e.Code == RelayErrorCode.TooManyRooms;
                await PauseAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                _refusals.AddOrUpdate(e.GetType().Name, 1, (_, n) => n + 1);
                await PauseAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            finally
            {
                if (connection is not null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Claims random nameplates (never its own rooms) five times a second; a claim that pairs is dropped at once.</summary>
    private async Task ScanAsync(CancellationToken token)
    {
        var random = new Random(7);
        for (int i = 0; i < MaxAttempts && !token.IsCancellationRequested; i++)
        {
            try
            {
                await Task.Delay(200, token).ConfigureAwait(false);
                await using RelayConnection connection = await ConnectAsync(_scanFrom, token).ConfigureAwait(false);
                uint nameplate = (uint)random.Next(1, (int)ScanRange + 1);
                await connection.ClaimAsync(nameplate, token).ConfigureAwait(false);
                _scans.AddOrUpdate("paired (a room taken)", 1, (_, n) => n + 1);
            }
            catch (RelayException e)
            {
                _scans.AddOrUpdate(Label(e), 1, (_, n) => n + 1);
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                _scans.AddOrUpdate(e.GetType().Name, 1, (_, n) => n + 1);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private void Keep(RelayConnection connection)
    {
        _held.Add(connection);
        int held = Interlocked.Increment(ref _heldConnections);
        if (held > Volatile.Read(ref _peakConnections))
        {
            Volatile.Write(ref _peakConnections, held);
            _peakAt = _clock.Elapsed.TotalSeconds;
        }
    }

    private async Task<RelayConnection> ConnectAsync(IPAddress source, CancellationToken token)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(source, 0));
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return await RelayConnection.ConnectAsync(socket, _relay.Address.ToString(), _relay.Port, null, TimeSpan.FromSeconds(10), token).ConfigureAwait(false);
    }

    private static async Task PauseAsync(CancellationToken token)
    {
        try
        {
            await Task.Delay(50, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the attack is over; the loop ends on the token
        }
    }

    /// <summary>The error code, and which limit it came from when the relay's text says (v1 relays say less).</summary>
    private static string Label(RelayException e)
    {
        if (e.Code is not RelayErrorCode code)
        {
            return e.Kind.ToString();
        }

        string limit = e.Message.Contains("failed claims", StringComparison.Ordinal) ? " (claims blocked)"
            : e.Message.Contains("new connections from your address", StringComparison.Ordinal) ? " (connection rate)"
            : e.Message.Contains("your address", StringComparison.Ordinal) ? " (per address)"
            : string.Empty;
        return code + limit;
    }

    private static string Describe(ConcurrentDictionary<string, int> counts) =>
        counts.IsEmpty ? "none" : string.Join(", ", counts.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value}"));
}
