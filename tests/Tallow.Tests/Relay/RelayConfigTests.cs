// `tallow relay serve --config`: the TOML file is parsed strictly (unknown keys and wrong types
// are usage errors naming the key and line), and the precedence is flag given > file > env > default.
using System.CommandLine;
using System.Net;
using Tallow.Cli.Commands;
using Tallow.Protocol;
using Tallow.Relay;

namespace Tallow.Tests.Relay;

public class RelayConfigTests
{
    private const string FullFile = """
        # every relay serve option
        bind = "127.0.0.1:5000"   # trailing comment
        pass = "from-file"
        metrics = "127.0.0.1:9191"
        probe-port = 5009
        max-connections = 77
        max-rooms = 33
        rate-per-ip = 2.5
        max-connections-per-ip = 40
        max-unpaired-per-ip = 0
        max-failed-claims = 9
        failed-claim-window = 30
        failed-claim-block = 45.5
        room-capacity = 7
        room-rate = 50.5
        room-burst = 300
        unpaired-timeout = 60
        idle-timeout = 90.5
        """;

    [Fact]
    public void Every_option_is_read_from_the_file()
    {
        RelayConfigFile file = RelayConfigFile.Parse(FullFile, "relay.toml");
        Assert.Equal("127.0.0.1:5000", file.Bind);
        Assert.Equal("from-file", file.Pass);
        Assert.Equal("127.0.0.1:9191", file.Metrics);
        Assert.Equal(5009, file.ProbePort);
        Assert.Equal(77, file.MaxConnections);
        Assert.Equal(33, file.MaxRooms);
        Assert.Equal(2.5, file.RatePerIp);
        Assert.Equal(40, file.MaxConnectionsPerIp);
        Assert.Equal(0, file.MaxUnpairedPerIp);
        Assert.Equal(9, file.MaxFailedClaims);
        Assert.Equal(30, file.FailedClaimWindow);
        Assert.Equal(45.5, file.FailedClaimBlock);
        Assert.Equal(7, file.RoomCapacity);
        Assert.Equal(50.5, file.RoomRate);
        Assert.Equal(300, file.RoomBurst);
        Assert.Equal(60, file.UnpairedTimeout);
        Assert.Equal(90.5, file.IdleTimeout);
        Assert.Equal(3, file.Lines["pass"]);

        RelayOptions options = Resolve(file, [], environmentPass: "from-env");
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:5000"), options.Bind);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:5009"), options.ProbeBind);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:9191"), options.MetricsBind);
        Assert.Equal("from-file", options.Password);
        Assert.Equal(77, options.MaxConnections);
        Assert.Equal(33, options.MaxRooms);
        Assert.Equal(2.5, options.ConnectionsPerSecondPerIp);
        Assert.Equal(40, options.MaxConnectionsPerAddress);
        Assert.Equal(0, options.MaxUnpairedRoomsPerAddress);
        Assert.Equal(9, options.MaxFailedClaimsPerAddress);
        Assert.Equal(TimeSpan.FromSeconds(30), options.FailedClaimWindow);
        Assert.Equal(TimeSpan.FromSeconds(45.5), options.FailedClaimBlock);
        Assert.Equal(7, options.MaxRoomMembers);
        Assert.Equal(50.5, options.RoomFramesPerSecond);
        Assert.Equal(300, options.RoomFrameBurst);
        Assert.Equal(TimeSpan.FromSeconds(60), options.UnpairedTimeout);
        Assert.Equal(TimeSpan.FromSeconds(90.5), options.IdleTimeout);
    }

    [Fact]
    public void An_empty_file_gives_the_defaults()
    {
        RelayOptions options = Resolve(RelayConfigFile.Parse("# nothing\n", "empty.toml"), []);
        Assert.Equal(IPEndPoint.Parse("0.0.0.0:4433"), options.Bind);
        Assert.Equal(IPEndPoint.Parse("0.0.0.0:4434"), options.ProbeBind);
        Assert.Null(options.Password);
        Assert.Null(options.MetricsBind);
        Assert.Equal(1000, options.MaxConnections);
        Assert.Equal(10_000, options.MaxRooms);
        Assert.Equal(20, options.ConnectionsPerSecondPerIp);
        Assert.Equal(TimeSpan.FromSeconds(600), options.UnpairedTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1800), options.IdleTimeout);

        // The per-address limits: the flags' defaults are the relay's own (RelayOptions).
        var defaults = new RelayOptions();
        Assert.Equal(defaults.MaxConnectionsPerAddress, options.MaxConnectionsPerAddress);
        Assert.Equal(defaults.MaxUnpairedRoomsPerAddress, options.MaxUnpairedRoomsPerAddress);
        Assert.Equal(defaults.MaxFailedClaimsPerAddress, options.MaxFailedClaimsPerAddress);
        Assert.Equal(defaults.FailedClaimWindow, options.FailedClaimWindow);
        Assert.Equal(defaults.FailedClaimBlock, options.FailedClaimBlock);
        Assert.Equal(20, options.MaxRoomMembers);
        Assert.Equal(defaults.MaxRoomMembers, options.MaxRoomMembers);
        Assert.Equal(defaults.RoomFramesPerSecond, options.RoomFramesPerSecond);
        Assert.Equal(defaults.RoomFrameBurst, options.RoomFrameBurst);
    }

    [Fact]
    public void Chat_room_limits_come_from_flags_over_the_file_and_are_range_checked()
    {
        RelayConfigFile file = RelayConfigFile.Parse(FullFile, "relay.toml");
        RelayOptions options = Resolve(file, ["--room-capacity", "2", "--room-rate", "0", "--room-burst", "5"]);
        Assert.Equal(2, options.MaxRoomMembers);
        Assert.Equal(0, options.RoomFramesPerSecond);
        Assert.Equal(5, options.RoomFrameBurst);

        TallowException tooMany = Assert.Throws<TallowException>(() => Resolve(new RelayConfigFile(), ["--room-capacity", "21"]));
        Assert.Contains("--room-capacity 21 must be at most 20", tooMany.Message, StringComparison.Ordinal);
        TallowException tooFew = Assert.Throws<TallowException>(() => Resolve(new RelayConfigFile(), ["--room-capacity", "1"]));
        Assert.Contains("--room-capacity 1 must be at least 2", tooFew.Message, StringComparison.Ordinal);
        TallowException negativeRate = Assert.Throws<TallowException>(() => Resolve(new RelayConfigFile(), ["--room-rate", "-1"]));
        Assert.Contains("--room-rate -1 must be a non-negative number of frames per second", negativeRate.Message, StringComparison.Ordinal);
        TallowException noBurst = Assert.Throws<TallowException>(() => Resolve(new RelayConfigFile(), ["--room-burst", "0"]));
        Assert.Contains("--room-burst 0 must be at least 1", noBurst.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Per_address_limits_come_from_flags_over_the_file_and_zero_turns_them_off()
    {
        RelayConfigFile file = RelayConfigFile.Parse(FullFile, "relay.toml");
        RelayOptions options = Resolve(file, ["--max-connections-per-ip", "0", "--max-unpaired-per-ip", "7", "--max-failed-claims", "3",
            "--failed-claim-window", "5", "--failed-claim-block", "600"]);
        Assert.Equal(0, options.MaxConnectionsPerAddress);
        Assert.Equal(7, options.MaxUnpairedRoomsPerAddress);
        Assert.Equal(3, options.MaxFailedClaimsPerAddress);
        Assert.Equal(TimeSpan.FromSeconds(5), options.FailedClaimWindow);
        Assert.Equal(TimeSpan.FromSeconds(600), options.FailedClaimBlock);

        TallowException negative = Assert.Throws<TallowException>(() => Resolve(new RelayConfigFile(), ["--max-failed-claims", "-1"]));
        Assert.Contains("--max-failed-claims -1 must be at least 0", negative.Message, StringComparison.Ordinal);
        TallowException zeroWindow = Assert.Throws<TallowException>(() => Resolve(new RelayConfigFile(), ["--failed-claim-block", "0"]));
        Assert.Contains("--failed-claim-block 0 must be a positive number of seconds", zeroWindow.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_flags_given_on_the_command_line_override_the_file()
    {
        RelayConfigFile file = RelayConfigFile.Parse(FullFile, "relay.toml");
        RelayOptions options = Resolve(file, ["--max-rooms", "5", "--bind", "127.0.0.1:6000", "--probe-port", "0", "--idle-timeout", "7"]);
        Assert.Equal(5, options.MaxRooms);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:6000"), options.Bind);
        Assert.Null(options.ProbeBind);
        Assert.Equal(TimeSpan.FromSeconds(7), options.IdleTimeout);

        // Not given: the file wins over the flags' defaults.
        Assert.Equal(77, options.MaxConnections);
        Assert.Equal(2.5, options.ConnectionsPerSecondPerIp);
        Assert.Equal(TimeSpan.FromSeconds(60), options.UnpairedTimeout);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:9191"), options.MetricsBind);
        Assert.Equal("from-file", options.Password);
    }

    [Fact]
    public void Password_precedence_is_flag_then_file_then_environment()
    {
        RelayConfigFile withPass = RelayConfigFile.Parse("pass = \"file-pw\"", "relay.toml");
        RelayConfigFile without = RelayConfigFile.Parse("max-rooms = 3", "relay.toml");

        Assert.Equal("flag-pw", Resolve(withPass, ["--pass", "flag-pw"], "env-pw").Password);
        Assert.Equal("file-pw", Resolve(withPass, [], "env-pw").Password);
        Assert.Equal("env-pw", Resolve(without, [], "env-pw").Password);
        Assert.Equal("env-pw", Resolve(new RelayConfigFile(), [], "env-pw").Password);
        Assert.Null(Resolve(without, [], environmentPass: "").Password);
        Assert.Null(Resolve(without, []).Password);
    }

    [Theory]
    [InlineData("bind = \"127.0.0.1:1\"\nbogus = 1\n", 2, "unknown key 'bogus'")]
    [InlineData("max-rooms = \"5\"\n", 1, "'max-rooms' must be an integer, not a string")]
    [InlineData("\n\npass = 1234\n", 3, "'pass' must be a string, not an integer")]
    [InlineData("rate-per-ip = true\n", 1, "'rate-per-ip' must be a number, not a boolean")]
    [InlineData("idle-timeout = 0\n", 1, "'idle-timeout' = 0 must be a positive number")]
    [InlineData("probe-port = 70000\n", 1, "'probe-port' = 70000 is out of range")]
    [InlineData("max-connections = 0\n", 1, "'max-connections' = 0 is out of range")]
    [InlineData("max-rooms = 1\nmax-rooms = 2\n", 2, "key 'max-rooms' is set twice (first on line 1)")]
    [InlineData("pass = \"\"\n", 1, "'pass' is empty")]
    [InlineData("bind = \"127.0.0.1:1\"\n[relay]\nmax-rooms = 1\n", 2, "tables ([...]) are not used")]
    [InlineData("relay.bind = \"127.0.0.1:1\"\n", 1, "unknown key 'relay.bind'")]
    [InlineData("bind = \"127.0.0.1:1\" junk\n", 1, "not valid TOML")]
    [InlineData("max-rooms = [1, 2]\n", 1, "'max-rooms' must be an integer, not an array")]
    [InlineData("max-connections-per-ip = -1\n", 1, "'max-connections-per-ip' = -1 is out of range")]
    [InlineData("failed-claim-window = 0\n", 1, "'failed-claim-window' = 0 must be a positive number of seconds")]
    [InlineData("room-capacity = 21\n", 1, "'room-capacity' = 21 is out of range (2-20)")]
    [InlineData("room-rate = -5\n", 1, "'room-rate' = -5 must be a non-negative number of frames per second")]
    [InlineData("room-burst = 0\n", 1, "'room-burst' = 0 is out of range")]
    public void Bad_files_are_usage_errors_naming_the_key_and_line(string text, int line, string expected)
    {
        TallowException error = Assert.Throws<TallowException>(() => RelayConfigFile.Parse(text, "relay.toml"));
        Assert.Equal(FailureKind.Usage, error.Kind);
        Assert.Contains($"relay.toml, line {line}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    // Tomlyn's own messages quote source text: a key set twice quoted both "pass = ..." lines, and a
    // bare word is quoted as found. Neither may reach the operator's terminal or logs.
    [Theory]
    [InlineData("pass = \"relay-s3cret\"\npass = \"relay-s3cret\"\n")]
    [InlineData("pass = relay-s3cret\n")]
    [InlineData("pass = \"relay-s3cret\" junk\n")]
    [InlineData("pass \"relay-s3cret\"\n")]
    [InlineData("pass relay-s3cret\n")]
    public void Errors_never_quote_the_password(string text)
    {
        TallowException error = Assert.Throws<TallowException>(() => RelayConfigFile.Parse(text, "relay.toml"));
        Assert.Equal(FailureKind.Usage, error.Kind);
        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);
    }

    // Found by fuzz/relay-config: Tomlyn throws (instead of reporting a diagnostic) for a string
    // whose last character in the file is an escaping backslash (a cut-off file) and for nesting
    // deeper than 64; both reached the user as "internal error: ..." (exit 1, not a usage error).
    [Theory]
    [InlineData("pass = \"abc\\")]
    [InlineData("pass = \"\"\"abc\\")]
    [InlineData("bind = \"127.0.0.1:1\"\n\"key\\")]
    public void A_string_cut_off_after_a_backslash_is_a_usage_error(string text)
    {
        TallowException error = Assert.Throws<TallowException>(() => RelayConfigFile.Parse(text, "relay.toml"));
        Assert.Equal(FailureKind.Usage, error.Kind);
        Assert.Contains("relay.toml: not valid TOML", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData('[', ']')]
    [InlineData('{', '}')]
    public void Nesting_deeper_than_the_parser_allows_is_a_usage_error(char open, char close)
    {
        string value = open == '[' ? new string(open, 100) + new string(close, 100) : string.Concat(Enumerable.Repeat("{a=", 100)) + "1" + new string(close, 100);
        TallowException error = Assert.Throws<TallowException>(() => RelayConfigFile.Parse($"max-rooms = {value}\n", "relay.toml"));
        Assert.Equal(FailureKind.Usage, error.Kind);
        Assert.Contains("nested more than", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_address_in_the_file_names_the_key()
    {
        RelayConfigFile file = RelayConfigFile.Parse("bind = \"nowhere\"", "relay.toml");
        TallowException error = Assert.Throws<TallowException>(() => Resolve(file, []));
        Assert.Equal(FailureKind.Usage, error.Kind);
        Assert.Contains("bind in the config file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_a_usage_error_and_a_world_readable_password_is_warned_about()
    {
        string dir = Path.Combine(Path.GetTempPath(), "tallow-cfg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            TallowException missing = Assert.Throws<TallowException>(() => RelayConfigFile.Load(Path.Combine(dir, "none.toml")));
            Assert.Equal(FailureKind.Usage, missing.Kind);

            string path = Path.Combine(dir, "relay.toml");
            File.WriteAllText(path, "pass = \"pw\"\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
            var warnings = new List<string>();
            RelayOptions options = RelayServeSettings.Resolve(Parse(["--config", path]), _ => null, warnings.Add);
            Assert.Equal("pw", options.Password);
            Assert.Single(warnings, w => w.Contains("readable by every user", StringComparison.Ordinal));

            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            warnings.Clear();
            RelayServeSettings.Resolve(Parse(["--config", path]), _ => null, warnings.Add);
            Assert.Empty(warnings);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_web_port_and_root_come_from_the_file_or_the_flags_and_the_root_needs_the_port()
    {
        RelayConfigFile file = RelayConfigFile.Parse("web = \"127.0.0.1:8080\"\nweb-root = \"/srv/page\"\n", "relay.toml");
        Assert.Equal("127.0.0.1:8080", file.Web);
        Assert.Equal("/srv/page", file.WebRoot);
        RelayOptions fromFile = Resolve(file, []);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:8080"), fromFile.WebBind);
        Assert.Equal("/srv/page", fromFile.WebRoot);

        RelayOptions fromFlags = Resolve(file, ["--web", "[::1]:8443", "--web-root", "/tmp/page"]);
        Assert.Equal(IPEndPoint.Parse("[::1]:8443"), fromFlags.WebBind);
        Assert.Equal("/tmp/page", fromFlags.WebRoot);

        Assert.Null(Resolve(new RelayConfigFile(), []).WebBind);
        TallowException rootAlone = Assert.Throws<TallowException>(() => Resolve(new RelayConfigFile(), ["--web-root", "/tmp/page"]));
        Assert.Contains("--web", rootAlone.Message, StringComparison.Ordinal);
        Assert.Throws<TallowException>(() => Resolve(new RelayConfigFile(), ["--web", "not an address"]));
        Assert.Throws<TallowException>(() => RelayConfigFile.Parse("web-root = \"\"\n", "relay.toml"));
    }

    private static RelayOptions Resolve(RelayConfigFile file, string[] flags, string? environmentPass = null) =>
        RelayServeSettings.Resolve(Parse(flags), file, name => name == RelayServeSettings.PasswordVariable ? environmentPass : null, _ => { });

    private static ParseResult Parse(string[] flags)
    {
        var root = new RootCommand { RelayServeCommand.Create() };
        ParseResult result = root.Parse(["relay", "serve", .. flags]);
        Assert.Empty(result.Errors);
        return result;
    }
}
