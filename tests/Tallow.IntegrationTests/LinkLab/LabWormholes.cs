// magic-wormhole and wormhole-william in a ShapedLab, for the link benchmark (LinkBenchmark):
// the mailbox (rendezvous) server and the transit relay run in the lab's relay namespace on
// 10.0.0.10:4000/4001, like bench/compare.py runs them on loopback. wormhole-william has no option
// for the transit relay, so A's and B's namespaces get an /etc/netns/NS/hosts (ip netns exec
// bind-mounts it) that points its built-in transit.magic-wormhole.io at the relay namespace.
// Sender in A, receiver in B; the time is the receiver's, from its start to its exit (it includes
// the key exchange, a few round trips). The received file is checked by SHA-256. Dispose kills
// both servers by PID and removes the hosts files.
using System.Diagnostics;
using Tallow.IntegrationTests.Infrastructure;
using Tallow.IntegrationTests.NatLab;

namespace Tallow.IntegrationTests.LinkLab;

internal sealed class LabWormholes : IDisposable
{
    private const string MailboxUrl = $"ws://{ShapedLab.RelayIp}:4000/v1";
    private const string Transit = $"tcp:{ShapedLab.RelayIp}:4001";

    private readonly ShapedLab _lab;
    private readonly List<Process> _servers = [];
    private readonly string _work = Directory.CreateTempSubdirectory("labwh-").FullName;
    private int _codes;

    public LabWormholes(ShapedLab lab)
    {
        _lab = lab;
        foreach (string ns in new[] { lab.NamespaceA, lab.NamespaceB })
        {
            Directory.CreateDirectory($"/etc/netns/{ns}");
            File.WriteAllText($"/etc/netns/{ns}/hosts", $"127.0.0.1 localhost\n{ShapedLab.RelayIp} transit.magic-wormhole.io\n");
        }

        Start("twistd3", "-n", "--pidfile=", "--logfile=-", "wormhole-mailbox", $"--port=tcp:4000:interface={ShapedLab.RelayIp}", $"--channel-db={_work}/mailbox.sqlite");
        Start("twistd3", "-n", "--pidfile=", "--logfile=-", "transitrelay", $"--port=tcp:4001:interface={ShapedLab.RelayIp}");
        for (int i = 0; i < 100 && !(Listening(4000) && Listening(4001)); i++)
        {
            Thread.Sleep(100);
        }
    }

    public static bool Available => Tool.OnPath("twistd3") && Tool.OnPath("wormhole") && Tool.OnPath("wormhole-william");

    /// <summary>One transfer of <paramref name="file"/>: seconds (receiver start to exit), or null when it failed or the hash differs.</summary>
    public double? Transfer(string tool, bool relayOnly, string file, string sha, TimeSpan timeout)
    {
        string code = $"{++_codes + 10}-purple-sausages";
        string outDir = Directory.CreateTempSubdirectory("labwh-out-").FullName;
        string received = Path.Combine(outDir, Path.GetFileName(file));
        try
        {
            string[] sendArgs, receiveArgs;
            if (tool == "magic-wormhole")
            {
                string[] noListen = relayOnly ? ["--no-listen"] : [];
                sendArgs = ["wormhole", "--relay-url", MailboxUrl, "--transit-helper", Transit, "send", "--hide-progress", "--code", code, .. noListen, file];
                receiveArgs = ["wormhole", "--relay-url", MailboxUrl, "--transit-helper", Transit, "receive", "--hide-progress", "--accept-file", "-o", received, .. noListen, code];
            }
            else
            {
                sendArgs = ["wormhole-william", "--relay-url", MailboxUrl, "send", "--hide-progress", "--code", code, file];
                receiveArgs = ["wormhole-william", "--relay-url", MailboxUrl, "receive", "--hide-progress", code];
            }

            using Process sender = Spawn(_lab.NamespaceA, sendArgs, _work);
            Thread.Sleep(1000); // the sender claims the code on the mailbox first
            long started = Stopwatch.GetTimestamp();
            using Process receiver = Spawn(_lab.NamespaceB, receiveArgs, outDir);
            receiver.StandardInput.Write("y\n"); // wormhole-william asks
            receiver.StandardInput.Close();
            bool done = receiver.WaitForExit(timeout);
            double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            sender.WaitForExit(TimeSpan.FromSeconds(done ? 30 : 1));
            Kill(receiver);
            Kill(sender);
            return done && receiver.ExitCode == 0 && File.Exists(received) && TempDir.Sha256(received) == sha ? seconds : null;
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    public void Dispose()
    {
        foreach (Process p in _servers)
        {
            Kill(p);
            p.Dispose();
        }

        foreach (string ns in new[] { _lab.NamespaceA, _lab.NamespaceB })
        {
            Directory.Delete($"/etc/netns/{ns}", recursive: true);
        }

        Directory.Delete(_work, recursive: true);
    }

    private void Start(params string[] args) => _servers.Add(Spawn(_lab.RelayNamespace, args, _work));

    private bool Listening(int port) => Netns.Exec(_lab.RelayNamespace, "ss", "-Hltn", $"sport = :{port}").Contains(':' + port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private static Process Spawn(string ns, string[] args, string cwd)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = cwd };
        foreach (string a in new[] { "netns", "exec", ns }.Concat(args))
        {
            info.ArgumentList.Add(a);
        }

        Process p = Process.Start(info)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static void Kill(Process p)
    {
        try
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }
}
