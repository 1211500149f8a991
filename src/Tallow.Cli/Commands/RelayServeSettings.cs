// Resolves the options of `tallow relay serve` from the command line, the --config file and the
// environment. Precedence, per option: a flag given on the command line > the config file >
// (password only) $TALLOW_RELAY_PASS > the built-in default. "Given" means present in the
// arguments (OptionResult.Implicit is false): a flag's default value never overrides the file.
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;
using Tallow.Protocol;
using Tallow.Relay;
using Tallow.Wire;

namespace Tallow.Cli.Commands;

internal static class RelayServeSettings
{
    public const string PasswordVariable = "TALLOW_RELAY_PASS";

    /// <summary>"0" turns the zero-copy (splice) forwarding off, for measuring it against the copy path.</summary>
    public const string SpliceVariable = "TALLOW_RELAY_SPLICE";

    /// <summary>
    /// Builds the relay options for a parsed `relay serve`. <paramref name="environment"/> reads
    /// environment variables; <paramref name="warn"/> receives notes for the operator.
    /// </summary>
    public static RelayOptions Resolve(ParseResult result, Func<string, string?> environment, Action<string> warn)
    {
        string? configPath = result.GetValue<string?>("--config");
        RelayConfigFile file = configPath is null ? new RelayConfigFile() : RelayConfigFile.Load(configPath);
        return Resolve(result, file, environment, warn);
    }

    /// <summary>As above with an already parsed config file (tests; an empty record means no file).</summary>
    public static RelayOptions Resolve(ParseResult result, RelayConfigFile file, Func<string, string?> environment, Action<string> warn)
    {
        string bindText = Pick(result, "--bind", file.Bind, out string bindSource);
        IPEndPoint bind = RelayServeCommand.ParseEndpoint(bindText, bindSource);
        int? probePort = Given(result, "--probe-port") ? result.GetValue<int?>("--probe-port") : file.ProbePort;
        string? metricsText = Given(result, "--metrics") ? result.GetValue<string?>("--metrics") : file.Metrics;
        string metricsSource = Given(result, "--metrics") ? "--metrics" : Source(file, "metrics");
        string? webText = Given(result, "--web") ? result.GetValue<string?>("--web") : file.Web;
        string webSource = Given(result, "--web") ? "--web" : Source(file, "web");
        string? webRoot = Given(result, "--web-root") ? result.GetValue<string?>("--web-root") : file.WebRoot;
        if (webRoot is not null && webText is null)
        {
            throw new TallowException(FailureKind.Usage, "--web-root needs --web ADDR (the address to serve the page on).");
        }

        int maxConnections = Pick(result, "--max-connections", file.MaxConnections, out string maxConnectionsSource);
        int maxRooms = Pick(result, "--max-rooms", file.MaxRooms, out string maxRoomsSource);
        double rate = Pick(result, "--rate-per-ip", file.RatePerIp, out _);
        double unpaired = Pick(result, "--unpaired-timeout", file.UnpairedTimeout, out string unpairedSource);
        double idle = Pick(result, "--idle-timeout", file.IdleTimeout, out string idleSource);
        int perIp = Pick(result, "--max-connections-per-ip", file.MaxConnectionsPerIp, out string perIpSource);
        int unpairedPerIp = Pick(result, "--max-unpaired-per-ip", file.MaxUnpairedPerIp, out string unpairedPerIpSource);
        int failedClaims = Pick(result, "--max-failed-claims", file.MaxFailedClaims, out string failedClaimsSource);
        double failedWindow = Pick(result, "--failed-claim-window", file.FailedClaimWindow, out string failedWindowSource);
        double failedBlock = Pick(result, "--failed-claim-block", file.FailedClaimBlock, out string failedBlockSource);
        int roomCapacity = Pick(result, "--room-capacity", file.RoomCapacity, out string roomCapacitySource);
        double roomRate = Pick(result, "--room-rate", file.RoomRate, out string roomRateSource);
        int roomBurst = Pick(result, "--room-burst", file.RoomBurst, out string roomBurstSource);
        RequireAtLeast(maxConnections, 1, maxConnectionsSource);
        RequireAtLeast(maxRooms, 1, maxRoomsSource);
        RequireAtLeast(perIp, 0, perIpSource);
        RequireAtLeast(unpairedPerIp, 0, unpairedPerIpSource);
        RequireAtLeast(failedClaims, 0, failedClaimsSource);
        RequireAtLeast(roomCapacity, 2, roomCapacitySource);
        RequireAtMost(roomCapacity, RelayProtocol.MaxRoomCapacity, roomCapacitySource);
        RequireAtLeast(roomBurst, 1, roomBurstSource);
        if (!double.IsFinite(roomRate) || roomRate < 0)
        {
            throw new TallowException(FailureKind.Usage, $"{roomRateSource} {roomRate} must be a non-negative number of frames per second (0 = no limit).");
        }

        RequirePositiveSeconds(unpaired, unpairedSource);
        RequirePositiveSeconds(idle, idleSource);
        RequirePositiveSeconds(failedWindow, failedWindowSource);
        RequirePositiveSeconds(failedBlock, failedBlockSource);

        return new RelayOptions
        {
            Bind = bind,
            ProbeBind = RelayServeCommand.ProbeEndPoint(bind, probePort),
            Password = Password(result, file, environment, warn),
            MetricsBind = metricsText is null ? null : RelayServeCommand.ParseEndpoint(metricsText, metricsSource),
            WebBind = webText is null ? null : RelayServeCommand.ParseEndpoint(webText, webSource),
            WebRoot = webRoot,
            MaxConnections = maxConnections,
            MaxRooms = maxRooms,
            ConnectionsPerSecondPerIp = rate,
            MaxConnectionsPerAddress = perIp,
            MaxUnpairedRoomsPerAddress = unpairedPerIp,
            MaxFailedClaimsPerAddress = failedClaims,
            FailedClaimWindow = TimeSpan.FromSeconds(failedWindow),
            FailedClaimBlock = TimeSpan.FromSeconds(failedBlock),
            MaxRoomMembers = roomCapacity,
            RoomFramesPerSecond = roomRate,
            RoomFrameBurst = roomBurst,
            UnpairedTimeout = TimeSpan.FromSeconds(unpaired),
            IdleTimeout = TimeSpan.FromSeconds(idle),
            ZeroCopy = environment(SpliceVariable) != "0",
        };
    }

