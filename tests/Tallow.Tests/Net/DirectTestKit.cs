// Fixtures for direct-path tests on 127.0.0.1: raw connected socket pairs, a pausable TCP forwarder
// (a "black hole" that keeps both connections open), a stream that taps what is written through
// it, and the same session keys the handshake derives.
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Tallow.Net.Direct;
using Tallow.Wire;

namespace Tallow.Tests.Net;

internal static class DirectTestKit
{
    /// <summary>Two connected loopback sockets (client, server).</summary>
    public static async Task<(Socket Client, Socket Server)> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Task connect = client.ConnectAsync(listener.LocalEndPoint!, cts.Token).AsTask();
        Socket server = await listener.AcceptAsync(cts.Token);
        await connect;
        server.NoDelay = true;
        return (client, server);
    }

    public static byte[] RandomKey() => RandomNumberGenerator.GetBytes(32);

    /// <summary>Proves both ends of a fresh pair (optionally through <paramref name="via"/>) with one key: (initiator, responder).</summary>
    public static async Task<(DirectConnection Initiator, DirectConnection Responder)> ProvenPairAsync(byte[] key, PausableForwarder? via = null)
    {
        (Socket a, Socket b) = via is null ? await ConnectedPairAsync() : await via.ConnectPairAsync();
        using var ki = new DirectPathKey(key, isInitiator: true);
        using var kr = new DirectPathKey(key, isInitiator: false);
        Task<DirectConnection?> i = DirectConnection.ProveAsync(a, ki, TimeSpan.FromSeconds(5), CancellationToken.None);
        Task<DirectConnection?> r = DirectConnection.ProveAsync(b, kr, TimeSpan.FromSeconds(5), CancellationToken.None);
        DirectConnection? ci = await i.WaitAsync(TimeSpan.FromSeconds(10));
        DirectConnection? cr = await r.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(ci);
        Assert.NotNull(cr);
        return (ci!, cr!);
    }

    /// <summary>Splits captured bytes into frames; fails if they do not end on a frame boundary.</summary>
    public static List<(FrameType Type, int PayloadLength)> Frames(ReadOnlySpan<byte> bytes)
    {
        var frames = new List<(FrameType, int)>();
        while (!bytes.IsEmpty)
        {
            FrameStatus status = Frame.TryParse(bytes, Frame.MaxLength, out FrameType type, out ReadOnlySpan<byte> payload, out int consumed);
            Assert.Equal(FrameStatus.Ok, status);
            frames.Add((type, payload.Length));
            bytes = bytes[consumed..];
        }

        return frames;
    }
}

/// <summary>Forwards bytes between two loopback connections; <see cref="Pause"/> stops forwarding without closing anything, <see cref="BytesPerSecond"/> slows it down.</summary>
internal sealed class PausableForwarder : IAsyncDisposable
{
    private readonly Socket _listenerFront;
    private readonly Socket _listenerBack;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _sockets = [];
    private readonly List<Task> _pumps = [];
    private volatile TaskCompletionSource _resumed = NewOpen();

    public PausableForwarder()
    {
        _listenerFront = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listenerFront.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listenerFront.Listen(4);
        _listenerBack = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listenerBack.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listenerBack.Listen(4);
    }

    public bool Paused { get; private set; }

    /// <summary>When set, each direction carries at most this many bytes per second (a slow link).</summary>
    public int? BytesPerSecond { get; set; }

    private static TaskCompletionSource NewOpen()
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        tcs.SetResult();
        return tcs;
    }

    /// <summary>Client end A ↔ forwarder ↔ client end B; returns (A, B).</summary>
    public async Task<(Socket A, Socket B)> ConnectPairAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var a = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Task ca = a.ConnectAsync(_listenerFront.LocalEndPoint!, cts.Token).AsTask();
        Socket frontInner = await _listenerFront.AcceptAsync(cts.Token);
        await ca;
        var backInner = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Task cb = backInner.ConnectAsync(_listenerBack.LocalEndPoint!, cts.Token).AsTask();
        Socket b = await _listenerBack.AcceptAsync(cts.Token);
        await cb;
        b.NoDelay = true;
        frontInner.NoDelay = true;
        lock (_sockets)
        {
            _sockets.AddRange([frontInner, backInner]);
        }

        _pumps.Add(Task.Run(() => PumpAsync(frontInner, backInner)));
        _pumps.Add(Task.Run(() => PumpAsync(backInner, frontInner)));
        return (a, b);
    }

    public void Pause()
    {
        Paused = true;
        _resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        byte[] buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                await _resumed.Task.WaitAsync(_stop.Token);
                int n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await _resumed.Task.WaitAsync(_stop.Token); // paused mid-way: hold these bytes too
                int sent = 0;
                while (sent < n)
                {
                    int slice = BytesPerSecond is int rate ? Math.Min(n - sent, Math.Max(1, rate / 20)) : n - sent;
                    sent += await to.SendAsync(buffer.AsMemory(sent, slice), SocketFlags.None, _stop.Token);
                    if (BytesPerSecond is not null)
                    {
                        await Task.Delay(50, _stop.Token);
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            try
            {
                to.LingerState = new LingerOption(true, 0);
                to.Dispose(); // propagate a reset
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _resumed.TrySetResult();
        _listenerFront.Dispose();
        _listenerBack.Dispose();
        lock (_sockets)
        {
            foreach (Socket s in _sockets)
            {
                s.Dispose();
            }
        }

        await Task.WhenAll(_pumps).WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}

/// <summary>Passes everything through and, while <see cref="Tapping"/>, keeps a copy of the bytes written.</summary>
internal sealed class TapStream(Stream inner) : Stream
{
    private readonly MemoryStream _tap = new();

    public volatile bool Tapping;

    public byte[] Tapped()
    {
        lock (_tap)
        {
            return _tap.ToArray();
        }
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken);
        if (Tapping)
        {
            lock (_tap)
            {
                _tap.Write(buffer.Span);
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();
}
