// The client config file end to end (issue 15): real `tallow` processes with XDG_CONFIG_HOME
// pointing at a temporary folder, real relays on 127.0.0.1. A transfer whose relay, words and
// receive folder come only from the file (files checked by hash); a flag overriding the file;
// `tallow config` naming each setting's source; an error naming the file, key and line (exit 2).
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class ConfigFileTests(OpenAndPasswordRelayFixture fixture) : IClassFixture<OpenAndPasswordRelayFixture>
{
    /// <summary>A folder usable as XDG_CONFIG_HOME with <paramref name="toml"/> as tallow/config.toml (mode 600).</summary>
    internal static Dictionary<string, string?> ConfigHome(TempDir dir, string name, string toml)
    {
        string home = dir.Combine(name);
        Directory.CreateDirectory(Path.Combine(home, "tallow"));
        string path = Path.Combine(home, "tallow", "config.toml");
        File.WriteAllText(path, toml);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return new Dictionary<string, string?> { ["XDG_CONFIG_HOME"] = home };
    }

    internal static string ConfigPath(Dictionary<string, string?> env) => Path.Combine(env["XDG_CONFIG_HOME"]!, "tallow", "config.toml");

    [Fact]
    public async Task A_transfer_takes_relay_password_words_and_out_from_the_config_files_alone()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile(Path.Combine("src", "report.bin"), 300_000);
        string outDir = dir.Combine("received");
        string password = OpenAndPasswordRelayFixture.Password.Replace("\"", "\\\"", StringComparison.Ordinal);
        Dictionary<string, string?> senderEnv = ConfigHome(dir, "sender-config", $"relay = \"{fixture.Protected.Address}\"\nrelay-pass = \"{password}\"\nwords = 4\n");
        Dictionary<string, string?> receiverEnv = ConfigHome(dir, "receiver-config", $"# receiving side\nrelay = \"{fixture.Protected.Address}\"\nrelay-pass = \"{password}\"\nout = \"{outDir}\"\n");

        await using TallowProcess sender = TallowProcess.Start(["send", source, "--json"], environment: senderEnv);
        JsonElement codeEvent = await sender.WaitForEventAsync("code", Check.ShortTimeout);
        string code = codeEvent.GetProperty("code").GetString()!;
        Assert.Equal(fixture.Protected.Address, codeEvent.GetProperty("relay").GetString());
        Assert.True(codeEvent.GetProperty("relay_password_required").GetBoolean());
        Assert.Equal(5, code.Split('-').Length); // the number and the file's 4 words

        await using TallowProcess receiver = TallowProcess.Start(["receive", code, "--yes", "--json"], environment: receiverEnv);
        Check.Exit(0, await receiver.WaitForExitAsync(Transfer.DefaultTimeout), receiver, "receiver");
        Check.Exit(0, await sender.WaitForExitAsync(Transfer.DefaultTimeout), sender, "sender");
        string received = Path.Combine(outDir, "report.bin");
        Assert.True(File.Exists(received), $"missing {received}\n{Check.Describe(receiver, "receiver")}");
        Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(received));
        Assert.DoesNotContain(OpenAndPasswordRelayFixture.Password, sender.Stdout + sender.Stderr + receiver.Stdout + receiver.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flags_override_the_config_file()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("flagged.bin", 70_000);
        string outDir = dir.Combine("out");
        // The file names a relay nobody listens on and 6 words: the flags must win on both sides.
        Dictionary<string, string?> env = ConfigHome(dir, "config", $"relay = \"127.0.0.1:{Check.ClosedPort()}\"\nwords = 6\n");

        await using TallowProcess sender = TallowProcess.Start(["send", source, "--relay", fixture.Open.Address, "--words", "2", "--json"], environment: env);
        JsonElement codeEvent = await sender.WaitForEventAsync("code", Check.ShortTimeout);
        string code = codeEvent.GetProperty("code").GetString()!;
        Assert.Equal(3, code.Split('-').Length);

        await using TallowProcess receiver = TallowProcess.Start(["receive", code, "--relay", fixture.Open.Address, "--out", outDir, "--yes", "--json"], environment: env);
        Check.Exit(0, await receiver.WaitForExitAsync(Transfer.DefaultTimeout), receiver, "receiver");
        Check.Exit(0, await sender.WaitForExitAsync(Transfer.DefaultTimeout), sender, "sender");
        Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, "flagged.bin")));
    }

    [Fact]
    public async Task Tallow_config_shows_each_settings_value_and_source_but_never_the_password()
    {
        using var dir = new TempDir();
        Dictionary<string, string?> env = ConfigHome(dir, "config", "# my settings\nrelay = \"relay.example.org:4433\"\nrelay-pass = \"file-s3cret\"\nwords = 5\nno-p2p = true\n");
        string path = ConfigPath(env);
        env["TALLOW_PROXY"] = "socks5://ann:proxy-s3cret@127.0.0.1:1080";

        await using TallowProcess config = TallowProcess.Start(["config", "--words", "7"], environment: env);
        Check.Exit(0, await config.WaitForExitAsync(Check.ShortTimeout), config, "config");
        string[] lines = config.Stdout.Split('\n');
        string Line(string key) => lines.Single(l => l.StartsWith(key + " ", StringComparison.Ordinal));
        Check.Contains($"{path} (read)", lines[0], config.Stdout);
        Assert.Matches($@"^relay +relay\.example\.org:4433 +file {path}:2$", Line("relay"));
        Assert.Matches($@"^relay-pass +\(set\) +file {path}:3$", Line("relay-pass"));
        Assert.Matches(@"^words +7 +flag --words$", Line("words"));
        Assert.Matches($@"^no-p2p +true +file {path}:5$", Line("no-p2p"));
        Assert.Matches(@"^proxy +socks5://ann:\*\*\*@127\.0\.0\.1:1080 +env TALLOW_PROXY$", Line("proxy"));
        Assert.Matches(@"^out +\. +default$", Line("out"));
        Assert.DoesNotContain("s3cret", config.Stdout + config.Stderr, StringComparison.Ordinal);

        env["TALLOW_RELAY"] = "127.0.0.1:9";
        await using TallowProcess json = TallowProcess.Start(["config", "--json"], environment: env);
        Check.Exit(0, await json.WaitForExitAsync(Check.ShortTimeout), json, "config --json");
        JsonElement relay = Check.Events(json, "setting").Single(e => e.GetProperty("key").GetString() == "relay");
        Assert.Equal(("127.0.0.1:9", "environment", "TALLOW_RELAY"), (relay.GetProperty("value").GetString(), relay.GetProperty("source").GetString(), relay.GetProperty("where").GetString()));
        JsonElement pass = Check.Events(json, "setting").Single(e => e.GetProperty("key").GetString() == "relay-pass");
        Assert.Equal("(not set)", pass.GetProperty("value").GetString()); // the file's password belongs to the file's relay only
        Assert.DoesNotContain("s3cret", json.Stdout + json.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("relay = \"127.0.0.1:9\"\n\nwords = \"four\"\n", 3, "'words' must be an integer, not a string")]
    [InlineData("relay-pass = \"file-s3cret\"\nrelay-pass = \"file-s3cret\"\n", 2, "key 'relay-pass' is set twice (first on line 1)")]
    [InlineData("words = 3\ncolour = \"blue\"\n", 2, "unknown key 'colour'")]
    public async Task A_bad_config_file_stops_every_command_with_its_file_key_and_line(string toml, int line, string expected)
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("x.bin", 10);
        Dictionary<string, string?> env = ConfigHome(dir, "config", toml);
        foreach (string[] args in new[] { ["send", source, "--json"], ["receive", "7-alpha-beta", "--json"], ["config", "--json"], new[] { "doctor", "--json" } })
        {
            await using TallowProcess process = TallowProcess.Start(args, environment: env);
            Check.Exit(2, await process.WaitForExitAsync(Check.ShortTimeout), process, args[0]);
            string message = Check.ErrorMessage(process, args[0], 2);
            Check.Contains($"{ConfigPath(env)}, line {line}: {expected}", message, Check.Describe(process, args[0]));
            Assert.DoesNotContain("s3cret", process.Stdout + process.Stderr, StringComparison.Ordinal);
        }
    }
}
