// Announces the sender's embedded relay as a DNS-SD service (DESIGN.md §10; RFC 6763 §4–§7;
// RFC 6762 §6 responding, §6.7 legacy unicast, §8.3 announcing twice 1 s apart, §10.1 goodbye).
// Instance "tallow-<nameplate>-<8 hex>._tallow._tcp.local", SRV to "tallow-<nameplate>-<hex>.local"
// on the relay port, TXT "v=1" "np=<nameplate>", A/AAAA of the interface the query arrived on.
// Invariants: only the nameplate is published; the receive and announce loops are owned by this
// object and stopped by DisposeAsync; hostile datagrams are parsed by a bounded codec and dropped;
// legacy unicast answers go only to on-link sources and are rate limited; multicast answers go
// at most once a second per interface (RFC 6762 §6).
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Tallow.Net.Discovery;

public sealed class MdnsAnnouncer : IAsyncDisposable
{
    private const int UnicastBurst = 20;         // legacy unicast answers allowed in a burst
    private const double UnicastPerSecond = 20;  // ... and sustained
    private static readonly TimeSpan AnnounceInterval = TimeSpan.FromSeconds(1);

    private readonly Socket _socket;
    private readonly MdnsEndpoint _endpoint;
    private readonly MdnsResponder _responder;
    private readonly IReadOnlyList<LocalInterface> _interfaces;
    private readonly IPEndPoint _self;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Dictionary<int, long> _lastMulticast = [];
    private readonly Task _receiveLoop;
    private readonly Task _announceLoop;
    private double _tokens = UnicastBurst;
    private long _tokensAt = Stopwatch.GetTimestamp();
    private int _disposed;

    private MdnsAnnouncer(Socket socket, MdnsEndpoint endpoint, MdnsResponder responder, IReadOnlyList<LocalInterface> interfaces)
    {
        _socket = socket;
        _endpoint = endpoint;
        _responder = responder;
        _interfaces = interfaces;
        _self = (IPEndPoint)socket.LocalEndPoint!;
        _receiveLoop = Task.Run(() => ReceiveLoopAsync(_stop.Token));
        _announceLoop = Task.Run(() => AnnounceLoopAsync(_stop.Token));
    }

    /// <summary>The DNS-SD instance name this announcer answers for.</summary>
    internal string InstanceName => _responder.InstanceName;

    /// <summary>
    /// Starts answering queries for _tallow._tcp.local and sends two unsolicited announcements about 1 s
    /// apart. Returns null (without throwing) when mDNS cannot be used here.
    /// </summary>
    public static MdnsAnnouncer? Start(uint nameplate, int relayPort, MdnsEndpoint? endpoint = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(relayPort, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(relayPort, 65535);
        endpoint ??= MdnsEndpoint.Multicast;
        IReadOnlyList<LocalInterface> candidates = endpoint.IsMulticast ? LocalInterfaces.MulticastCapable() : [];
        if (endpoint.IsMulticast && candidates.Count == 0)
        {
            return null;
        }

        Socket? socket = MdnsSockets.OpenResponder(endpoint, candidates, out IReadOnlyList<LocalInterface> joined);
        if (socket is null)
        {
            return null;
        }

        string suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        return new MdnsAnnouncer(socket, endpoint, new MdnsResponder(nameplate, relayPort, suffix), joined);
    }

    /// <summary>Stops the loops, then sends a goodbye (TTL 0) where possible and closes the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_receiveLoop, _announceLoop).ConfigureAwait(false);
            using var goodbyeTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await AnnounceAsync(goodbye: true, goodbyeTimeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the goodbye is best effort
        }
        finally
        {
            _socket.Dispose();
            _stop.Dispose();
            _sendLock.Dispose();
        }
    }

