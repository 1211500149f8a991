// SplicePipe on real loopback sockets (Linux): bytes move socket → pipe → socket verbatim, an
// empty source reports WouldBlock and a closed one EndOfStream, a full pipe grows to the bulk size,
// and only an empty pipe goes back to the pool (one holding bytes is closed).
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Tallow.Relay;

namespace Tallow.Tests.Relay;

public class SplicePipeTests
{
    [Fact]
    public async Task Bytes_move_verbatim_and_a_full_pipe_grows_to_the_bulk_size()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // splice(2) is Linux only; other systems use the copy path
        }

        CancellationToken token = RelayTestKit.Deadline(30);
        (Socket sender, Socket relayIn) = await ConnectedPairAsync();
        (Socket relayOut, Socket receiver) = await ConnectedPairAsync();
        using (sender)
        using (relayIn)
        using (relayOut)
        using (receiver)
        {
            // The relay's sockets are non-blocking (.NET makes them so for async I/O); splice must never block.
            relayIn.Blocking = false;
            relayOut.Blocking = false;
            Assert.True(SplicePipe.IsNonBlocking(relayIn) && SplicePipe.IsNonBlocking(relayOut));

            SplicePipe pipe = SplicePipe.Rent()!;
            Assert.NotNull(pipe);
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
            Assert.True(pipe.Capacity >= SplicePipe.BulkCapacity || SplicePipe.GrownBytes + SplicePipe.BulkCapacity > SplicePipe.GrownBudget,
                $"the pipe stayed at {pipe.Capacity} bytes (started at {start})");

            sender.Shutdown(SocketShutdown.Send);
            await RelayTestKit.EventuallyAsync(() => pipe.Fill(relayIn.SafeHandle) == SplicePipe.EndOfStream, token, "EOF through the pipe");
            pipe.Release();
        }
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
