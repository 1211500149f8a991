// A frame-aware man in the middle for in-process tests: initiator ⇄ [interceptor] ⇄ responder,
// each leg a real loopback TCP connection. A transform may rewrite or drop any frame.
using System.Net.Sockets;
using Tallow.Wire;

namespace Tallow.Tests.Protocol;

internal sealed class Interceptor : IAsyncDisposable
{
    /// <summary>Rewrites a whole frame (header included); return null to drop it.</summary>
    public delegate byte[]? Transform(bool towardsResponder, int index, byte[] frame);

    private readonly SocketPair _left;   // A = initiator's end, B = interceptor
    private readonly SocketPair _right;  // A = interceptor, B = responder's end
    private readonly Task _pumps;

    private Interceptor(SocketPair left, SocketPair right, Transform transform)
    {
        _left = left;
        _right = right;
        _pumps = Task.WhenAll(
            PumpAsync(left.ReaderB, right.A, right.SocketA, towardsResponder: true, transform),
            PumpAsync(right.ReaderA, left.B, left.SocketB, towardsResponder: false, transform));
    }

    public Stream InitiatorStream => _left.A;

    public FrameReader InitiatorReader => _left.ReaderA;

    public Stream ResponderStream => _right.B;

    public FrameReader ResponderReader => _right.ReaderB;

    public static async Task<Interceptor> StartAsync(Transform transform)
    {
        SocketPair left = await SocketPair.ConnectAsync();
        SocketPair right = await SocketPair.ConnectAsync();
        return new Interceptor(left, right, transform);
    }

    private static async Task PumpAsync(FrameReader from, Stream to, Socket toSocket, bool towardsResponder, Transform transform)
    {
        try
        {
            for (int index = 0; ; index++)
            {
                FrameReadResult result = await from.ReadAsync(Frame.MaxLength, CancellationToken.None);
                if (!result.IsFrame)
                {
                    break;
                }

                byte[]? frame = transform(towardsResponder, index, from.CurrentFrame.ToArray());
                if (frame is not null)
                {
                    await to.WriteAsync(frame);
                }
            }

            toSocket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // One side went away; the test observes the ends, not the middle.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _left.A.DisposeAsync();
        await _left.B.DisposeAsync();
        await _right.A.DisposeAsync();
        await _right.B.DisposeAsync();
        await _pumps.WaitAsync(TimeSpan.FromSeconds(5));
        await _left.DisposeAsync();
        await _right.DisposeAsync();
    }
}
