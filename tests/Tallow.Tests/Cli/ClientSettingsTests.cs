// Precedence of the client settings (ClientSettings, CommonOptions.Settings): a flag given on the
// command line > an environment variable > the config file > the default, with each setting's
// source; the file's pin and password only for the file's relay; --no-p2p false overrides the file.
using System.CommandLine;
using Tallow.Cli.Commands;
using Tallow.Net.Session;
using Tallow.Protocol;

namespace Tallow.Tests.Cli;

public class ClientSettingsTests
{
    private static readonly string Pin = string.Concat(Enumerable.Repeat("ab", 32));

    private static readonly ClientConfigFile File = ClientConfigFile.Parse(
        $"relay = \"tls://file.example:4433\"\nrelay-fingerprint = \"{Pin}\"\nrelay-pass = \"file-pw\"\nproxy = \"socks5://127.0.0.1:1080\"\nno-p2p = true\nout = \"/srv/in\"\nwords = 5\nhistory = false\n",
        "/c/config.toml");

    private static readonly Func<string, string?> NoEnvironment = _ => null;

    [Fact]
    public void The_file_wins_over_the_defaults_and_says_its_line()
    {
        ClientSettings s = ClientSettings.Resolve(new ClientFlags(), File, NoEnvironment);
        Assert.Equal(new RelayAddress("file.example", 4433, Tls: true), s.Relay.Value);
        Assert.Equal((SettingSource.File, "/c/config.toml:1"), (s.Relay.Source, s.Relay.Where));
        Assert.Equal("/c/config.toml:2", s.RelayFingerprint.Where);
        Assert.Equal("file-pw", s.RelayPass.Value);
        Assert.Equal("/c/config.toml:4", s.Proxy.Where);
        Assert.True(s.NoP2P.Value);
        Assert.Equal("/srv/in", s.Out.Value);
        Assert.Equal(5, s.Words.Value);
        Assert.False(s.History.Value);
        Assert.Equal("/c/config.toml:8", s.History.Where);

        ClientSettings defaults = ClientSettings.Resolve(new ClientFlags(), new ClientConfigFile(), NoEnvironment);
        Assert.Null(defaults.Relay.Value);
        Assert.Equal(SettingSource.Default, defaults.Relay.Source);
        Assert.Equal((".", 3, true, false), (defaults.Out.Value, defaults.Words.Value, defaults.History.Value, defaults.NoP2P.Value));
        Assert.Null(defaults.RelayPass.Value);
        Assert.Null(defaults.Proxy.Value);
    }

    [Fact]
    public void The_environment_wins_over_the_file_and_flags_over_both()
    {
        var env = new Dictionary<string, string?>
        {
            ["TALLOW_RELAY"] = "env.example:1",
            ["TALLOW_RELAY_PASS"] = "env-pw",
            ["TALLOW_PROXY"] = "socks5://127.0.0.1:2080",
        };
        ClientSettings fromEnv = ClientSettings.Resolve(new ClientFlags(), File, k => env.GetValueOrDefault(k));
        Assert.Equal(("env.example:1", SettingSource.Environment, "TALLOW_RELAY"), (fromEnv.Relay.Value.ToString(), fromEnv.Relay.Source, fromEnv.Relay.Where));
        Assert.Equal(("env-pw", "TALLOW_RELAY_PASS"), (fromEnv.RelayPass.Value, fromEnv.RelayPass.Where));
        Assert.Equal("socks5://127.0.0.1:2080", fromEnv.Proxy.Value!.ToString());

        ClientSettings fromFlags = ClientSettings.Resolve(
            new ClientFlags(Relay: "flag.example:2", RelayPass: "flag-pw", Proxy: "socks5://127.0.0.1:3080", NoP2P: false, Out: "/tmp/o", Words: 2),
            File, k => env.GetValueOrDefault(k));
        Assert.Equal(("flag.example:2", SettingSource.Flag, "--relay"), (fromFlags.Relay.Value.ToString(), fromFlags.Relay.Source, fromFlags.Relay.Where));
        Assert.Equal("flag-pw", fromFlags.RelayPass.Value);
        Assert.Equal("socks5://127.0.0.1:3080", fromFlags.Proxy.Value!.ToString());
        Assert.Equal((false, SettingSource.Flag), (fromFlags.NoP2P.Value, fromFlags.NoP2P.Source));
        Assert.Equal(("/tmp/o", 2), (fromFlags.Out.Value, fromFlags.Words.Value));

        ClientSettings tor = ClientSettings.Resolve(new ClientFlags(Tor: true), File, k => env.GetValueOrDefault(k));
        Assert.True(tor.Proxy.Value!.IsTor);
        Assert.Throws<TallowException>(() => ClientSettings.Resolve(new ClientFlags(Tor: true, Proxy: "socks5://h:1"), File, NoEnvironment));
    }

