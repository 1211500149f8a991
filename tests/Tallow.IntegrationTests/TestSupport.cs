// Shared helpers for SendReceiveTests and ErrorPathTests: class fixtures that own one relay per
// test class, assertions that print both processes' output when they fail, and tree snapshots.
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

/// <summary>One open relay shared by every test of a class.</summary>
public sealed class OpenRelayFixture : IAsyncLifetime
{
    private RelayProcess? _relay;

    public RelayProcess Relay => _relay ?? throw new InvalidOperationException("relay not started");

    public async Task InitializeAsync() => _relay = await RelayProcess.StartAsync();

    public async Task DisposeAsync()
    {
        if (_relay is not null)
        {
            await _relay.DisposeAsync();
        }
    }
}

/// <summary>An open relay and a password-protected relay, shared by every test of a class.</summary>
public sealed class OpenAndPasswordRelayFixture : IAsyncLifetime
{
    public const string Password = "s3cret relay pässword";

    private RelayProcess? _open;
    private RelayProcess? _protected;

    public RelayProcess Open => _open ?? throw new InvalidOperationException("relay not started");

    public RelayProcess Protected => _protected ?? throw new InvalidOperationException("relay not started");

    public async Task InitializeAsync()
    {
        Task<RelayProcess> open = RelayProcess.StartAsync();
        Task<RelayProcess> protectedRelay = RelayProcess.StartAsync(Password);
        try
        {
            _open = await open;
            _protected = await protectedRelay;
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (_open is not null)
        {
            await _open.DisposeAsync();
        }

        if (_protected is not null)
        {
            await _protected.DisposeAsync();
        }
    }
}

internal static class Check
{
    public static readonly TimeSpan ShortTimeout = TimeSpan.FromSeconds(15);

    public static string Describe(TallowProcess process, string role) =>
        $"--- {role} (pid {process.Pid}) stdout:\n{(process.StdoutBytes.Length > 0 ? $"<{process.StdoutBytes.Length} raw bytes>" : process.Stdout)}\n--- {role} stderr:\n{process.Stderr}";

    public static string Describe(TransferRun run) => $"code {run.Code}\n{Describe(run.Sender, "sender")}\n{Describe(run.Receiver, "receiver")}";

    public static void Exit(int expected, int actual, TallowProcess process, string role) =>
        Assert.True(expected == actual, $"{role}: expected exit code {expected}, got {actual}.\n{Describe(process, role)}");

    public static void Succeeded(TransferRun run)
    {
        Assert.True(run.ReceiverExit == 0 && run.SenderExit == 0,
            $"expected both to exit 0; sender {run.SenderExit}, receiver {run.ReceiverExit}.\n{Describe(run)}");
    }

    public static JsonElement SingleEvent(TallowProcess process, string name, string role)
    {
        List<JsonElement> found = Events(process, name);
        Assert.True(found.Count == 1, $"{role}: expected exactly one '{name}' event, got {found.Count}.\n{Describe(process, role)}");
        return found[0];
    }

    public static List<JsonElement> Events(TallowProcess process, string name) =>
        [.. process.Events.Where(e => e.TryGetProperty("event", out JsonElement n) && n.GetString() == name)];

    /// <summary>The message of the process's JSON error event, which must exist.</summary>
    public static string ErrorMessage(TallowProcess process, string role, int expectedCode)
    {
        JsonElement error = SingleEvent(process, "error", role);
        Assert.True(error.GetProperty("code").GetInt32() == expectedCode, $"{role}: error event has code {error.GetProperty("code")}, expected {expectedCode}.\n{Describe(process, role)}");
        string message = error.GetProperty("message").GetString() ?? "";
        Assert.False(string.IsNullOrWhiteSpace(message), $"{role}: empty error message.\n{Describe(process, role)}");
        return message;
    }

    public static void Contains(string expectedSubstring, string actual, string context) =>
        Assert.True(actual.Contains(expectedSubstring, StringComparison.OrdinalIgnoreCase), $"expected '{expectedSubstring}' in: {actual}\n{context}");

    /// <summary>A loopback port nobody listens on (bound, then released).</summary>
    public static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Relative paths ('/'-separated; folders end with '/') → SHA-256 (files) or "" (folders).</summary>
    public static SortedDictionary<string, string> Snapshot(string root)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string dir in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories))
        {
            result[Path.GetRelativePath(root, dir).Replace('\\', '/') + "/"] = "";
        }

        foreach (string file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            result[Path.GetRelativePath(root, file).Replace('\\', '/')] = TempDir.Sha256(file);
        }

        return result;
    }

    public static void SameTree(string expectedRoot, string actualRoot, string context)
    {
        SortedDictionary<string, string> expected = Snapshot(expectedRoot);
        SortedDictionary<string, string> actual = Snapshot(actualRoot);
        string Show(SortedDictionary<string, string> s) => string.Join("\n", s.Select(kv => $"  {kv.Key} {kv.Value}"));
        Assert.True(expected.SequenceEqual(actual), $"received tree differs.\nexpected:\n{Show(expected)}\nactual:\n{Show(actual)}\n{context}");
    }

    public static void NoPartFiles(string root, string context)
    {
        string[] leftovers = Directory.GetFiles(root, "*.tallow-part*", SearchOption.AllDirectories);
        Assert.True(leftovers.Length == 0, $"leftover part files: {string.Join(", ", leftovers)}\n{context}");
    }

    public static int PortOf(string hostPort)
    {
        int colon = hostPort.LastIndexOf(':');
        Assert.True(colon > 0 && int.TryParse(hostPort[(colon + 1)..], out _), $"not host:port: '{hostPort}'");
        return int.Parse(hostPort[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
