// Shared fixtures for in-process protocol tests: a connected TCP pair on 127.0.0.1, a real
// handshake between its ends, secure channels over it, and temp directories.
using System.Net;
using System.Net.Sockets;
using Tallow.Crypto;
using Tallow.Protocol.Handshake;
using Tallow.Protocol.Records;
using Tallow.Protocol.Session;
using Tallow.Wire;

namespace Tallow.Tests.Protocol;

/// <summary>Two ends of one loopback TCP connection, each with its own FrameReader.</summary>
internal sealed class SocketPair : IAsyncDisposable
{
    private SocketPair(Socket a, Socket b)
    {
        SocketA = a;
        SocketB = b;
        A = new NetworkStream(a, ownsSocket: true);
        B = new NetworkStream(b, ownsSocket: true);
        ReaderA = new FrameReader(A);
        ReaderB = new FrameReader(B);
    }

    public Socket SocketA { get; }

    public Socket SocketB { get; }

    public NetworkStream A { get; }

    public NetworkStream B { get; }

    public FrameReader ReaderA { get; }

    public FrameReader ReaderB { get; }

    public static async Task<SocketPair> ConnectAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Task connect = client.ConnectAsync(listener.LocalEndPoint!);
        Socket server = await listener.AcceptAsync();
        await connect;
        server.NoDelay = true;
        return new SocketPair(client, server);
    }

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        ReaderA.Dispose();
        ReaderB.Dispose();
    }
}

/// <summary>A socket pair after a successful handshake, with secure channels on both ends (A = initiator).</summary>
internal sealed class ChannelPair : IAsyncDisposable
{
    public const string Code = "7-amber-lunar-forge";
    public const uint Nameplate = 7;

    private ChannelPair(SocketPair sockets, SessionKeys initiatorKeys, SessionKeys responderKeys, SecureChannel initiator, SecureChannel responder)
    {
        Sockets = sockets;
        InitiatorKeys = initiatorKeys;
        ResponderKeys = responderKeys;
        Initiator = initiator;
        Responder = responder;
    }

    public SocketPair Sockets { get; }

    public SessionKeys InitiatorKeys { get; }

    public SessionKeys ResponderKeys { get; }

    public SecureChannel Initiator { get; }

    public SecureChannel Responder { get; }

    private RecordSession? _initiatorRecords;
    private RecordSession? _responderRecords;

    /// <summary>The initiator's record session (started on first use; then only its read loop reads <see cref="Initiator"/>).</summary>
    public RecordSession InitiatorRecords => _initiatorRecords ??= Started(Initiator);

    public RecordSession ResponderRecords => _responderRecords ??= Started(Responder);

    /// <summary>The initiator as a transfer's sender.</summary>
    public RecordPort SenderPort => InitiatorRecords.Port(RecordGroup.OutgoingTransfer);

    /// <summary>The responder as a transfer's receiver.</summary>
    public RecordPort ReceiverPort => ResponderRecords.Port(RecordGroup.IncomingTransfer);

    private static RecordSession Started(SecureChannel channel)
    {
        var session = new RecordSession(channel);
        session.Start();
        return session;
    }

    public static async Task<ChannelPair> CreateAsync(
        TimeSpan? initiatorKeepAlive = null,
        TimeSpan? responderReceiveTimeout = null,
        TimeSpan? initiatorReceiveTimeout = null,
        TimeProvider? time = null)
    {
        SocketPair sockets = await SocketPair.ConnectAsync();
        (SessionKeys i, SessionKeys r) = await HandshakeAsync(sockets);
        var initiator = new SecureChannel(sockets.A, sockets.ReaderA, i, isInitiator: true, initiatorKeepAlive, initiatorReceiveTimeout ?? TimeSpan.FromSeconds(20), time);
        var responder = new SecureChannel(sockets.B, sockets.ReaderB, r, isInitiator: false, initiatorKeepAlive, responderReceiveTimeout ?? TimeSpan.FromSeconds(20), time);
        return new ChannelPair(sockets, i, r, initiator, responder);
    }

    public static async Task<(SessionKeys Initiator, SessionKeys Responder)> HandshakeAsync(SocketPair sockets, string responderCode = Code)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Task<SessionKeys> i = PeerHandshake.RunAsync(sockets.A, sockets.ReaderA, true, Code, Nameplate, TimeSpan.FromSeconds(20), cts.Token);
        Task<SessionKeys> r = PeerHandshake.RunAsync(sockets.B, sockets.ReaderB, false, responderCode, Nameplate, TimeSpan.FromSeconds(20), cts.Token);
        return (await i, await r);
    }

    public async ValueTask DisposeAsync()
    {
        if (_initiatorRecords is not null)
        {
            await _initiatorRecords.DisposeAsync();
        }

        if (_responderRecords is not null)
        {
            await _responderRecords.DisposeAsync();
        }

        await Initiator.DisposeAsync();
        await Responder.DisposeAsync();
        InitiatorKeys.Dispose();
        ResponderKeys.Dispose();
        await Sockets.DisposeAsync();
    }
}

/// <summary>A fresh directory under the system temp folder, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("tallow-test-").FullName;
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

internal static class TaskTimeout
{
    /// <summary>Awaits the task but fails the test instead of hanging.</summary>
    public static async Task<T> WithTimeout<T>(this Task<T> task, int seconds = 30)
    {
        Task winner = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(seconds)));
        Assert.True(winner == task, $"timed out after {seconds} s");
        return await task;
    }

    public static async Task WithTimeout(this Task task, int seconds = 30)
    {
        Task winner = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(seconds)));
        Assert.True(winner == task, $"timed out after {seconds} s");
        await task;
    }
}
