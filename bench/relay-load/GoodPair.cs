// One well-behaved session through the relay: the creator allocates a room, the joiner claims
// it, both wait for Paired (setup time), then — after a start signal shared by every pair — each
// side sends Bytes and reads the partner's Bytes through the splice, checking the pattern.
// Creator and joiner may each connect from a given loopback source address (relay-load hold).
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tallow.Net;

namespace Tallow.Bench.RelayLoad;

internal sealed class GoodPair
{
    private const int ChunkSize = 64 * 1024;
    private RelayConnection? _creator;
    private RelayConnection? _joiner;

    public TimeSpan SetupTime { get; private set; }

    public string? Failure { get; private set; }

    public long BytesReceived { get; private set; }

    /// <summary>Connects both sides and pairs them; each side from its own source address when given (else the default route).</summary>
    public async Task<bool> SetUpAsync(string host, int port, IPAddress? creatorSource, IPAddress? joinerSource, CancellationToken token)
    {
        var stopwatch = Stopwatch.StartNew();
        try
        {
            _creator = await ConnectAsync(host, port, creatorSource, token).ConfigureAwait(false);
            uint nameplate = await _creator.AllocateAsync(0, token).ConfigureAwait(false);
            _joiner = await ConnectAsync(host, port, joinerSource, token).ConfigureAwait(false);
            await _joiner.ClaimAsync(nameplate, token).ConfigureAwait(false);
            await Task.WhenAll(_creator.WaitForPeerAsync(token), _joiner.WaitForPeerAsync(token)).ConfigureAwait(false);
            SetupTime = stopwatch.Elapsed;
            return true;
        }
        catch (Exception e) when (e is RelayException or IOException or SocketException or OperationCanceledException)
        {
            Failure = "setup: " + e.Message;
            await DisposeAsync().ConfigureAwait(false);
            return false;
        }
    }

    private static Task<RelayConnection> ConnectAsync(string host, int port, IPAddress? source, CancellationToken token)
    {
        var socket = source is null
            ? new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true }
            : new Socket(source.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (source is not null)
            {
                socket.Bind(new IPEndPoint(source, 0));
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return RelayConnection.ConnectAsync(socket, host, port, null, TimeSpan.FromSeconds(30), token);
    }

    public async Task<bool> TransferAsync(long bytes, bool oneWay, CancellationToken token)
    {
        try
        {
            // One way: only the creator sends (like a file transfer); both ways: each side sends Bytes.
            long back = oneWay ? 0 : bytes;
            Task<long>[] work =
            [
                SendAsync(_creator!.Stream, bytes, 1, token), SendAsync(_joiner!.Stream, back, 2, token),
                ReceiveAsync(_creator.Stream, back, 2, token), ReceiveAsync(_joiner.Stream, bytes, 1, token),
            ];
            long[] done = await Task.WhenAll(work).ConfigureAwait(false);
            BytesReceived = done[2] + done[3];
            return true;
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or InvalidDataException)
        {
            Failure = "transfer: " + e.Message;
            return false;
        }
        finally
        {
            await DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<long> SendAsync(Stream stream, long bytes, byte seed, CancellationToken token)
    {
        byte[] chunk = new byte[ChunkSize];
        Array.Fill(chunk, seed);
        long sent = 0;
        while (sent < bytes)
        {
            int n = (int)Math.Min(chunk.Length, bytes - sent);
            await stream.WriteAsync(chunk.AsMemory(0, n), token).ConfigureAwait(false);
            sent += n;
        }

        return 0;
    }

    private static async Task<long> ReceiveAsync(Stream stream, long bytes, byte expected, CancellationToken token)
    {
        byte[] buffer = new byte[ChunkSize];
        long received = 0;
        while (received < bytes)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, bytes - received)), token).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException($"the stream ended after {received} of {bytes} bytes");
            }

            if (buffer.AsSpan(0, n).ContainsAnyExcept(expected))
            {
                throw new InvalidDataException("the partner's bytes arrived altered");
            }

            received += n;
        }

        return received;
    }

    private async Task DisposeAsync()
    {
        if (_creator is not null)
        {
            await _creator.DisposeAsync().ConfigureAwait(false);
        }

        if (_joiner is not null)
        {
            await _joiner.DisposeAsync().ConfigureAwait(false);
        }
    }
}
