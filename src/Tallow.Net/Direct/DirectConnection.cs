// One TCP connection between the peers that is not the relay (DESIGN.md §9.3–9.4). It counts
// only after both sides proved the session's direct-path key on it (DirectProof), so a port
// scanner, a wrong peer or a self-connect through our own listener never carries a record.
// After the proof the same FrameReader keeps reading: it may already hold the peer's bytes.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tallow.Wire;

namespace Tallow.Net.Direct;

public sealed class DirectConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private int _disposed;

    private DirectConnection(Socket socket, ActivityStream stream, FrameReader reader, IPEndPoint remote, byte[] id, HandshakeRtt rtt)
    {
        Rtt = rtt;
        _socket = socket;
        Stream = stream;
        Reader = reader;
        RemoteEndPoint = remote;
        Id = id;
    }

    /// <summary>The peer's address on this connection (IPv4-mapped addresses unmapped).</summary>
    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>The initiator's hello nonce: how both sides name this connection in P2PSelect.</summary>
    public byte[] Id { get; }

    /// <summary>The round trip of the proof exchange and the kernel's view of it.</summary>
    public HandshakeRtt Rtt { get; }

    internal ActivityStream Stream { get; }

    internal FrameReader Reader { get; }

    /// <summary>
    /// Runs the proof exchange on a connected socket: both send DirectHello{role, nonce}, then
    /// DirectProof over both nonces. Returns null (socket closed) when the peer is not our
    /// session peer or is too slow. Never throws except on <paramref name="cancellationToken"/>.
    /// </summary>
    public static async Task<DirectConnection?> ProveAsync(Socket socket, DirectPathKey key, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var stream = new ActivityStream(new NetworkStream(socket, ownsSocket: true));
        var reader = new FrameReader(stream, 4096, ReadLowWater.For(socket));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            socket.NoDelay = true;
            IPEndPoint remote = Unmap((IPEndPoint)socket.RemoteEndPoint!);
            byte[] nonce = DirectPathKey.NewNonce();
            long helloSent = Stopwatch.GetTimestamp();
            byte[] hello = new byte[DirectHelloMessage.Size];
            new DirectHelloMessage(key.Role, nonce).Write(hello);
            await stream.WriteAsync(Frame.Encode(FrameType.DirectHello, hello), deadline.Token).ConfigureAwait(false);

            FrameReadResult result = await reader.ReadAsync(Frame.MaxUnpairedLength, deadline.Token).ConfigureAwait(false);
            if (!result.IsFrame || result.Type != FrameType.DirectHello
                || !DirectHelloMessage.TryParse(reader.CurrentPayload.Span, out DirectHelloMessage peer)
                || peer.Role == key.Role)
            {
                return await FailAsync(stream, reader).ConfigureAwait(false);
            }

            byte[] nonceI = key.IsInitiator ? nonce : peer.Nonce;
            byte[] nonceR = key.IsInitiator ? peer.Nonce : nonce;
            byte[] proof = key.Prove(key.Role, nonceI, nonceR);
            await stream.WriteAsync(Frame.Encode(FrameType.DirectProof, proof), deadline.Token).ConfigureAwait(false);

            result = await reader.ReadAsync(Frame.MaxUnpairedLength, deadline.Token).ConfigureAwait(false);
            if (!result.IsFrame || result.Type != FrameType.DirectProof
                || !key.Verify(peer.Role, nonceI, nonceR, reader.CurrentPayload.Span))
            {
                return await FailAsync(stream, reader).ConfigureAwait(false);
            }

            HandshakeRtt rtt = HandshakeRtt.Read(socket, Stopwatch.GetElapsedTime(helloSent));
            return new DirectConnection(socket, stream, reader, remote, nonceI, rtt);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return await FailAsync(stream, reader).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            return await FailAsync(stream, reader).ConfigureAwait(false);
        }
        catch
        {
            await FailAsync(stream, reader).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Bytes received and not yet read: the rest of a large frame trickling in (ReadLowWater).</summary>
    public int QueuedBytes => ReadLowWater.QueuedBytes(_socket);

    /// <summary>Half-closes: the peer reads an end of stream after our last frame.</summary>
    public void ShutdownSend()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Ends the connection at once (RST), which also fails any pending read or write on it.</summary>
    public void Abort()
    {
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        _socket.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await Stream.DisposeAsync().ConfigureAwait(false);
            Reader.Dispose();
        }
    }

    private static async Task<DirectConnection?> FailAsync(Stream stream, FrameReader reader)
    {
        await stream.DisposeAsync().ConfigureAwait(false);
        reader.Dispose();
        return null;
    }

    internal static IPEndPoint Unmap(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;
}
