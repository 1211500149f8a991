// Relay counters (DESIGN.md §5.6). Lock-free (Interlocked) so the hot splice path pays one
// atomic add per read; Render() produces the Prometheus text exposition format 0.0.4.
using System.Globalization;
using System.Text;

namespace Tallow.Relay;

/// <summary>Why the relay refused or ended a connection; each is a label value of tallow_relay_rejections_total.</summary>
public enum RelayRejectionReason
{
    TooManyConnections,
    RateLimited,
    TooManyRooms,
    AuthRequired,
    AuthFailed,
    BadRequest,
    VersionMismatch,
    FrameTooLarge,
    NoSuchRoom,
    RoomFull,
    NameplateInUse,
    HelloTimeout,
    UnpairedTimeout,
    IdleTimeout,
    ShuttingDown,
    TlsRequired,
    TlsFailed,

    /// <summary>The client's address already held MaxConnectionsPerAddress connections.</summary>
    AddressConnectionLimit,

    /// <summary>The client's address already held MaxUnpairedRoomsPerAddress waiting rooms.</summary>
    AddressRoomLimit,

    /// <summary>A Claim or Auth from an address blocked after MaxFailedClaimsPerAddress failures.</summary>
    ClaimsBlocked,

    /// <summary>An Allocate asking for more chat-room members than RelayOptions.MaxRoomMembers.</summary>
    RoomCapacity,
}

public sealed class RelayMetrics
{
    private static readonly string[] ReasonLabels =
    [
        "too_many_connections", "rate_limited", "too_many_rooms", "auth_required", "auth_failed", "bad_request",
        "version_mismatch", "frame_too_large", "no_such_room", "room_full", "nameplate_in_use", "hello_timeout",
        "unpaired_timeout", "idle_timeout", "shutting_down", "tls_required", "tls_failed",
        "address_connection_limit", "address_room_limit", "claims_blocked", "room_capacity",
    ];

    private readonly long[] _rejections = new long[ReasonLabels.Length];
    private long _connectionsTotal;
    private long _connectionsActive;
    private long _roomsActive;
    private long _pairingsTotal;
    private long _bytesForwarded;
    private long _probesTotal;
    private long _addressBlocksTotal;
    private long _routingRoomsActive;
    private long _roomMembersActive;
    private long _routedFramesTotal;
    private long _routedBytesTotal;
    private long _routesDroppedTotal;
    private long _slowMembersTotal;
    private long _zeroCopyDirectionsTotal;
    private long _webConnectionsTotal;
    private long _webRequestsTotal;

    /// <summary>Every TCP connection accepted, including refused ones.</summary>
    public long ConnectionsTotal => Interlocked.Read(ref _connectionsTotal);

    /// <summary>Connections currently served (not counting ones being refused).</summary>
    public long ConnectionsActive => Interlocked.Read(ref _connectionsActive);

    /// <summary>Rooms that exist now, waiting or paired.</summary>
    public long RoomsActive => Interlocked.Read(ref _roomsActive);

    public long PairingsTotal => Interlocked.Read(ref _pairingsTotal);

    /// <summary>Bytes spliced between paired peers, both directions, plus the Routed frames of chat rooms.</summary>
    public long BytesForwarded => Interlocked.Read(ref _bytesForwarded);

    /// <summary>NAT probes answered with a Welcome on the probe port (DESIGN.md §5.7).</summary>
    public long ProbesTotal => Interlocked.Read(ref _probesTotal);

    /// <summary>Times an address was blocked for too many failed claims (RelayOptions.MaxFailedClaimsPerAddress).</summary>
    public long AddressBlocksTotal => Interlocked.Read(ref _addressBlocksTotal);

    /// <summary>Chat (routing) rooms that exist now; also counted in RoomsActive.</summary>
    public long RoutingRoomsActive => Interlocked.Read(ref _routingRoomsActive);

    /// <summary>Members of routing rooms now.</summary>
    public long RoomMembersActive => Interlocked.Read(ref _roomMembersActive);

    /// <summary>Routed frames written to routing-room members.</summary>
    public long RoutedFramesTotal => Interlocked.Read(ref _routedFramesTotal);

    /// <summary>Bytes of those Routed frames (header, id and payload); also counted in BytesForwarded.</summary>
    public long RoutedBytesTotal => Interlocked.Read(ref _routedBytesTotal);

    /// <summary>Route frames dropped: to an id not in the room, or to the sender itself.</summary>
    /// <summary>Directions of paired connections forwarded with splice(2) instead of a user-space copy (two per pair).</summary>
    public long ZeroCopyDirectionsTotal => Interlocked.Read(ref _zeroCopyDirectionsTotal);

    public long RoutesDroppedTotal => Interlocked.Read(ref _routesDroppedTotal);

    /// <summary>Routing-room members disconnected for taking no frame for RelayOptions.SlowMemberTimeout.</summary>
    public long SlowMembersTotal => Interlocked.Read(ref _slowMembersTotal);

    /// <summary>WebSocket connections upgraded on the web port (each then runs as a relay session).</summary>
    public long WebConnectionsTotal => Interlocked.Read(ref _webConnectionsTotal);

    /// <summary>HTTP requests answered on the web port (pages, 4xx refusals), not counting upgrades.</summary>
    public long WebRequestsTotal => Interlocked.Read(ref _webRequestsTotal);

