// DESIGN.md §9.4: a direct TCP connection counts only after both ends proved the session's
// direct-path key with opposite roles. ProveAsync returns null (never throws) for a wrong peer,
// a reflection or a silent/garbage peer, within its timeout; only the caller's cancellation throws.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tallow.Net.Direct;
using Tallow.Wire;

namespace Tallow.Tests.Net;

public class DirectConnectionTests
{
    private static readonly TimeSpan ProofTimeout = TimeSpan.FromSeconds(1);

    private static async Task<(DirectConnection? A, DirectConnection? B)> ProveBothAsync(byte[] keyA, bool initiatorA, byte[] keyB, bool initiatorB)
    {
        (Socket a, Socket b) = await DirectTestKit.ConnectedPairAsync();
        using var ka = new DirectPathKey(keyA, initiatorA);
        using var kb = new DirectPathKey(keyB, initiatorB);
        Task<DirectConnection?> ta = DirectConnection.ProveAsync(a, ka, ProofTimeout, CancellationToken.None);
        Task<DirectConnection?> tb = DirectConnection.ProveAsync(b, kb, ProofTimeout, CancellationToken.None);
        return (await ta.WaitAsync(TimeSpan.FromSeconds(10)), await tb.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Same_key_and_opposite_roles_prove_one_connection_named_by_the_initiators_nonce()
    {
        byte[] key = DirectTestKit.RandomKey();
        (DirectConnection? i, DirectConnection? r) = await ProveBothAsync(key, true, key, false);
        Assert.NotNull(i);
        Assert.NotNull(r);
        await using (i)
        await using (r)
        {
            Assert.Equal(DirectHelloMessage.NonceSize, i!.Id.Length);
            Assert.Equal(i.Id, r!.Id);
            Assert.Equal(IPAddress.Loopback, i.RemoteEndPoint.Address);
            Assert.Equal(IPAddress.Loopback, r.RemoteEndPoint.Address);

            // The connection stays usable after the proof: a frame written on one side arrives on the other.
            await i.Stream.WriteAsync(Frame.Encode(FrameType.Ping, [7]));
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            FrameReadResult read = await r.Reader.ReadAsync(Frame.MaxUnpairedLength, cts.Token);
            Assert.True(read.IsFrame);
            Assert.Equal(FrameType.Ping, read.Type);
            Assert.Equal(new byte[] { 7 }, r.Reader.CurrentPayload.ToArray());
        }
    }

    [Fact]
    public async Task Two_connections_get_different_ids()
    {
        byte[] key = DirectTestKit.RandomKey();
        (DirectConnection? i1, DirectConnection? r1) = await ProveBothAsync(key, true, key, false);
        (DirectConnection? i2, DirectConnection? r2) = await ProveBothAsync(key, true, key, false);
        await using (i1)
        await using (r1)
        await using (i2)
        await using (r2)
        {
            Assert.NotEqual(i1!.Id, i2!.Id);
        }
    }

    [Fact]
    public async Task A_wrong_key_proves_nothing_on_either_side()
    {
        (DirectConnection? a, DirectConnection? b) = await ProveBothAsync(DirectTestKit.RandomKey(), true, DirectTestKit.RandomKey(), false);
        Assert.Null(a);
        Assert.Null(b);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_same_role_on_both_ends_proves_nothing(bool initiator)
    {
        byte[] key = DirectTestKit.RandomKey();
        (DirectConnection? a, DirectConnection? b) = await ProveBothAsync(key, initiator, key, initiator);
        Assert.Null(a);
        Assert.Null(b);
    }

    [Fact]
    public async Task A_self_connected_socket_is_refused()
    {
        // TCP self-connect: a socket bound to P dialing P (what a dial of our own host candidate
        // through our own listener port can produce). It reads its own hello back.
        using Socket socket = ReusableSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await socket.ConnectAsync(socket.LocalEndPoint!, cts.Token);
        Assert.Equal(socket.LocalEndPoint, socket.RemoteEndPoint);

        using var key = new DirectPathKey(DirectTestKit.RandomKey(), isInitiator: true);
        DirectConnection? c = await DirectConnection.ProveAsync(socket, key, ProofTimeout, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(c);
    }

    [Fact]
    public async Task A_peer_that_echoes_our_frames_back_is_refused()
    {
        (Socket a, Socket b) = await DirectTestKit.ConnectedPairAsync();
        using var echo = b;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Task echoing = Task.Run(async () =>
        {
            byte[] buffer = new byte[4096];
            try
            {
                int n;
                while ((n = await b.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
                {
                    await b.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, cts.Token);
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        });

        using var key = new DirectPathKey(DirectTestKit.RandomKey(), isInitiator: false);
        DirectConnection? c = await DirectConnection.ProveAsync(a, key, ProofTimeout, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(c);
        await cts.CancelAsync();
        await echoing.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public static TheoryData<string> Misbehaviours() => ["silent", "garbage", "oversized", "hello then silent", "hello then wrong proof", "closes", "resets", "hello wrong role byte"];

    [Theory]
    [MemberData(nameof(Misbehaviours))]
    public async Task A_misbehaving_peer_yields_null_within_the_timeout(string behaviour)
    {
        (Socket a, Socket b) = await DirectTestKit.ConnectedPairAsync();
        using var peer = b;
        using var key = new DirectPathKey(DirectTestKit.RandomKey(), isInitiator: true);
        var clock = Stopwatch.StartNew();
        Task<DirectConnection?> prove = DirectConnection.ProveAsync(a, key, ProofTimeout, CancellationToken.None);

        byte[] hello = new byte[DirectHelloMessage.Size];
        new DirectHelloMessage(DirectPathKey.ResponderRole, DirectPathKey.NewNonce()).Write(hello);
        switch (behaviour)
        {
            case "silent":
                break;
            case "garbage":
                await peer.SendAsync(new byte[] { 0xde, 0xad, 0xbe, 0xef, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 });
                break;
            case "oversized":
                byte[] big = new byte[Frame.HeaderSize];
                Frame.WriteHeader(big, FrameType.DirectHello, 100_000);
                await peer.SendAsync(big);
                break;
            case "hello then silent":
                await peer.SendAsync(Frame.Encode(FrameType.DirectHello, hello));
                break;
            case "hello then wrong proof":
                await peer.SendAsync(Frame.Encode(FrameType.DirectHello, hello));
                await peer.SendAsync(Frame.Encode(FrameType.DirectProof, new byte[PathMessages.MacSize]));
                break;
            case "closes":
                peer.Shutdown(SocketShutdown.Both);
                peer.Close();
                break;
            case "resets":
                peer.LingerState = new LingerOption(true, 0);
                peer.Close();
                break;
            case "hello wrong role byte":
                hello[0] = 2;
                await peer.SendAsync(Frame.Encode(FrameType.DirectHello, hello));
                break;
        }

        DirectConnection? c = await prove.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(c);
        Assert.True(clock.Elapsed < ProofTimeout + TimeSpan.FromSeconds(1.5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task The_socket_is_closed_when_the_proof_fails()
    {
        (Socket a, Socket b) = await DirectTestKit.ConnectedPairAsync();
        using var peer = b;
        using var key = new DirectPathKey(DirectTestKit.RandomKey(), isInitiator: true);
        await peer.SendAsync(Frame.Encode(FrameType.DirectProof, new byte[PathMessages.MacSize])); // proof before hello
        Assert.Null(await DirectConnection.ProveAsync(a, key, ProofTimeout, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));

        // The peer reads our hello and then the end of the stream.
        byte[] buffer = new byte[256];
        int total = 0;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (true)
        {
            int n;
            try
            {
                n = await peer.ReceiveAsync(buffer.AsMemory(total), SocketFlags.None, cts.Token);
            }
            catch (SocketException)
            {
                break; // reset: closed as well
            }

            if (n == 0)
            {
                break;
            }

            total += n;
        }

        Assert.False(cts.IsCancellationRequested);
    }

    [Fact]
    public async Task Caller_cancellation_throws()
    {
        (Socket a, Socket b) = await DirectTestKit.ConnectedPairAsync();
        using var peer = b;
        using var key = new DirectPathKey(DirectTestKit.RandomKey(), isInitiator: true);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => DirectConnection.ProveAsync(a, key, TimeSpan.FromSeconds(30), cts.Token).WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
