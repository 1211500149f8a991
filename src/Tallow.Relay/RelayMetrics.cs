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
}

public sealed class RelayMetrics
{
    private static readonly string[] ReasonLabels =
    [
        "too_many_connections", "rate_limited", "too_many_rooms", "auth_required", "auth_failed", "bad_request",
        "version_mismatch", "frame_too_large", "no_such_room", "room_full", "nameplate_in_use", "hello_timeout",
        "unpaired_timeout", "idle_timeout", "shutting_down", "tls_required", "tls_failed",
        "address_connection_limit", "address_room_limit", "claims_blocked",
    ];

    private readonly long[] _rejections = new long[ReasonLabels.Length];
    private long _connectionsTotal;
    private long _connectionsActive;
    private long _roomsActive;
    private long _pairingsTotal;
    private long _bytesForwarded;
    private long _probesTotal;
    private long _addressBlocksTotal;

    /// <summary>Every TCP connection accepted, including refused ones.</summary>
    public long ConnectionsTotal => Interlocked.Read(ref _connectionsTotal);

    /// <summary>Connections currently served (not counting ones being refused).</summary>
    public long ConnectionsActive => Interlocked.Read(ref _connectionsActive);

    /// <summary>Rooms that exist now, waiting or paired.</summary>
    public long RoomsActive => Interlocked.Read(ref _roomsActive);

    public long PairingsTotal => Interlocked.Read(ref _pairingsTotal);

    /// <summary>Bytes spliced between paired peers, both directions.</summary>
    public long BytesForwarded => Interlocked.Read(ref _bytesForwarded);

    /// <summary>NAT probes answered with a Welcome on the probe port (DESIGN.md §5.7).</summary>
    public long ProbesTotal => Interlocked.Read(ref _probesTotal);

    /// <summary>Times an address was blocked for too many failed claims (RelayOptions.MaxFailedClaimsPerAddress).</summary>
    public long AddressBlocksTotal => Interlocked.Read(ref _addressBlocksTotal);

    public long Rejections(RelayRejectionReason reason) => Interlocked.Read(ref _rejections[(int)reason]);

    public static string Label(RelayRejectionReason reason) => ReasonLabels[(int)reason];

    internal void ConnectionAccepted() => Interlocked.Increment(ref _connectionsTotal);

    internal void SessionStarted() => Interlocked.Increment(ref _connectionsActive);

    internal void SessionEnded() => Interlocked.Decrement(ref _connectionsActive);

    internal void RoomOpened() => Interlocked.Increment(ref _roomsActive);

    internal void RoomClosed() => Interlocked.Decrement(ref _roomsActive);

    internal void Paired() => Interlocked.Increment(ref _pairingsTotal);

    internal void Forwarded(int bytes) => Interlocked.Add(ref _bytesForwarded, bytes);

    internal void ProbeAnswered() => Interlocked.Increment(ref _probesTotal);

    internal void AddressBlocked() => Interlocked.Increment(ref _addressBlocksTotal);

    internal void Rejected(RelayRejectionReason reason) => Interlocked.Increment(ref _rejections[(int)reason]);

    /// <summary>Prometheus text exposition format.</summary>
    public string Render()
    {
        var text = new StringBuilder(2048);
        Append(text, "tallow_relay_connections_total", "counter", "TCP connections accepted, including refused ones.", ConnectionsTotal);
        Append(text, "tallow_relay_connections_active", "gauge", "Connections currently served.", ConnectionsActive);
        Append(text, "tallow_relay_rooms_active", "gauge", "Rooms currently open (waiting or paired).", RoomsActive);
        Append(text, "tallow_relay_pairings_total", "counter", "Rooms that became complete.", PairingsTotal);
        Append(text, "tallow_relay_bytes_forwarded_total", "counter", "Bytes spliced between paired peers.", BytesForwarded);
        Append(text, "tallow_relay_probes_total", "counter", "NAT probes answered on the probe port.", ProbesTotal);
        Append(text, "tallow_relay_address_blocks_total", "counter", "Addresses whose claims were blocked after too many failed claims.", AddressBlocksTotal);
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
