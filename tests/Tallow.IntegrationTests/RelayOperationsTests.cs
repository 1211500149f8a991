// Running a relay as operators do: `tallow relay serve --config FILE` enforces the file's
// password (a client without it is refused), and SIGTERM with paired and waiting sessions
// ends them and exits promptly.
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;
using Tallow.Net;

namespace Tallow.IntegrationTests;

public sealed class RelayOperationsTests
{
    [Fact]
    public async Task A_password_in_the_config_file_is_enforced()
    {
        using var dir = new TempDir();
        string config = dir.Combine("relay.toml");
        await File.WriteAllTextAsync(config, "# test relay\nbind = \"127.0.0.1:0\"\npass = \"file-secret\"\nprobe-port = 0\n");
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        // The environment's password must not replace the file's.
        await using TallowProcess relay = TallowProcess.Start(["relay", "serve", "--config", config, "--json"],
            environment: new Dictionary<string, string?> { ["TALLOW_RELAY_PASS"] = "env-secret" });
        JsonElement listening = await relay.WaitForEventAsync("relay_listening", TimeSpan.FromSeconds(30));
        Assert.True(listening.GetProperty("auth").GetBoolean());
        Assert.Equal(JsonValueKind.Null, listening.GetProperty("probe").ValueKind);
        IPEndPoint address = IPEndPoint.Parse(listening.GetProperty("address").GetString()!);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        RelayException refused = await Assert.ThrowsAsync<RelayException>(() =>
            RelayConnection.ConnectAsync("127.0.0.1", address.Port, null, TimeSpan.FromSeconds(5), timeout.Token));
        Assert.Equal(RelayFailureKind.AuthRequired, refused.Kind);

        // A wrong password (here the environment's) is refused at the first request after Auth.
        await using RelayConnection wrongPassword = await RelayConnection.ConnectAsync("127.0.0.1", address.Port, "env-secret", TimeSpan.FromSeconds(5), timeout.Token);
        RelayException wrong = await Assert.ThrowsAsync<RelayException>(() => wrongPassword.AllocateAsync(0, timeout.Token));
        Assert.Equal(RelayFailureKind.AuthFailed, wrong.Kind);

        await using RelayConnection ok = await RelayConnection.ConnectAsync("127.0.0.1", address.Port, "file-secret", TimeSpan.FromSeconds(5), timeout.Token);
        Assert.True(await ok.AllocateAsync(0, timeout.Token) > 0);
        Assert.DoesNotContain("file-secret", relay.Stderr + relay.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_config_file_exits_with_the_usage_code_naming_key_and_line()
    {
        using var dir = new TempDir();
        string config = dir.Combine("relay.toml");
        await File.WriteAllTextAsync(config, "bind = \"127.0.0.1:0\"\nmax-rooms = \"many\"\n");
        await using TallowProcess relay = TallowProcess.Start(["relay", "serve", "--config", config]);
        Assert.Equal(2, await relay.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("line 2: 'max-rooms' must be an integer", relay.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--room-capacity", "21" }, "--room-capacity 21 must be at most 20")]
    [InlineData(new[] { "--room-rate", "-2" }, "--room-rate -2 must be a non-negative number of frames per second")]
    public async Task Chat_room_limits_out_of_range_exit_with_the_usage_code(string[] flags, string expected)
    {
        await using TallowProcess relay = TallowProcess.Start(["relay", "serve", "--bind", "127.0.0.1:0", "--probe-port", "0", .. flags]);
        Assert.Equal(2, await relay.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(expected, relay.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_ends_paired_and_waiting_sessions_and_exits_promptly()
    {
        await using TallowProcess relay = TallowProcess.Start(["relay", "serve", "--bind", "127.0.0.1:0", "--probe-port", "0", "--json"]);
        JsonElement listening = await relay.WaitForEventAsync("relay_listening", TimeSpan.FromSeconds(30));
        int port = IPEndPoint.Parse(listening.GetProperty("address").GetString()!).Port;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        CancellationToken token = timeout.Token;

        await using RelayConnection creator = await RelayConnection.ConnectAsync("127.0.0.1", port, null, TimeSpan.FromSeconds(5), token);
        uint nameplate = await creator.AllocateAsync(0, token);
        await using RelayConnection joiner = await RelayConnection.ConnectAsync("127.0.0.1", port, null, TimeSpan.FromSeconds(5), token);
        await joiner.ClaimAsync(nameplate, token);
        await creator.WaitForPeerAsync(token);
        await joiner.WaitForPeerAsync(token);
        await using RelayConnection waiting = await RelayConnection.ConnectAsync("127.0.0.1", port, null, TimeSpan.FromSeconds(5), token);
        await waiting.AllocateAsync(0, token);
        await creator.Stream.WriteAsync(new byte[] { 7 }, token);
        byte[] got = new byte[16];
        Assert.Equal(1, await joiner.Stream.ReadAsync(got, token));

        var stopwatch = Stopwatch.StartNew();
        using (Process kill = Process.Start("kill", ["-TERM", relay.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(token);
            Assert.Equal(0, kill.ExitCode);
        }

        int exit = await relay.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"the relay took {stopwatch.Elapsed} to stop");
        Assert.True(exit is 0 or 130 or 143, $"exit code {exit}: {relay.Stderr}");

        RelayException shutdown = await Assert.ThrowsAsync<RelayException>(() => waiting.WaitForPeerAsync(token));
        Assert.Equal(Tallow.Wire.RelayErrorCode.ShuttingDown, shutdown.Code);
        try
        {
            Assert.Equal(0, await joiner.Stream.ReadAsync(got, token));
        }
        catch (IOException)
        {
            // a reset is an end too
        }
    }
}