    [Fact]
    public void The_files_pin_and_password_belong_to_the_files_relay_only()
    {
        // Another relay from the environment never receives the file's password or pin.
        ClientSettings other = ClientSettings.Resolve(new ClientFlags(), File, k => k == "TALLOW_RELAY" ? "tls://other.example:1" : null);
        Assert.Null(other.RelayPass.Value);
        Assert.Null(other.RelayFingerprint.Value);

        // The same relay given by flag still uses them.
        ClientSettings same = ClientSettings.Resolve(new ClientFlags(Relay: "tls://file.example:4433"), File, NoEnvironment);
        Assert.Equal("file-pw", same.RelayPass.Value);
        Assert.StartsWith("AB:AB", same.RelayFingerprint.Value, StringComparison.Ordinal);

        // An environment pin wins over the file's.
        string envPin = string.Concat(Enumerable.Repeat("cd", 32));
        ClientSettings pinned = ClientSettings.Resolve(new ClientFlags(), File, k => k == "TALLOW_RELAY_FINGERPRINT" ? envPin : null);
        Assert.Equal(("TALLOW_RELAY_FINGERPRINT", true), (pinned.RelayFingerprint.Where, pinned.RelayFingerprint.Value!.StartsWith("CD:CD", StringComparison.Ordinal)));
    }

    [Fact]
    public void Bad_flag_and_environment_values_are_usage_errors_that_hide_proxy_passwords()
    {
        TallowException relay = Assert.Throws<TallowException>(() => ClientSettings.Resolve(new ClientFlags(Relay: "host:notaport"), File, NoEnvironment));
        Assert.Equal(FailureKind.Usage, relay.Kind);
        TallowException proxy = Assert.Throws<TallowException>(() => ClientSettings.Resolve(new ClientFlags(), File, k => k == "TALLOW_PROXY" ? "http://u:s3cret@h:1" : null));
        Assert.Contains("TALLOW_PROXY is not a SOCKS5 proxy address", proxy.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", proxy.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Command_line_flags_reach_the_settings_only_when_given()
    {
        var common = new CommonOptions { Environment = k => k == "TALLOW_RELAY" ? "env.example:9" : null };
        var command = new Command("config");
        common.AddSettingsTo(command);
        using var dir = new ClientConfigFileTests.TempFolder();
        string path = Path.Combine(dir.Path, "config.toml");
        System.IO.File.WriteAllText(path, "no-p2p = true\nwords = 6\nout = \"/srv/in\"\n");

        ClientSettings notGiven = common.Settings(new RootCommand { command }.Parse(["config", "--config", path]));
        Assert.Equal(("env.example:9", SettingSource.Environment), (notGiven.Relay.Value.ToString(), notGiven.Relay.Source));
        Assert.Equal((true, 6, "/srv/in"), (notGiven.NoP2P.Value, notGiven.Words.Value, notGiven.Out.Value));

        var again = new CommonOptions { Environment = _ => null };
        var command2 = new Command("config");
        again.AddSettingsTo(command2);
        ClientSettings given = again.Settings(new RootCommand { command2 }.Parse(["config", "--config", path, "--no-p2p", "false", "--words", "3", "--out", "/x", "--relay", "r.example:1"]));
        Assert.Equal((false, 3, "/x"), (given.NoP2P.Value, given.Words.Value, given.Out.Value));
        Assert.Equal(("r.example:1", "--relay"), (given.Relay.Value.ToString(), given.Relay.Where));
    }
}
