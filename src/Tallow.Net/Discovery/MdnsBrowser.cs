// Finds a sender's embedded relay on the LAN (DESIGN.md §10; RFC 6763 §4 browsing, §5 resolving;
// RFC 6762 §5.1 one-shot / legacy unicast queries, §6.7): PTR queries for _tallow._tcp.local from
// an ephemeral port about once a second (with SRV/TXT/A follow-ups for partly known instances),
// unicast answers collected until one instance with our nameplate resolves (+ ~300 ms for others)
// or the timeout passes. Listing (any nameplate) is the same browse, for the code prompt.
// Invariants: only responses echoing our random query id, from port 5353 (multicast) or a group
// member (unicast), are considered; every record goes through the bounded codec and the bounded
// MdnsBrowseCache; the socket lives only for the duration of the call; only the nameplate is used.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Tallow.Net.Discovery;

public static class MdnsBrowser
{
    private static readonly TimeSpan QueryInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan SettleTime = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// Relay endpoints announced for <paramref name="nameplate"/> on the LAN (same-subnet first),
    /// or an empty list when none answered within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<IReadOnlyList<IPEndPoint>> FindAsync(uint nameplate, TimeSpan timeout, CancellationToken cancellationToken, MdnsEndpoint? endpoint = null)
    {
        endpoint ??= MdnsEndpoint.Multicast;
        var cache = new MdnsBrowseCache(nameplate, allowLoopback: !endpoint.IsMulticast);
        await BrowseAsync(cache, endpoint, timeout, cancellationToken).ConfigureAwait(false);
        return LocalInterfaces.OrderBySubnet(cache.Endpoints(), LocalInterfaces.AllAddresses());
    }

    /// <summary>
    /// The nameplates every sender on the LAN announces (ascending; the receiver's code prompt
    /// completes the number from them), or an empty list when none answered within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<IReadOnlyList<uint>> ListNameplatesAsync(TimeSpan timeout, CancellationToken cancellationToken, MdnsEndpoint? endpoint = null)
    {
        endpoint ??= MdnsEndpoint.Multicast;
        var cache = new MdnsBrowseCache(nameplate: null, allowLoopback: !endpoint.IsMulticast);
        await BrowseAsync(cache, endpoint, timeout, cancellationToken).ConfigureAwait(false);
        return cache.Nameplates();
    }

    /// <summary>Queries until the cache has a match (+ the settle time for others) or <paramref name="timeout"/> passes.</summary>
    private static async Task BrowseAsync(MdnsBrowseCache cache, MdnsEndpoint endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        IReadOnlyList<LocalInterface> interfaces = endpoint.IsMulticast ? LocalInterfaces.MulticastCapable() : [];
        bool infinite = timeout == Timeout.InfiniteTimeSpan || timeout.TotalMilliseconds >= int.MaxValue;
        if ((endpoint.IsMulticast && interfaces.Count == 0) || (!infinite && timeout <= TimeSpan.Zero))
        {
            return;
        }

        using Socket? socket = MdnsSockets.OpenQuerier(endpoint);
        if (socket is null)
        {
            return;
        }

        ushort id = (ushort)RandomNumberGenerator.GetInt32(1, 65536);
        using var overall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (!infinite)
        {
            overall.CancelAfter(timeout);
        }

        byte[] buffer = new byte[DnsMessage.MaxSize + 1];
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        long nextQuery = Stopwatch.GetTimestamp();
        long? settleAt = null;
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            if (now >= nextQuery)
            {
                await SendQueryAsync(socket, endpoint, interfaces, id, cache, overall.Token).ConfigureAwait(false);
                nextQuery = now + (long)(QueryInterval.TotalSeconds * Stopwatch.Frequency);
            }

            long until = settleAt is { } s ? Math.Min(s, nextQuery) : nextQuery;
            TimeSpan wait = Stopwatch.GetElapsedTime(now, Math.Max(now, until));
            using var waitCts = CancellationTokenSource.CreateLinkedTokenSource(overall.Token);
            waitCts.CancelAfter(wait + TimeSpan.FromMilliseconds(1));
            try
            {
                SocketReceiveFromResult received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, waitCts.Token).ConfigureAwait(false);
                if (received.ReceivedBytes <= DnsMessage.MaxSize && received.RemoteEndPoint is IPEndPoint source && IsExpectedSource(source, endpoint)
                    && DnsMessage.TryParse(buffer.AsSpan(0, received.ReceivedBytes), out DnsMessage? response) == DnsParseStatus.Ok
                    && response is { IsResponse: true } && response.Id == id)
                {
                    cache.Add(response, source.Address);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // a wait ended (next query / settle / overall timeout): checked below
            }
            catch (SocketException)
            {
                // e.g. ICMP port unreachable from a unicast member: keep listening until the wait ends
                await DelayQuietlyAsync(TimeSpan.FromMilliseconds(20), overall.Token).ConfigureAwait(false);
            }

            if (settleAt is null && cache.HasMatch)
            {
                settleAt = Stopwatch.GetTimestamp() + (long)(SettleTime.TotalSeconds * Stopwatch.Frequency);
            }

            if (overall.IsCancellationRequested || (settleAt is { } deadline && Stopwatch.GetTimestamp() >= deadline))
            {
                break;
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    private static bool IsExpectedSource(IPEndPoint source, MdnsEndpoint endpoint) =>
        endpoint.IsMulticast
            ? source.Port == MdnsEndpoint.MdnsPort
            : endpoint.Members.Any(m => m.Port == source.Port && LocalInterfaces.Canonical(m.Address).Equals(LocalInterfaces.Canonical(source.Address)));

    private static async Task SendQueryAsync(Socket socket, MdnsEndpoint endpoint, IReadOnlyList<LocalInterface> interfaces, ushort id, MdnsBrowseCache cache, CancellationToken ct)
    {
        DnsQuestion[] questions = [new DnsQuestion(MdnsResponder.ServiceType, DnsType.Ptr), .. cache.FollowUpQuestions()];
        byte[] payload = DnsMessage.Query(id, questions).Encode();
        try
        {
            if (!endpoint.IsMulticast)
            {
                await MdnsSockets.SendToGroupAsync(socket, endpoint, null, null, payload, ct).ConfigureAwait(false);
                return;
            }

            foreach (LocalInterface nic in interfaces)
            {
                await MdnsSockets.SendToGroupAsync(socket, endpoint, nic, null, payload, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // timeout or cancellation while sending: the loop notices
        }
    }

    private static async Task DelayQuietlyAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
