// scripts/package.sh, checked as a user would: the .deb is installed on this machine with dpkg -i, the
// INSTALLED /usr/bin/tallow moves a file (checked by SHA-256) through a real relay, its man page and
// completions are where the shells look, the relay service is installed but not enabled; then the
// package is purged (also when the test fails). The tar.gz is unpacked and its binary run. Both are
// built once, from the already published artifacts/tallow/tallow (no second publish).
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

/// <summary>Builds the .deb and the tar.gz once for the class, into a scratch folder.</summary>
public sealed class PackagesFixture : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly Lazy<(string Deb, string Tarball)> _built;

    public PackagesFixture() => _built = new(Build);

    public string Deb => _built.Value.Deb;

    public string Tarball => _built.Value.Tarball;

    public string Scratch => _dir.Path;

    private (string, string) Build()
    {
        string script = Path.Combine(Repo.Root, "scripts", "package.sh");
        string output = Tool.Check(TimeSpan.FromMinutes(5), script, "--binary", Path.GetDirectoryName(Repo.TallowBinary)!, "--out", _dir.Combine("packages"));
        string[] paths = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string deb = paths.Single(p => p.EndsWith(".deb", StringComparison.Ordinal));
        string tarball = paths.Single(p => p.EndsWith(".tar.gz", StringComparison.Ordinal));
        Assert.True(File.Exists(deb) && File.Exists(tarball), "package.sh printed paths that do not exist:\n" + output);
        return (deb, tarball);
    }

    public void Dispose() => _dir.Dispose();
}

public sealed class PackageTests(PackagesFixture packages) : IClassFixture<PackagesFixture>
{
    private const string Installed = "/usr/bin/tallow";
    private static readonly TimeSpan DpkgTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Why the .deb cannot be installed here for a test (the test then fails, saying so), or null when it can.</summary>
    private static string? InstallUnavailableReason()
    {
        if (!OperatingSystem.IsLinux() || !Tool.OnPath("dpkg") || !Tool.OnPath("dpkg-deb"))
        {
            return "the package install test needs Debian's dpkg";
        }

        if (Environment.UserName != "root")
        {
            return "the package install test needs root (dpkg -i); CI runs it as root";
        }

        // An installed tallow package (a user's own) is never replaced or purged by the test.
        if (Tool.Run(TimeSpan.FromSeconds(30), "dpkg-query", "-W", "-f=${Status}", "tallow").Stdout.Contains("installed", StringComparison.Ordinal))
        {
            return "a tallow package is already installed on this machine; the test does not replace it";
        }

        // dpkg holds an fcntl lock on lock-frontend while apt or dpkg runs.
        if (Tool.OnPath("python3")
            && Tool.Run(TimeSpan.FromSeconds(30), "python3", "-c", "import fcntl; fcntl.lockf(open('/var/lib/dpkg/lock-frontend', 'w'), fcntl.LOCK_EX | fcntl.LOCK_NB)").ExitCode != 0)
        {
            return "dpkg is locked (apt or dpkg is running): the package install test cannot install now";
        }

        return null;
    }

