// The client's config.toml (ClientConfigFile): every key read with its line; hostile input (a huge
// file, wrong types, duplicates, unknown keys, tables, broken syntax, a BOM, CRLF line ends,
// arbitrary text) gives a usage error naming the file, key and line, or parses, and never throws
// anything else; secrets never appear in a message; relay-pass in a file others can read is refused.
using FsCheck;
using FsCheck.Fluent;
using Tallow.Cli.Commands;
using Tallow.Protocol;

namespace Tallow.Tests.Cli;

public class ClientConfigFileTests
{
    private const string FullFile = """
        # every client setting
        relay = "tls://relay.example.org:4433"   # trailing comment
        relay-fingerprint = "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89"
        relay-pass = "pw-from-file"
        proxy = "socks5://127.0.0.1:1080"
        no-p2p = true
        out = "~/Downloads"
        words = 4
        history = false
        """;

    [Fact]
    public void Every_key_is_read_with_its_line()
    {
        ClientConfigFile file = ClientConfigFile.Parse(FullFile, "config.toml", environmentHome: "/home/ann");
        Assert.Equal("tls://relay.example.org:4433", file.Relay.ToString());
        Assert.StartsWith("AB:CD:EF:01", file.RelayFingerprint, StringComparison.Ordinal);
        Assert.Equal("pw-from-file", file.RelayPass);
        Assert.Equal("socks5://127.0.0.1:1080", file.Proxy!.ToString());
        Assert.True(file.NoP2P);
        Assert.Equal("/home/ann/Downloads", file.Out);
        Assert.Equal(4, file.Words);
        Assert.False(file.History);
        Assert.Equal(2, file.Lines["relay"]);
        Assert.Equal(9, file.Lines["history"]);
        Assert.Equal("config.toml:7", file.SourceOf("out"));
    }