    private async Task AnnounceLoopAsync(CancellationToken ct)
    {
        try
        {
            await AnnounceAsync(goodbye: false, ct).ConfigureAwait(false);
            await Task.Delay(AnnounceInterval, ct).ConfigureAwait(false);
            await AnnounceAsync(goodbye: false, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task AnnounceAsync(bool goodbye, CancellationToken ct)
    {
        if (!_endpoint.IsMulticast)
        {
            byte[] payload = _responder.Announcement(AddressesFor(null), goodbye).Encode();
            await SendLockedAsync(() => MdnsSockets.SendToGroupAsync(_socket, _endpoint, null, _self, payload, ct), ct).ConfigureAwait(false);
            return;
        }

        foreach (LocalInterface nic in _interfaces)
        {
            byte[] payload = _responder.Announcement(AddressesFor(nic.Index), goodbye).Encode();
            await SendLockedAsync(() => MdnsSockets.SendToGroupAsync(_socket, _endpoint, nic, _self, payload, ct), ct).ConfigureAwait(false);
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken ct)
    {
        byte[] buffer = new byte[DnsMessage.MaxSize + 1];
        EndPoint any = new IPEndPoint(_self.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                SocketReceiveMessageFromResult received = await _socket.ReceiveMessageFromAsync(buffer, SocketFlags.None, any, ct).ConfigureAwait(false);
                if (received.ReceivedBytes > DnsMessage.MaxSize || (received.SocketFlags & SocketFlags.Truncated) != 0
                    || received.RemoteEndPoint is not IPEndPoint source)
                {
                    continue;
                }

                int index = received.PacketInformation.Interface;
                await HandleAsync(buffer.AsMemory(0, received.ReceivedBytes), source, index, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (SocketException)
            {
                try
                {
                    await Task.Delay(50, ct).ConfigureAwait(false); // e.g. a transient ICMP error: do not spin
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    private async Task HandleAsync(ReadOnlyMemory<byte> datagram, IPEndPoint source, int interfaceIndex, CancellationToken ct)
    {
        if (DnsMessage.TryParse(datagram.Span, out DnsMessage? query) != DnsParseStatus.Ok || query is null || query.IsResponse)
        {
            return;
        }

        bool fromGroupMember = _endpoint.IsMulticast
            ? source.Port == MdnsEndpoint.MdnsPort
            : _endpoint.Members.Contains(source);
        bool unicastReply = !fromGroupMember || (query.Questions.Count > 0 && query.Questions.All(q => q.UnicastResponse));
        LocalInterface? nic = _interfaces.FirstOrDefault(n => n.Index == interfaceIndex);
        if (_endpoint.IsMulticast && (unicastReply || nic is null)
            && !LocalInterfaces.IsOnLink(source.Address, _interfaces.SelectMany(n => n.Addresses)))
        {
            return; // RFC 6762 §11: only answer on-link sources (no reflection off the LAN)
        }

        DnsMessage? response = _responder.Respond(query, AddressesFor(nic?.Index), legacyUnicast: !fromGroupMember);
        if (response is null)
        {
            return;
        }

        byte[] payload;
        try
        {
            payload = response.Encode();
        }
        catch (InvalidOperationException)
        {
            return; // cannot happen by construction (bounded answers); never let a query stop the loop
        }

        if (unicastReply)
        {
            if (TakeUnicastToken())
            {
                await SendLockedAsync(() => MdnsSockets.SendToAsync(_socket, source, payload, ct), ct).ConfigureAwait(false);
            }

            return;
        }

        int key = nic?.Index ?? 0;
        long now = Stopwatch.GetTimestamp();
        if (_lastMulticast.TryGetValue(key, out long last) && Stopwatch.GetElapsedTime(last, now) < AnnounceInterval)
        {
            return; // RFC 6762 §6: at most one multicast of a record per second per interface
        }

        _lastMulticast[key] = now;
        await Task.Delay(Random.Shared.Next(20, 121), ct).ConfigureAwait(false); // §6: shared records wait 20–120 ms
        await SendLockedAsync(() => MdnsSockets.SendToGroupAsync(_socket, _endpoint, nic, _self, payload, ct), ct).ConfigureAwait(false);
    }

    /// <summary>This host's addresses to publish for a query that arrived on <paramref name="interfaceIndex"/>.</summary>
    private IReadOnlyList<IPAddress> AddressesFor(int? interfaceIndex)
    {
        if (!_endpoint.IsMulticast)
        {
            return [_self.Address];
        }

        LocalInterface? nic = _interfaces.FirstOrDefault(n => n.Index == interfaceIndex);
        return nic is not null
            ? [.. nic.Addresses.Select(a => a.Address)]
            : [.. _interfaces.SelectMany(n => n.Addresses).Select(a => a.Address).Distinct()];
    }

    private bool TakeUnicastToken()
    {
        long now = Stopwatch.GetTimestamp();
        _tokens = Math.Min(UnicastBurst, _tokens + (Stopwatch.GetElapsedTime(_tokensAt, now).TotalSeconds * UnicastPerSecond));
        _tokensAt = now;
        if (_tokens < 1)
        {
            return false;
        }

        _tokens -= 1;
        return true;
    }

    private async Task SendLockedAsync(Func<Task> send, CancellationToken ct)
    {
        await _sendLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await send().ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }
}
