// A real OpenSSH server (Debian openssh-server, installed by ./setup.sh) for the `tallow ssh`
// tests: its own config, host key and port on 127.0.0.1, public-key login only, StrictModes on,
// and authorized_keys read from a scratch home (Home/.ssh/authorized_keys). The scratch folder
// lives under /run, not /tmp: StrictModes checks every folder from the file up to / for group or
// world write access, which the sticky /tmp has. Always killed (by PID) and removed when disposed.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tallow.IntegrationTests.Infrastructure;

public sealed class SshServer : IDisposable
{
    private const string Sshd = "/usr/sbin/sshd";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private readonly Process _process;
    private readonly MemoryStream _log = new();

    private SshServer(string root, int port, Process process)
    {
        Root = root;
        Port = port;
        _process = process;
        _ = ChildProcess.CaptureAsync(process.StandardError.BaseStream, _log);
    }

    /// <summary>The scratch folder (mode 0700): sshd's config and host key, the home, client keys.</summary>
    public string Root { get; }

    /// <summary>The home whose .ssh/authorized_keys sshd reads (not made: tallow makes .ssh).</summary>
    public string Home => Path.Combine(Root, "home");

    public int Port { get; }

    public string Log { get { lock (_log) { return System.Text.Encoding.UTF8.GetString(_log.ToArray()); } } }

    public static async Task<SshServer> StartAsync()
    {
        Assert.True(File.Exists(Sshd), $"{Sshd} is missing: ./setup.sh installs it (Debian package openssh-server)");
        string root = Path.Combine("/run", "tallow-it-ssh-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(Path.Combine(root, "home"));
        Directory.CreateDirectory("/run/sshd"); // sshd's privilege-separation folder
        Tool.Check(TimeSpan.FromSeconds(60), "ssh-keygen", "-q", "-t", "ed25519", "-N", string.Empty, "-f", Path.Combine(root, "host_key"));
        for (int attempt = 0; ; attempt++)
        {
            int port = FreePort();
            string config = Path.Combine(root, "sshd_config");
            File.WriteAllText(config, $"""
                ListenAddress 127.0.0.1
                Port {port}
                HostKey {root}/host_key
                PidFile none
                AuthorizedKeysFile {root}/home/.ssh/authorized_keys
                PermitRootLogin prohibit-password
                PubkeyAuthentication yes
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                UsePAM no
                StrictModes yes
                """);
            var info = new ProcessStartInfo(Sshd) { RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
            foreach (string arg in new[] { "-D", "-e", "-f", config })
            {
                info.ArgumentList.Add(arg);
            }

            var server = new SshServer(root, port, Process.Start(info)!);
            if (await server.ListeningAsync())
            {
                return server;
            }

            string log = server.Log;
            server.Dispose(keepRoot: true);
            if (attempt == 2)
            {
                Directory.Delete(root, recursive: true);
                throw new InvalidOperationException($"sshd did not start listening on 127.0.0.1:{port}:\n{log}");
            }
        }
    }

    /// <summary>`ssh -i KEY USER@127.0.0.1 true` with no config, agent or known hosts of this machine; exit 0 when the login worked.</summary>
    public ToolResult Login(string privateKey) => Tool.Run(
        TimeSpan.FromSeconds(30), "ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
        "-i", privateKey, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{Environment.UserName}@127.0.0.1", "true");

    private async Task<bool> ListeningAsync()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartTimeout && !_process.HasExited)
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, Port).WaitAsync(TimeSpan.FromSeconds(2));
                return true;
            }
            catch (Exception ex) when (ex is SocketException or TimeoutException)
            {
                await Task.Delay(100);
            }
        }

        return false;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose() => Dispose(keepRoot: false);

    private void Dispose(bool keepRoot)
    {
        ChildProcess.KillTree(_process);
        _process.WaitForExit(10_000);
        _process.Dispose();
        if (!keepRoot)
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