    [Fact]
    public async Task Installed_deb_transfers_a_file_and_ships_man_page_completions_and_relay_unit()
    {
        string? unavailable = InstallUnavailableReason();
        Assert.True(unavailable is null, unavailable);
        using var dir = new TempDir();
        try
        {
            string install = Tool.Check(DpkgTimeout, "dpkg", "-i", packages.Deb);
            Assert.True(File.Exists(Installed), "dpkg -i did not install " + Installed + ":\n" + install);
            Assert.Equal("/usr/lib/tallow/tallow", new FileInfo(Installed).ResolveLinkTarget(returnFinalTarget: true)?.FullName);

            // A real transfer by the installed binary on both sides, through a relay process.
            await using RelayProcess relay = await RelayProcess.StartAsync();
            string source = dir.WriteRandomFile(Path.Combine("src", "photo.raw"), (3 * 65536) + 11);
            string outDir = dir.Combine("out");
            var withHistory = new Dictionary<string, string?> { ["XDG_STATE_HOME"] = dir.Combine("state"), ["TALLOW_NO_HISTORY"] = "0" }; // e_sqlite3 loads from /usr/lib/tallow
            TransferRun run = await Transfer.RunAsync(relay, [source], code => [code, "--out", outDir, "--yes", "--json"], binary: Installed, senderEnv: withHistory);
            await using (run.AsDisposable())
            {
                Check.Succeeded(run);
                Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, "photo.raw")));
                Assert.Empty(Check.Events(run.Sender, "notice")); // no "history could not be recorded"
            }

            string history = Tool.Check(TimeSpan.FromSeconds(30), "env", $"XDG_STATE_HOME={dir.Combine("state")}", Installed, "history", "--json");
            Assert.Contains("\"photo.raw\"", history, StringComparison.Ordinal);

            string version = Tool.Check(TimeSpan.FromSeconds(30), Installed, "--version").Trim();
            Assert.Contains(version.Split('+')[0], Path.GetFileName(packages.Deb), StringComparison.Ordinal);

            // The man page: gzipped roff that lists every command, readable with man.
            string roff = Tool.Check(TimeSpan.FromSeconds(30), "zcat", "/usr/share/man/man1/tallow.1.gz");
            Assert.StartsWith(".TH TALLOW 1", roff, StringComparison.Ordinal);
            foreach (string command in new[] { "tallow send", "tallow receive", "tallow relay serve", "tallow completion" })
            {
                Assert.Contains(".SS " + command.Replace("-", "\\-", StringComparison.Ordinal) + " ", roff, StringComparison.Ordinal);
            }

            if (Tool.OnPath("man"))
            {
                string page = Tool.Check(TimeSpan.FromSeconds(30), "man", "-P", "cat", "-l", "/usr/share/man/man1/tallow.1.gz");
                Assert.Contains("NAME", page, StringComparison.Ordinal);
                Assert.Contains("--relay-fingerprint", page, StringComparison.Ordinal);
            }

            // Completions where bash-completion, zsh and fish look; bash loads the installed one.
            Assert.True(File.Exists("/usr/share/zsh/vendor-completions/_tallow"), "zsh completion missing");
            Assert.True(File.Exists("/usr/share/fish/vendor_completions.d/tallow.fish"), "fish completion missing");
            string bash = Tool.Check(TimeSpan.FromSeconds(30), "bash", "--norc", "--noprofile", "-c",
                "source /usr/share/bash-completion/completions/tallow && COMP_WORDS=(tallow rec) COMP_CWORD=1 && _tallow && echo \"${COMPREPLY[*]}\"");
            Assert.Equal("receive", bash.Trim());

            // The relay service: installed with the packaged binary's path and its settings file, not enabled.
            string unit = File.ReadAllText("/lib/systemd/system/tallow-relay.service");
            Assert.Contains("ExecStart=/usr/bin/tallow relay serve --config /etc/tallow/relay.toml", unit, StringComparison.Ordinal);
            Assert.True(File.Exists("/etc/tallow/relay.toml"), "relay.toml missing");
            Assert.False(File.Exists("/etc/systemd/system/multi-user.target.wants/tallow-relay.service"), "the relay service was enabled on install");
        }
        finally
        {
            ToolResult purge = Tool.Run(DpkgTimeout, "dpkg", "--purge", "tallow");
            Assert.True(purge.ExitCode == 0, "dpkg --purge tallow failed: " + purge.Output);
        }

        Assert.False(File.Exists(Installed), "dpkg --purge left " + Installed);
        Assert.False(File.Exists("/etc/tallow/relay.toml"), "dpkg --purge left /etc/tallow/relay.toml");
    }

    [Fact]
    public void Tarball_unpacks_into_a_folder_whose_binary_runs()
    {
        using var dir = new TempDir();
        Tool.Check(TimeSpan.FromMinutes(1), "tar", "-xzf", packages.Tarball, "-C", dir.Path);
        string name = Path.GetFileName(packages.Tarball)[..^".tar.gz".Length];
        string top = dir.Combine(name);
        string binary = Path.Combine(top, "tallow");

        string version = Tool.Check(TimeSpan.FromSeconds(30), binary, "--version").Trim();
        Assert.StartsWith("tallow-" + version.Split('+')[0] + "-linux-x64", name, StringComparison.Ordinal);
        foreach (string file in new[] { "libsodium.so", "libblake3_dotnet.so", "libe_sqlite3.so", "tallow.1", "README.md", "COPYRIGHT", "completions/tallow.bash", "completions/_tallow", "completions/tallow.fish", "systemd/tallow-relay.service", "systemd/relay.toml" })
        {
            Assert.True(File.Exists(Path.Combine(top, file)), $"{file} is missing from {name}.tar.gz");
        }

        // The shipped bash completion is the one this binary writes.
        Assert.Equal(Tool.Check(TimeSpan.FromSeconds(30), binary, "completion", "bash"), File.ReadAllText(Path.Combine(top, "completions", "tallow.bash")));
        Assert.True(new FileInfo(binary).UnixFileMode.HasFlag(UnixFileMode.UserExecute), "the binary is not executable");
    }
}
