// SplicePipe on real loopback sockets (Linux): bytes move socket → pipe → socket verbatim, an
// empty source reports WouldBlock and a closed one EndOfStream, a full pipe grows to the bulk size,
// and only an empty pipe goes back to the pool (one holding bytes is closed). The user-space
// fallback (no pipe could be made; bytes read past the control phase) keeps the same contract.
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Tallow.Relay;

namespace Tallow.Tests.Relay;

public class SplicePipeTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Bytes_move_verbatim_and_a_full_pipe_grows_to_the_bulk_size(bool kernelPipe)
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // splice(2) is Linux only; other systems use the copy path
        }

        CancellationToken token = RelayTestKit.Deadline(30);
        using Legs legs = await Legs.ConnectAsync();
        (Socket sender, Socket relayIn, Socket relayOut, Socket receiver) = (legs.Sender, legs.RelayIn, legs.RelayOut, legs.Receiver);
        Assert.True(SplicePipe.IsNonBlocking(relayIn) && SplicePipe.IsNonBlocking(relayOut));

        SplicePipe pipe = kernelPipe ? SplicePipe.Rent() : SplicePipe.Fallback();
        Assert.Equal(kernelPipe, pipe.IsKernelPipe);
        Assert.Equal(SplicePipe.WouldBlock, pipe.Fill(relayIn.SafeHandle));

        byte[] data = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        Task send = sender.SendAsync(data, SocketFlags.None, token).AsTask();
        byte[] got = new byte[data.Length];
        Task receive = ReceiveExactlyAsync(receiver, got, token);
        long moved = 0;
        int start = pipe.Capacity;
        while (moved < data.Length && !token.IsCancellationRequested)
        {
            long filled = pipe.Fill(relayIn.SafeHandle);
            Assert.NotEqual(SplicePipe.EndOfStream, filled);
            while (pipe.Buffered > 0)
            {
                long drained = pipe.Drain(relayOut.SafeHandle);
                moved += Math.Max(0, drained);
                if (drained == SplicePipe.WouldBlock)
                {
                    await Task.Delay(1, token);
                }
            }

            if (filled == SplicePipe.WouldBlock)
            {
                await Task.Delay(1, token);
            }
        }

        await Task.WhenAll(send, receive);
        Assert.Equal(data, got);
        Assert.True(!kernelPipe || pipe.Capacity >= SplicePipe.BulkCapacity || SplicePipe.GrownBytes + SplicePipe.BulkCapacity > SplicePipe.GrownBudget,
            $"the pipe stayed at {pipe.Capacity} bytes (started at {start})");
        Assert.True(kernelPipe || pipe.Capacity <= SplicePipe.FallbackCapacity, "the fallback buffer does not grow");

        sender.Shutdown(SocketShutdown.Send);
        await RelayTestKit.EventuallyAsync(() => pipe.Fill(relayIn.SafeHandle) == SplicePipe.EndOfStream, token, "EOF through the pipe");
        pipe.Release();
    }

    [Fact]
    public async Task A_buffer_holding_bytes_read_past_the_control_phase_drains_them_verbatim_and_then_reads_on()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        CancellationToken token = RelayTestKit.Deadline(30);
        using Legs legs = await Legs.ConnectAsync();
        (Socket sender, Socket relayIn, Socket relayOut, Socket receiver) = (legs.Sender, legs.RelayIn, legs.RelayOut, legs.Receiver);
        byte[] early = RandomNumberGenerator.GetBytes(1500);
        SplicePipe held = SplicePipe.Holding(early);
        Assert.False(held.IsKernelPipe);
        Assert.Equal(early.Length, held.Buffered);
        while (held.Buffered > 0)
        {
            Assert.True(held.Drain(relayOut.SafeHandle) > 0);
        }

        byte[] got = new byte[early.Length + 10];
        await sender.SendAsync(early.AsMemory(0, 10), SocketFlags.None, token); // what follows, read into the same buffer
        await RelayTestKit.EventuallyAsync(() => held.Fill(relayIn.SafeHandle) > 0, token, "bytes after the held ones");
        Assert.Equal(10, held.Buffered);
        Assert.Equal(10, held.Drain(relayOut.SafeHandle));
        held.Release();
        await ReceiveExactlyAsync(receiver, got, token);
        Assert.Equal([.. early, .. early.AsSpan(0, 10)], got);
    }

    private static async Task ReceiveExactlyAsync(Socket socket, byte[] buffer, CancellationToken token)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = await socket.ReceiveAsync(buffer.AsMemory(total), SocketFlags.None, token);
            Assert.True(read > 0, "the stream ended early");
            total += read;
        }
    }

    /// <summary>Sender → relayIn and relayOut → receiver on loopback; the relay's ends are non-blocking, as .NET makes them for async I/O (splice must never block).</summary>
    private sealed class Legs : IDisposable
    {
        public required Socket Sender { get; init; }

        public required Socket RelayIn { get; init; }

        public required Socket RelayOut { get; init; }

        public required Socket Receiver { get; init; }

        public static async Task<Legs> ConnectAsync()
        {
            (Socket sender, Socket relayIn) = await ConnectedPairAsync();
            (Socket relayOut, Socket receiver) = await ConnectedPairAsync();
            relayIn.Blocking = false;
            relayOut.Blocking = false;
            return new Legs { Sender = sender, RelayIn = relayIn, RelayOut = relayOut, Receiver = receiver };
        }

        public void Dispose()
        {
            Sender.Dispose();
            RelayIn.Dispose();
            RelayOut.Dispose();
            Receiver.Dispose();
        }
    }

    private static async Task<(Socket Client, Socket Server)> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Task<Socket> accept = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!);
        return (client, await accept);
    }
}
