// State shared by the server and its sessions: options, the room table, global and per-address
// limits, metrics, log.
using System.Net.Security;
using System.Text;

namespace Tallow.Relay;

internal sealed class RelayContext
{
    public RelayContext(RelayOptions options, Action<string>? log, CancellationToken shutdown)
    {
        Options = options;
        Log = log;
        Shutdown = shutdown;
        Time = options.TimeProvider;
        _refusalLog = new RefusalLog(Time);
        Metrics = new RelayMetrics();
        Rooms = new RoomRegistry(options.MaxRooms, new AddressCounter(options.MaxUnpairedRoomsPerAddress), Metrics, Time, options.SingleRoom);
        RateLimiter = new ConnectionRateLimiter(options.ConnectionsPerSecondPerIp, options.ConnectionBurstPerIp, Time);
        AddressConnections = new AddressCounter(options.MaxConnectionsPerAddress);
        FailedClaims = new FailedClaimLimiter(options.MaxFailedClaimsPerAddress, options.FailedClaimWindow, options.FailedClaimBlock, Time);
        AuthPassword = options.Password is null ? null : PinnedUtf8(options.Password);
        Tls = options.TlsCertificate is null ? null : SslStreamCertificateContext.Create(options.TlsCertificate, additionalCertificates: null, offline: true);
    }

    /// <summary>The main port's TLS certificate context (DESIGN.md §5.8); null for a plaintext relay.</summary>
    public SslStreamCertificateContext? Tls { get; }

    public RelayOptions Options { get; }

    public Action<string>? Log { get; }

    public CancellationToken Shutdown { get; }

    public TimeProvider Time { get; }

    private readonly RefusalLog _refusalLog;

    public RelayMetrics Metrics { get; }

    public RoomRegistry Rooms { get; }

    public ConnectionRateLimiter RateLimiter { get; }

    /// <summary>Connections held per client address (RelayOptions.MaxConnectionsPerAddress).</summary>
    public AddressCounter AddressConnections { get; }

    /// <summary>Failed claims and auths per client address (RelayOptions.MaxFailedClaimsPerAddress).</summary>
    public FailedClaimLimiter FailedClaims { get; }

    /// <summary>The bound probe port announced in every Welcome (0 = none); set before any connection is accepted.</summary>
    public ushort ProbePort { get; set; }

    /// <summary>The UTF-8 relay password, the CPace password of Auth (RelayPasswordVerifier); null when the relay is open.</summary>
    public byte[]? AuthPassword { get; }

    /// <summary>The password's bytes in a pinned array, so the GC leaves no copies of them behind.</summary>
    private static byte[] PinnedUtf8(string password)
    {
        byte[] bytes = GC.AllocateArray<byte>(Encoding.UTF8.GetByteCount(password), pinned: true);
        Encoding.UTF8.GetBytes(password, bytes);
        return bytes;
    }

    /// <summary>Counts a refusal of <paramref name="remote"/> and logs it, at most one line per address and reason a minute (RefusalLog).</summary>
    public void Refused(System.Net.IPAddress remote, RelayRejectionReason reason, string line)
    {
        Metrics.Rejected(reason);
        if (_refusalLog.Admit(AddressKey.Of(remote), reason, line) is string admitted)
        {
            Write(admitted);
        }
    }

    /// <summary>Logs one line (never payload bytes or passwords); a failing sink is ignored.</summary>
    public void Write(string message)
    {
        try
        {
            Log?.Invoke(message);
        }
        catch (Exception)
        {
            // Logging must not break serving.
        }
    }
}

/// <summary>Why a connection is refused: the Error frame sent and the metrics label counted.</summary>
internal sealed record Refusal(Tallow.Wire.RelayErrorCode Code, string Message, RelayRejectionReason Reason);

/// <summary>Owns fire-and-forget tasks so DisposeAsync can await every one of them.</summary>
internal sealed class TaskTracker
{
    private readonly HashSet<Task> _tasks = [];

    public int Count
    {
        get
        {
            lock (_tasks)
            {
                return _tasks.Count;
            }
        }
    }

    public void Track(Task task)
    {
        lock (_tasks)
        {
            if (task.IsCompleted)
            {
                return;
            }

            _tasks.Add(task);
        }

        _ = ForgetAsync(task);
    }

    public Task WhenAll()
    {
        lock (_tasks)
        {
            return Task.WhenAll([.. _tasks]);
        }
    }

    private async Task ForgetAsync(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Tracked loops handle their own errors; nothing to observe here.
        }

        lock (_tasks)
        {
            _tasks.Remove(task);
        }
    }
}
