// Opens a secure session with the peer through a relay room:
//   connect → Allocate (sender) | Claim (receiver) → Paired → handshake → SecureChannel.
// The room creator is the handshake initiator. The relay only ever sees the nameplate.
using Tallow.Crypto;
using Tallow.Protocol;
using Tallow.Protocol.Handshake;
using Tallow.Protocol.Records;
using Tallow.Wire;

namespace Tallow.Net.Session;

public sealed record SessionOptions
{
    public required RelayAddress Relay { get; init; }
    public string? RelayPassword { get; init; }
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan KeepAliveInterval { get; init; } = SecureChannel.DefaultKeepAliveInterval;
    public TimeSpan ReceiveTimeout { get; init; } = SecureChannel.DefaultReceiveTimeout;
}

public sealed class PeerSession : IAsyncDisposable
{
    private readonly RelayConnection _relay;
    private SessionKeys? _keys;

    private PeerSession(RelayConnection relay, uint nameplate)
    {
        _relay = relay;
        Nameplate = nameplate;
    }

    public uint Nameplate { get; }

    public SecureChannel? Channel { get; private set; }

    /// <summary>Safety number of this session (same on both sides only without a man in the middle).</summary>
    public string SafetyDigits => SafetyNumber.Digits(_keys!.Sas);

    public string SafetyEmoji => SafetyNumber.Emoji(_keys!.Sas);

    /// <summary>Sender: creates a room. <paramref name="requestedNameplate"/> 0 lets the relay choose.</summary>
    public static async Task<PeerSession> CreateRoomAsync(SessionOptions options, uint requestedNameplate, CancellationToken ct)
    {
        RelayConnection relay = await ConnectAsync(options, ct).ConfigureAwait(false);
        try
        {
            uint nameplate = await relay.AllocateAsync(requestedNameplate, ct).ConfigureAwait(false);
            return new PeerSession(relay, nameplate);
        }
        catch
        {
            await relay.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Receiver: joins the sender's room.</summary>
    public static async Task<PeerSession> JoinRoomAsync(SessionOptions options, uint nameplate, CancellationToken ct)
    {
        RelayConnection relay = await ConnectAsync(options, ct).ConfigureAwait(false);
        try
        {
            await relay.ClaimAsync(nameplate, ct).ConfigureAwait(false);
            return new PeerSession(relay, nameplate);
        }
        catch
        {
            await relay.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Waits for the peer, runs the handshake with the whole normalised code, and opens the record channel.</summary>
    public async Task<SecureChannel> EstablishAsync(string normalizedCode, SessionOptions options, CancellationToken ct)
    {
        PairedMessage paired;
        try
        {
            paired = await _relay.WaitForPeerAsync(ct).ConfigureAwait(false);
        }
        catch (RelayException ex)
        {
            throw RelayErrors.ToTallow(ex);
        }

        bool isInitiator = paired.Index == 0;
        _keys = await PeerHandshake.RunAsync(_relay.Stream, _relay.Reader, isInitiator, normalizedCode, Nameplate, options.HandshakeTimeout, ct).ConfigureAwait(false);
        Channel = new SecureChannel(_relay.Stream, _relay.Reader, _keys, isInitiator, options.KeepAliveInterval, options.ReceiveTimeout);
        Channel.StartKeepAlive(); // from here on, a user at a prompt never lets the peer or the relay time out
        return Channel;
    }

    private static async Task<RelayConnection> ConnectAsync(SessionOptions options, CancellationToken ct)
    {
        try
        {
            return await RelayConnection.ConnectAsync(options.Relay.Host, options.Relay.Port, options.RelayPassword, options.ConnectTimeout, ct).ConfigureAwait(false);
        }
        catch (RelayException ex)
        {
            throw RelayErrors.ToTallow(ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Channel is not null)
        {
            await Channel.DisposeAsync().ConfigureAwait(false);
        }

        _keys?.Dispose();
        await _relay.DisposeAsync().ConfigureAwait(false);
    }
}
