// `tallow doctor` against real relays on 127.0.0.1 (issue 15): a password relay configured in the
// config file gives ok lines for the relay (with its latency), the password and the NAT type, exit
// 0; a wrong password and a port nobody listens on give fail lines with a fix and exit 1; a TLS
// relay's pin is checked (the right one ok, a wrong one a fail); --json gives one event per check.
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;
using Tallow.IntegrationTests.Proxy;

namespace Tallow.IntegrationTests;

public sealed class DoctorTests(OpenAndPasswordRelayFixture fixture) : IClassFixture<OpenAndPasswordRelayFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static TallowProcess Start(Dictionary<string, string?> env, params string[] args) => TallowProcess.Start(["doctor", .. args], environment: env);

    private static string Line(TallowProcess doctor, string name) =>
        doctor.Stdout.Split('\n').SingleOrDefault(l => l.Length > 6 && l[6..].StartsWith(name + " ", StringComparison.Ordinal))
        ?? throw new Xunit.Sdk.XunitException($"no '{name}' line\n{Check.Describe(doctor, "doctor")}");

    private static JsonElement CheckEvent(TallowProcess doctor, string name) =>
        Check.Events(doctor, "check").Single(e => e.GetProperty("name").GetString() == name);

    [Fact]
    public async Task A_reachable_password_relay_from_the_config_file_gives_ok_lines_and_exit_0()
    {
        using var dir = new TempDir();
        Dictionary<string, string?> env = ConfigFileTests.ConfigHome(dir, "config",
            $"relay = \"{fixture.Protected.Address}\"\nrelay-pass = \"{OpenAndPasswordRelayFixture.Password}\"\nout = \"{dir.Path}\"\n");

        await using TallowProcess doctor = Start(env);
        Check.Exit(0, await doctor.WaitForExitAsync(Timeout), doctor, "doctor");
        Assert.Matches($@"^ok +relay +{System.Text.RegularExpressions.Regex.Escape(fixture.Protected.Address)} answered: TCP connect [0-9.]+ ms, hello [0-9.]+ ms$", Line(doctor, "relay"));
        Assert.StartsWith("ok    password  accepted (from file ", Line(doctor, "password"), StringComparison.Ordinal);
        Assert.StartsWith("ok    nat       no NAT between here and the relay", Line(doctor, "nat"), StringComparison.Ordinal);
        Assert.StartsWith("skip  mdns ", Line(doctor, "mdns"), StringComparison.Ordinal);
        Assert.StartsWith($"ok    out       {dir.Path} is writable", Line(doctor, "out"), StringComparison.Ordinal);
        Assert.DoesNotContain(OpenAndPasswordRelayFixture.Password, doctor.Stdout + doctor.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("fail ", doctor.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_is_a_fail_line_with_a_fix_and_exit_1()
    {
        await using TallowProcess doctor = Start(new() { ["TALLOW_RELAY_PASS"] = "not-the-password" }, "--relay", fixture.Protected.Address, "--json");
        Check.Exit(1, await doctor.WaitForExitAsync(Timeout), doctor, "doctor");
        JsonElement password = CheckEvent(doctor, "password");
        Assert.Equal("fail", password.GetProperty("status").GetString());
        Check.Contains("rejected the password", password.GetProperty("detail").GetString()!, doctor.Stdout);
        Check.Contains("TALLOW_RELAY_PASS", password.GetProperty("fix").GetString()!, doctor.Stdout);
        Assert.Equal("ok", CheckEvent(doctor, "relay").GetProperty("status").GetString());
        JsonElement summary = Check.SingleEvent(doctor, "doctor", "doctor");
        Assert.Equal(1, summary.GetProperty("fail").GetInt32());
        Assert.DoesNotContain("not-the-password", doctor.Stdout + doctor.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_nobody_listens_on_is_a_fail_line_with_the_fix_and_exit_1()
    {
        using var dir = new TempDir();
        int port = Check.ClosedPort();
        Dictionary<string, string?> env = ConfigFileTests.ConfigHome(dir, "config", $"relay = \"127.0.0.1:{port}\"\n");

        await using TallowProcess doctor = Start(env);
        Check.Exit(1, await doctor.WaitForExitAsync(Timeout), doctor, "doctor");
        string relay = Line(doctor, "relay");
        Assert.StartsWith($"fail  relay     cannot reach the relay at 127.0.0.1:{port} (connection refused", relay, StringComparison.Ordinal);
        Check.Contains("-> fix: check the address and port", relay, doctor.Stdout);
        Assert.StartsWith("skip  password  not checked", Line(doctor, "password"), StringComparison.Ordinal);
        Check.Contains("1 fail", doctor.Stdout, doctor.Stdout);
    }

    [Fact]
    public async Task A_tls_relays_pin_is_checked()
    {
        await using RelayProcess tls = await RelayProcess.StartTlsAsync();
        using var dir = new TempDir();
        Dictionary<string, string?> good = ConfigFileTests.ConfigHome(dir, "good", $"relay = \"{tls.Address}\"\nrelay-fingerprint = \"{tls.Fingerprint}\"\n");
        await using TallowProcess ok = Start(good, "--json");
        Check.Exit(0, await ok.WaitForExitAsync(Timeout), ok, "doctor");
        Check.Contains("TLS and hello", CheckEvent(ok, "relay").GetProperty("detail").GetString()!, ok.Stdout);
        JsonElement pinned = CheckEvent(ok, "tls");
        Assert.Equal("ok", pinned.GetProperty("status").GetString());
        Check.Contains("matches the pinned fingerprint", pinned.GetProperty("detail").GetString()!, ok.Stdout);

        string wrongPin = string.Join(':', Enumerable.Repeat("00", 32));
        Dictionary<string, string?> bad = ConfigFileTests.ConfigHome(dir, "bad", $"relay = \"{tls.Address}\"\nrelay-fingerprint = \"{wrongPin}\"\n");
        await using TallowProcess fail = Start(bad, "--json");
        Check.Exit(1, await fail.WaitForExitAsync(Timeout), fail, "doctor");
        JsonElement mismatch = CheckEvent(fail, "tls");
        Assert.Equal("fail", mismatch.GetProperty("status").GetString());
        Check.Contains("relay-fingerprint", mismatch.GetProperty("fix").GetString()!, fail.Stdout);
    }

    [Fact]
    public async Task With_no_relay_the_built_in_LAN_relay_is_tested_and_mdns_is_checked()
    {
        using var dir = new TempDir();
        Dictionary<string, string?> env = ConfigFileTests.ConfigHome(dir, "config", "words = 3\n");
        await using TallowProcess doctor = Start(env, "--json");
        int exit = await doctor.WaitForExitAsync(Timeout);
        JsonElement relay = CheckEvent(doctor, "relay");
        Assert.Equal("ok", relay.GetProperty("status").GetString());
        Check.Contains("none configured: a sender starts its own relay for this LAN", relay.GetProperty("detail").GetString()!, doctor.Stdout);
        JsonElement mdns = CheckEvent(doctor, "mdns");
        Assert.NotEqual("skip", mdns.GetProperty("status").GetString()); // the self-test ran: heard back, or a warning/failure with its fix
        Assert.True(mdns.GetProperty("status").GetString() == "ok" || mdns.GetProperty("fix").GetString() is { Length: > 0 }, doctor.Stdout);
        Assert.Equal("skip", CheckEvent(doctor, "nat").GetProperty("status").GetString());
        int fails = Check.SingleEvent(doctor, "doctor", "doctor").GetProperty("fail").GetInt32();
        Check.Exit(fails > 0 ? 1 : 0, exit, doctor, "doctor");
    }

    [Fact]
    public async Task Through_a_proxy_from_the_config_file_the_relay_is_reached_and_nat_is_skipped()
    {
        await using Microsocks socks = await Microsocks.StartAsync();
        using var dir = new TempDir();
        Dictionary<string, string?> env = ConfigFileTests.ConfigHome(dir, "config", $"relay = \"{fixture.Open.Address}\"\nproxy = \"{socks.Url()}\"\n");
        await using TallowProcess doctor = Start(env, "--json");
        Check.Exit(0, await doctor.WaitForExitAsync(Timeout), doctor, "doctor");
        JsonElement relay = CheckEvent(doctor, "relay");
        Assert.Equal("ok", relay.GetProperty("status").GetString());
        Check.Contains($"through the proxy socks5://127.0.0.1:{socks.Port}", relay.GetProperty("detail").GetString()!, doctor.Stdout);
        JsonElement nat = CheckEvent(doctor, "nat");
        Assert.Equal("skip", nat.GetProperty("status").GetString());
        Check.Contains("proxy", nat.GetProperty("detail").GetString()!, doctor.Stdout);
    }
}
