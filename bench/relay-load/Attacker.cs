// Hostile clients for the abuse mode: malformed frames, oversized length prefixes, half-open
// connections that never speak, and random bytes — from many source addresses (127.0.3.x) so
// the attack is not limited by ephemeral ports. Each worker loops until the attack ends.
using System.Net;
using System.Net.Sockets;
using Tallow.Wire;

namespace Tallow.Bench.RelayLoad;

internal sealed class Attacker
{
    // Safety bound per worker; the attack normally ends by cancellation long before.
    private const int MaxIterations = 1_000_000;

    private readonly IPEndPoint _relay;
    private long _malformed;
    private long _oversized;
    private long _halfOpen;
    private long _random;
    private long _connectFailures;

    public Attacker(IPEndPoint relay) => _relay = relay;

    public long Connections => Interlocked.Read(ref _malformed) + Interlocked.Read(ref _oversized) + Interlocked.Read(ref _halfOpen) + Interlocked.Read(ref _random);

    public override string ToString() =>
        $"malformed {_malformed}, oversized-length {_oversized}, half-open {_halfOpen}, random-bytes {_random} connections; {_connectFailures} connects failed";

    /// <summary>One worker: kind = index % 4; half-open workers each hold <paramref name="holdPerWorker"/> silent connections.</summary>
    public async Task RunWorkerAsync(int index, int holdPerWorker, CancellationToken token)
    {
        var source = new IPEndPoint(new IPAddress([127, 0, 3, (byte)(1 + index % 250)]), 0);
        var random = new Random(index);
        if (index % 4 == 2)
        {
            await HoldHalfOpenAsync(source, holdPerWorker, token).ConfigureAwait(false);
            return;
        }

        for (int i = 0; i < MaxIterations && !token.IsCancellationRequested; i++)
        {
            try
            {
                using Socket socket = await ConnectAsync(source, token).ConfigureAwait(false);
                byte[] payload = (index % 4) switch
                {
                    0 => Malformed(random, ref _malformed),
                    1 => Oversized(random, ref _oversized),
                    _ => RandomBytes(random, ref _random),
                };
                await socket.SendAsync(payload, SocketFlags.None, token).ConfigureAwait(false);
                await DrainUntilClosedAsync(socket, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (SocketException)
            {
                Interlocked.Increment(ref _connectFailures);
                await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private async Task HoldHalfOpenAsync(IPEndPoint source, int count, CancellationToken token)
    {
        var held = new List<Socket>(count);
        try
        {
            // Keep `count` silent connections open; replace those the relay times out.
            for (int round = 0; round < MaxIterations && !token.IsCancellationRequested; round++)
            {
                held.RemoveAll(s =>
                {
                    bool closed = s.Poll(0, SelectMode.SelectRead) && s.Available == 0;
                    if (closed)
                    {
                        s.Dispose();
                    }

                    return closed;
                });
                while (held.Count < count && !token.IsCancellationRequested)
                {
                    try
                    {
                        held.Add(await ConnectAsync(source, token).ConfigureAwait(false));
                        Interlocked.Increment(ref _halfOpen);
                    }
                    catch (SocketException)
                    {
                        Interlocked.Increment(ref _connectFailures);
                        break;
                    }
                }

                await Task.Delay(250, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // the attack is over
        }
        finally
        {
            foreach (Socket s in held)
            {
                s.Dispose();
            }
        }
    }

    private async Task<Socket> ConnectAsync(IPEndPoint source, CancellationToken token)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(source);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await socket.ConnectAsync(_relay, timeout.Token).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task DrainUntilClosedAsync(Socket socket, CancellationToken token)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        byte[] sink = new byte[4096];
        try
        {
            for (int i = 0; i < 64 && await socket.ReceiveAsync(sink, SocketFlags.None, timeout.Token).ConfigureAwait(false) > 0; i++)
            {
            }
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            // the relay kept it open for 5 s: move on
        }
    }

    /// <summary>A valid header whose type or payload is wrong: unknown type, short Hello, Claim before Hello, Paired from a client.</summary>
    private static byte[] Malformed(Random random, ref long counter)
    {
        Interlocked.Increment(ref counter);
        byte[] payload = new byte[random.Next(0, 64)];
        random.NextBytes(payload);
        FrameType type = random.Next(4) switch
        {
            0 => (FrameType)0xEE,
            1 => FrameType.Hello,
            2 => FrameType.Claim,
            _ => FrameType.Paired,
        };
        return Frame.Encode(type, payload);
    }

    /// <summary>A header announcing up to 4 GiB followed by a little garbage.</summary>
    private static byte[] Oversized(Random random, ref long counter)
    {
        Interlocked.Increment(ref counter);
        byte[] bytes = new byte[Frame.HeaderSize + 32];
        random.NextBytes(bytes);
        uint length = (uint)random.NextInt64(Frame.MaxUnpairedLength + 1, uint.MaxValue);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, length);
        bytes[4] = (byte)FrameType.Hello;
        return bytes;
    }

    private static byte[] RandomBytes(Random random, ref long counter)
    {
        Interlocked.Increment(ref counter);
        byte[] bytes = new byte[random.Next(1, 8192)];
        random.NextBytes(bytes);
        return bytes;
    }
}