    [Theory]
    [InlineData("relay = 5\n", 1, "'relay' must be a string, not an integer")]
    [InlineData("\n\nwords = \"three\"\n", 3, "'words' must be an integer, not a string")]
    [InlineData("words = 99\n", 1, "'words' = 99 is out of range (2-8)")]
    [InlineData("no-p2p = \"yes\"\n", 1, "'no-p2p' must be true or false, not a string")]
    [InlineData("history = 1\n", 1, "'history' must be true or false, not an integer")]
    [InlineData("out = [\"a\"]\n", 1, "'out' must be a string, not an array")]
    [InlineData("out = \"\"\n", 1, "'out' is empty")]
    [InlineData("relay = \"host:99999\"\n", 1, "'relay' is not a relay address")]
    [InlineData("relay-fingerprint = \"abc\"\n", 1, "'relay-fingerprint' is not a SHA-256 fingerprint")]
    [InlineData("words = 3\nrelay = \"a:1\"\nwords = 4\n", 3, "key 'words' is set twice (first on line 1)")]
    [InlineData("relay = \"a:1\"\ncolour = \"blue\"\n", 2, "unknown key 'colour'. Known keys: relay, relay-fingerprint")]
    [InlineData("words = 3\n[server]\nrelay = \"a:1\"\n", 2, "tables ([...]) are not used by the tallow config file")]
    [InlineData("relay = \"a:1\"\nwords = \n", 2, "not valid TOML")]
    [InlineData("a.b = 1\n", 1, "unknown key 'a.b'")]
    public void Bad_input_is_a_usage_error_naming_the_file_key_and_line(string text, int line, string expected)
    {
        TallowException error = Assert.Throws<TallowException>(() => ClientConfigFile.Parse(text, "/cfg/config.toml"));
        Assert.Equal(FailureKind.Usage, error.Kind);
        Assert.Contains($"/cfg/config.toml, line {line}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fingerprint_for_a_plain_relay_is_refused_with_the_fix()
    {
        string pin = string.Concat(Enumerable.Repeat("ab", 32));
        TallowException error = Assert.Throws<TallowException>(() => ClientConfigFile.Parse($"relay = \"r:1\"\nrelay-fingerprint = \"{pin}\"\n", "c.toml"));
        Assert.Contains("c.toml, line 2: 'relay-fingerprint' needs a TLS relay: write relay = \"tls://r:1\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bom_and_crlf_line_ends_are_read_like_plain_text()
    {
        ClientConfigFile file = ClientConfigFile.Parse("\uFEFF# settings\r\nrelay = \"127.0.0.1:4433\"\r\nwords = 5\r\n", "c.toml");
        Assert.Equal("127.0.0.1:4433", file.Relay.ToString());
        Assert.Equal(5, file.Words);
        Assert.Equal(3, file.Lines["words"]);

        TallowException error = Assert.Throws<TallowException>(() => ClientConfigFile.Parse("\uFEFFwords = 3\r\nwords = 4\r\n", "c.toml"));
        Assert.Contains("c.toml, line 2: key 'words' is set twice", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("relay-pass = \"s3cret-value\"\nrelay-pass = \"s3cret-value\"\n")]
    [InlineData("relay-pass = [\"s3cret-value\"]\n")]
    [InlineData("proxy = \"socks5://ann:s3cret-value@\"\n")]
    [InlineData("proxy = \"http://ann:s3cret-value@host:1\"\n")]
    [InlineData("relay-pass = \"s3cret-value\n")]
    [InlineData("relay-pass = \"s3cret-value\"\n[t]\n")]
    [InlineData("relay-pass = s3cret-value\n")]
    [InlineData("relay-pass = 's3cret-value\n")]
    [InlineData("relay-pass = \"\"\"s3cret-value\n")]
    [InlineData("relay-pass = \"s3cret-value\" extra\n")]
    [InlineData("relay-pass = \"s3cret\\qvalue\"\n")]
    [InlineData("relay-pass \"s3cret-value\"\n")] // found by fuzz/client-config: "Expecting `=` after a key instead of <token>"
    [InlineData("relay-pass s3cret-value\n")]
    [InlineData("relay-pass 's3cret-value'\n")]
    [InlineData("out = [1, s3cret-value]\n")]
    [InlineData("out = {a = 1 s3cret-value}\n")]
    public void Errors_never_show_a_secret(string text)
    {
        TallowException error = Assert.Throws<TallowException>(() => ClientConfigFile.Parse(text, "c.toml"));
        Assert.Equal(FailureKind.Usage, error.Kind);
        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Arbitrary_text_parses_or_is_a_usage_error()
    {
        Gen<string> pieces = Gen.Elements("relay", "words", "=", "\"", "'", "[", "]", "{", "}", "\n", "\r\n", "#", "\\", "3", "true", " ", ".", "\uFEFF", "\u0000", "é", "\"\"\"");
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000), Prop.ForAll(Gen.ArrayOf(pieces).Select(p => string.Concat(p)).ToArbitrary(), text =>
        {
            try
            {
                ClientConfigFile.Parse(text, "c.toml");
            }
            catch (TallowException e)
            {
                Assert.Equal(FailureKind.Usage, e.Kind);
            }
        }));
    }

    [Fact]
    public void A_huge_file_is_refused_without_being_read()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "config.toml");
        using (FileStream stream = File.Create(path))
        {
            stream.SetLength(ClientConfigFile.MaxFileBytes + 1); // sparse: nothing to read into memory
        }

        TallowException error = Assert.Throws<TallowException>(() => ClientConfigFile.Locate(path, _ => null));
        Assert.Equal(FailureKind.Usage, error.Kind);
        Assert.Contains($"is {ClientConfigFile.MaxFileBytes + 1} bytes; a tallow config file is at most {ClientConfigFile.MaxFileBytes} bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_file_is_found_by_flag_then_TALLOW_CONFIG_then_XDG_CONFIG_HOME_then_HOME()
    {
        using var dir = new TempFolder();
        string xdg = Path.Combine(dir.Path, "xdg");
        Directory.CreateDirectory(Path.Combine(xdg, "tallow"));
        File.WriteAllText(Path.Combine(xdg, "tallow", "config.toml"), "words = 5\n");
        string named = Path.Combine(dir.Path, "named.toml");
        File.WriteAllText(named, "words = 6\n");
        string other = Path.Combine(dir.Path, "other.toml");
        File.WriteAllText(other, "words = 7\n");
        var env = new Dictionary<string, string?> { ["XDG_CONFIG_HOME"] = xdg, ["HOME"] = "/nonexistent" };

        Assert.Equal(5, ClientConfigFile.Locate(null, k => env.GetValueOrDefault(k)).Words);
        env["TALLOW_CONFIG"] = named;
        Assert.Equal(6, ClientConfigFile.Locate(null, k => env.GetValueOrDefault(k)).Words);
        Assert.Equal(7, ClientConfigFile.Locate(other, k => env.GetValueOrDefault(k)).Words);

        // Missing at the default location: no settings. Missing where named: an error.
        ClientConfigFile none = ClientConfigFile.Locate(null, k => k == "HOME" ? dir.Path : null);
        Assert.False(none.Exists);
        Assert.Equal(Path.Combine(dir.Path, ".config", "tallow", "config.toml"), none.Path);
        Assert.Equal(Path.Combine("/x", "tallow", "config.toml"), ClientConfigFile.DefaultPath(k => k == "XDG_CONFIG_HOME" ? "/x" : "/home/ann"));
        Assert.Equal("/home/ann/.config/tallow/config.toml", ClientConfigFile.DefaultPath(k => k == "XDG_CONFIG_HOME" ? "relative" : "/home/ann"));
        TallowException missing = Assert.Throws<TallowException>(() => ClientConfigFile.Locate(Path.Combine(dir.Path, "nope.toml"), _ => null));
        Assert.Contains("--config: the file", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_password_in_a_file_others_can_read_is_refused_like_ssh_does()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "config.toml");
        File.WriteAllText(path, "relay = \"r:1\"\nrelay-pass = \"s3cret-value\"\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        TallowException error = Assert.Throws<TallowException>(() => ClientConfigFile.Locate(path, _ => null));
        Assert.Contains($"{path}, line 2: 'relay-pass' is in a file other users can read or change: run 'chmod 600 {path}'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal("s3cret-value", ClientConfigFile.Locate(path, _ => null).RelayPass);

        // Without a password the permissions do not matter.
        File.WriteAllText(path, "relay = \"r:1\"\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        Assert.Equal("r:1", ClientConfigFile.Locate(path, _ => null).Relay.ToString());
    }

    /// <summary>A temporary folder removed at the end of a test.</summary>
    internal sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("tallow-config-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
