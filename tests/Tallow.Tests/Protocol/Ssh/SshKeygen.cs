// The real ssh-keygen (Debian openssh-client, installed by ./setup.sh) for the SSH key tests: keys
// generated into a scratch folder, and `ssh-keygen -lf` as the reference for sizes, fingerprints
// and type labels. Bounded by a timeout; a missing ssh-keygen fails with the setup hint.
using System.Diagnostics;

namespace Tallow.Tests.Protocol.Ssh;

internal sealed class SshKeygen : IDisposable
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("tallow-sshkey-").FullName;

    /// <summary>Generates a key pair without a passphrase; returns the private key's path (the public one is path + ".pub").</summary>
    public string Generate(string type, int? bits, string comment, string name, params string[] extra)
    {
        string path = Path.Combine(Folder, name);
        string[] size = bits is int b ? ["-b", b.ToString(System.Globalization.CultureInfo.InvariantCulture)] : [];
        Run(["-q", "-t", type, .. size, "-N", string.Empty, "-C", comment, "-f", path, .. extra]);
        return path;
    }

    /// <summary>`ssh-keygen -lf FILE`'s line: "bits SHA256:… comment (TYPE)".</summary>
    public static string Fingerprint(string file) => Run(["-lf", file]).Trim();

    public static string Run(string[] args)
    {
        var info = new ProcessStartInfo("ssh-keygen") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(info) ?? throw new InvalidOperationException("ssh-keygen is missing: ./setup.sh installs openssh-client");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"ssh-keygen {string.Join(' ', args)} did not finish");
        }

        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"ssh-keygen {string.Join(' ', args)} failed: {stderr.Result}");
        return stdout.Result;
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