    /// <summary>True when the option was typed on the command line (not filled in from its default).</summary>
    public static bool Given(ParseResult result, string option) => result.GetResult(option) is OptionResult { Implicit: false };

    /// <summary>--pass given > the file's pass > $TALLOW_RELAY_PASS (non-empty) > none.</summary>
    private static string? Password(ParseResult result, RelayConfigFile file, Func<string, string?> environment, Action<string> warn)
    {
        if (Given(result, "--pass"))
        {
            return result.GetValue<string?>("--pass");
        }

        if (file.Pass is not null)
        {
            WarnIfReadableByOthers(file, warn);
            return file.Pass;
        }

        return environment(PasswordVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
    }

    private static void WarnIfReadableByOthers(RelayConfigFile file, Action<string> warn)
    {
        if (file.Path is null || OperatingSystem.IsWindows() || !File.Exists(file.Path))
        {
            return;
        }

        if ((File.GetUnixFileMode(file.Path) & UnixFileMode.OtherRead) != 0)
        {
            warn($"{file.Path} holds the relay password and is readable by every user: chmod 600 (or 640 with a dedicated group).");
        }
    }

    private static T Pick<T>(ParseResult result, string option, T? fromFile, out string source)
        where T : struct
    {
        if (!Given(result, option) && fromFile is T value)
        {
            source = $"{option[2..]} in the config file";
            return value;
        }

        source = option;
        return result.GetValue<T>(option);
    }

    private static string Pick(ParseResult result, string option, string? fromFile, out string source)
    {
        if (!Given(result, option) && fromFile is not null)
        {
            source = $"{option[2..]} in the config file";
            return fromFile;
        }

        source = option;
        return result.GetValue<string>(option)!;
    }

    private static string Source(RelayConfigFile file, string key) =>
        file.Lines.TryGetValue(key, out int line) ? $"{key} (line {line} of {file.Path})" : key;

    private static void RequireAtLeast(int value, int min, string source)
    {
        if (value < min)
        {
            throw new TallowException(FailureKind.Usage, $"{source} {value} must be at least {min}.");
        }
    }

    private static void RequireAtMost(int value, int max, string source)
    {
        if (value > max)
        {
            throw new TallowException(FailureKind.Usage, $"{source} {value} must be at most {max}.");
        }
    }

    private static void RequirePositiveSeconds(double seconds, string source)
    {
        if (!double.IsFinite(seconds) || seconds <= 0 || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            throw new TallowException(FailureKind.Usage, $"{source} {seconds} must be a positive number of seconds.");
        }
    }
}