    public long Rejections(RelayRejectionReason reason) => Interlocked.Read(ref _rejections[(int)reason]);

    public static string Label(RelayRejectionReason reason) => ReasonLabels[(int)reason];

    internal void ConnectionAccepted() => Interlocked.Increment(ref _connectionsTotal);

    internal void SessionStarted() => Interlocked.Increment(ref _connectionsActive);

    internal void SessionEnded() => Interlocked.Decrement(ref _connectionsActive);

    internal void RoomOpened() => Interlocked.Increment(ref _roomsActive);

    internal void RoomClosed() => Interlocked.Decrement(ref _roomsActive);

    internal void Paired() => Interlocked.Increment(ref _pairingsTotal);

    internal void Forwarded(long bytes) => Interlocked.Add(ref _bytesForwarded, bytes);

    internal void ZeroCopyStarted() => Interlocked.Increment(ref _zeroCopyDirectionsTotal);

    internal void ProbeAnswered() => Interlocked.Increment(ref _probesTotal);

    internal void AddressBlocked() => Interlocked.Increment(ref _addressBlocksTotal);

    internal void RoutingRoomOpened() => Interlocked.Increment(ref _routingRoomsActive);

    internal void RoutingRoomClosed() => Interlocked.Decrement(ref _routingRoomsActive);

    internal void MemberJoined() => Interlocked.Increment(ref _roomMembersActive);

    internal void MemberLeft() => Interlocked.Decrement(ref _roomMembersActive);

    /// <summary>One Routed frame was taken by its member; the bytes first, so a reader that sees the frame sees its bytes.</summary>
    internal void Routed(int frameBytes)
    {
        Interlocked.Add(ref _routedBytesTotal, frameBytes);
        Interlocked.Add(ref _bytesForwarded, frameBytes);
        Interlocked.Increment(ref _routedFramesTotal);
    }

    internal void RouteDropped() => Interlocked.Increment(ref _routesDroppedTotal);

    internal void SlowMemberDisconnected() => Interlocked.Increment(ref _slowMembersTotal);

    internal void WebConnectionUpgraded() => Interlocked.Increment(ref _webConnectionsTotal);

    internal void WebRequestAnswered() => Interlocked.Increment(ref _webRequestsTotal);

    internal void Rejected(RelayRejectionReason reason) => Interlocked.Increment(ref _rejections[(int)reason]);

    /// <summary>Prometheus text exposition format.</summary>
    public string Render()
    {
        var text = new StringBuilder(4096);
        Append(text, "tallow_relay_connections_total", "counter", "TCP connections accepted, including refused ones.", ConnectionsTotal);
        Append(text, "tallow_relay_connections_active", "gauge", "Connections currently served.", ConnectionsActive);
        Append(text, "tallow_relay_rooms_active", "gauge", "Rooms currently open (waiting or paired).", RoomsActive);
        Append(text, "tallow_relay_pairings_total", "counter", "Rooms that became complete.", PairingsTotal);
        Append(text, "tallow_relay_bytes_forwarded_total", "counter", "Bytes spliced between paired peers or routed between chat-room members.", BytesForwarded);
        Append(text, "tallow_relay_zero_copy_directions_total", "counter", "Directions of paired connections forwarded with splice(2), without a user-space copy (two per pair).", ZeroCopyDirectionsTotal);
        Append(text, "tallow_relay_probes_total", "counter", "NAT probes answered on the probe port.", ProbesTotal);
        Append(text, "tallow_relay_address_blocks_total", "counter", "Addresses whose claims were blocked after too many failed claims.", AddressBlocksTotal);
        Append(text, "tallow_relay_routing_rooms_active", "gauge", "Chat (routing) rooms currently open.", RoutingRoomsActive);
        Append(text, "tallow_relay_room_members_active", "gauge", "Members of chat rooms currently connected.", RoomMembersActive);
        Append(text, "tallow_relay_routed_frames_total", "counter", "Routed frames written to chat-room members.", RoutedFramesTotal);
        Append(text, "tallow_relay_routed_bytes_total", "counter", "Bytes of Routed frames written to chat-room members.", RoutedBytesTotal);
        Append(text, "tallow_relay_routes_dropped_total", "counter", "Route frames dropped (unknown member id or the sender itself).", RoutesDroppedTotal);
        Append(text, "tallow_relay_slow_members_total", "counter", "Chat-room members disconnected for not taking frames.", SlowMembersTotal);
        Append(text, "tallow_relay_web_connections_total", "counter", "WebSocket connections upgraded on the web port (browser clients).", WebConnectionsTotal);
        Append(text, "tallow_relay_web_requests_total", "counter", "HTTP requests answered on the web port (page files and refusals), upgrades not counted.", WebRequestsTotal);
        text.Append("# HELP tallow_relay_rejections_total Connections refused or closed by a limit, by reason.\n");
        text.Append("# TYPE tallow_relay_rejections_total counter\n");
        for (int i = 0; i < ReasonLabels.Length; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"tallow_relay_rejections_total{{reason=\"{ReasonLabels[i]}\"}} {Interlocked.Read(ref _rejections[i])}\n");
        }

        return text.ToString();
    }

    private static void Append(StringBuilder text, string name, string type, string help, long value)
    {
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n{name} {value}\n");
    }
}
