// A real SOCKS5 server for the proxy tests: Debian's microsocks (RFC 1928, RFC 1929 with -u/-P)
// on 127.0.0.1 with an ephemeral port; killed by PID when disposed. Installed by setup.sh.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tallow.IntegrationTests.Proxy;

public sealed class Microsocks : IAsyncDisposable
{
    private readonly Process _process;

    private Microsocks(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Null when microsocks is on PATH; otherwise why the proxy tests fail (setup installs it).</summary>
    private static string? UnavailableReason { get; } =
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, "microsocks")))
            ? null
            : "microsocks is not installed: run ./setup.sh (or apt-get install microsocks)";

    /// <summary>socks5://[user:pass@]127.0.0.1:PORT for --proxy.</summary>
    public string Url(string? user = null, string? password = null) =>
        user is null ? $"socks5://127.0.0.1:{Port}" : $"socks5://{Uri.EscapeDataString(user)}:{Uri.EscapeDataString(password!)}@127.0.0.1:{Port}";

    /// <summary>Starts microsocks on a free loopback port (retrying when another process takes the port first).</summary>
    public static async Task<Microsocks> StartAsync(string? user = null, string? password = null)
    {
        if (UnavailableReason is string missing)
        {
            throw new InvalidOperationException(missing);
        }

        for (int attempt = 0; ; attempt++)
        {
            int port = Check.ClosedPort();
            var info = new ProcessStartInfo("microsocks") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { "-i", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            {
                info.ArgumentList.Add(a);
            }

            if (user is not null)
            {
                foreach (string a in new[] { "-u", user, "-P", password! })
                {
                    info.ArgumentList.Add(a);
                }
            }

            var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start microsocks");
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            var proxy = new Microsocks(process, port);
            if (await proxy.WaitListeningAsync(TimeSpan.FromSeconds(10)))
            {
                return proxy;
            }

            await proxy.DisposeAsync();
            if (attempt == 4)
            {
                throw new InvalidOperationException($"microsocks did not start listening on 127.0.0.1 (last port {port})");
            }
        }
    }

    private async Task<bool> WaitListeningAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout && !_process.HasExited)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port).WaitAsync(TimeSpan.FromSeconds(2));
                return !_process.HasExited;
            }
            catch (Exception e) when (e is SocketException or TimeoutException)
            {
                await Task.Delay(50);
            }
        }

        return false;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }

            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
        }

        _process.Dispose();
    }
}
