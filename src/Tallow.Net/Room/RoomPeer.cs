// One pair of a chat room (protocol.md "Chat rooms"): the 1:1 handshake over a RoutedStream, its
// member ids bound into the CPace channel id, then the ordinary secure channel and record session
// (keep-alives, silence timeout, flow control, Leave) and RoomHello both ways. Everything a
// member's messages get — confidentiality, authenticity, order, exactly once — is this pair's.
using System.Diagnostics;
using Tallow.Crypto;
using Tallow.Protocol;
using Tallow.Protocol.Chat;
using Tallow.Protocol.Handshake;
using Tallow.Protocol.Records;
using Tallow.Protocol.Session;
using Tallow.Wire;

namespace Tallow.Net.Room;

/// <summary>The pair sessions' timings (the 1:1 defaults unless a test shortens them).</summary>
public sealed record RoomPeerOptions
{
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan KeepAliveInterval { get; init; } = SecureChannel.DefaultKeepAliveInterval;
    public TimeSpan ReceiveTimeout { get; init; } = SecureChannel.DefaultReceiveTimeout;
}

public sealed class RoomPeer : IAsyncDisposable
{
    private readonly RoutedStream _stream;
    private readonly FrameReader _reader;
    private readonly SessionKeys _keys;
    private readonly SecureChannel _channel;

    private RoomPeer(RoutedStream stream, FrameReader reader, SessionKeys keys, SecureChannel channel, RecordSession records, string name, TimeSpan handshakeTime)
    {
        _stream = stream;
        _reader = reader;
        _keys = keys;
        _channel = channel;
        Records = records;
        Name = name;
        HandshakeTime = handshakeTime;
        Chat = new ChatChannel(records.Port(RecordGroup.Chat));
    }

    public byte Id => _stream.Member;

    /// <summary>The name the member sent (cleaned for display by the caller).</summary>
    public string Name { get; }

    public RecordSession Records { get; }

    public ChatChannel Chat { get; }

    /// <summary>This pair's port for RoomView records.</summary>
    public RecordPort RoomPort => Records.Port(RecordGroup.Room);

    public string SafetyDigits => SafetyNumber.Digits(_keys.Sas);

    public string SafetyEmoji => SafetyNumber.Emoji(_keys.Sas);

    /// <summary>Handshake and name exchange, from the first frame to the peer's RoomHello.</summary>
    public TimeSpan HandshakeTime { get; }

    /// <summary>
    /// Runs the pair's handshake (<paramref name="weInitiate"/>: this side joined after the member)
    /// and exchanges names. Throws TallowException: Authentication for a wrong code.
    /// </summary>
    public static async Task<RoomPeer> ConnectAsync(RoutedStream stream, byte self, bool weInitiate, ReadOnlyMemory<byte> password, uint nameplate, string name, RoomPeerOptions options, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var reader = new FrameReader(stream, 4096);
        SessionKeys? keys = null;
        SecureChannel? channel = null;
        RecordSession? records = null;
        try
        {
            var pair = weInitiate ? new RoomPair(self, stream.Member) : new RoomPair(stream.Member, self);
            keys = await PeerHandshake.RunAsync(stream, reader, weInitiate, password.Span, nameplate, pair, options.HandshakeTimeout, ct).ConfigureAwait(false);
            channel = new SecureChannel(stream, reader, keys, weInitiate, options.KeepAliveInterval, options.ReceiveTimeout);
            channel.StartKeepAlive();
            records = new RecordSession(channel);
            records.Start();
            RecordPort port = records.Port(RecordGroup.Room);
            await port.SendAsync(RecordKind.RoomHello, RoomHelloMessage.Write(name), ct).ConfigureAwait(false);
            string peerName = await ReceiveHelloAsync(port, options.HandshakeTimeout, ct).ConfigureAwait(false);
            return new RoomPeer(stream, reader, keys, channel, records, peerName, clock.Elapsed);
        }
        catch
        {
            if (records is not null)
            {
                await records.DisposeAsync().ConfigureAwait(false);
            }

            if (channel is not null)
            {
                await channel.DisposeAsync().ConfigureAwait(false);
            }

            keys?.Dispose();
            reader.Dispose();
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<string> ReceiveHelloAsync(RecordPort port, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        Record record;
        try
        {
            record = await port.ReceiveAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TallowException(FailureKind.Network, "the member did not say its name in time.");
        }

        return record.Kind == RecordKind.RoomHello && RoomHelloMessage.TryParse(record.Body.Span, out string name)
            ? name
            : throw new TallowException(FailureKind.Error, "the member sent no valid name (a different tallow version?).");
    }

    /// <summary>Tells the member this side leaves (best effort, bounded by <paramref name="ct"/>).</summary>
    public Task LeaveAsync(string reason, CancellationToken ct) => Records.LeaveAsync(reason, ct);

    /// <summary>Ends the pair and zeroes its keys.</summary>
    public async ValueTask DisposeAsync()
    {
        await Records.DisposeAsync().ConfigureAwait(false);
        await _channel.DisposeAsync().ConfigureAwait(false);
        _keys.Dispose();
        _reader.Dispose();
        await _stream.DisposeAsync().ConfigureAwait(false);
    }
}
