// Transfers through a real SOCKS5 server (microsocks on 127.0.0.1; DESIGN.md §11): both sides use
// --proxy, with and without RFC 1929 authentication, and the files match by SHA-256. Behind a
// proxy no candidate is exchanged (no p2p_* event on either side) and the relay's metrics show it
// carried the whole file. Failures are network errors (exit 4) that say what happened: wrong
// proxy password (never echoed), nothing listening, the proxy refusing the destination, and
// --tor with nothing on 127.0.0.1:9050 (checked inside a namespace of its own).
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;
using Tallow.IntegrationTests.NatLab;

namespace Tallow.IntegrationTests.Proxy;

public sealed class ProxyTests
{
    private const int MiB = 1024 * 1024;
    private const string User = "tallow-user";
    private const string Password = "pr0xy-Secret!";

    private static string[] ReceiveInto(string code, string outDir, params string[] extra) => [code, "--out", outDir, "--yes", "--json", .. extra];

    private static async Task TransferThroughAsync(Microsocks socks, string proxyUrl, bool relayByName)
    {
        await using RelayProcess relay = await RelayProcess.StartAsync();
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("src/data.bin", 4 * MiB);
        string outDir = dir.Combine("out");

        // By name, the relay host goes to the proxy unresolved (ATYP domain) and microsocks resolves it.
        string relayName = relayByName ? $"localhost:{Check.PortOf(relay.Address)}" : relay.Address;
        TallowProcess sender = TallowProcess.Start(["send", source, "--relay", relayName, "--proxy", proxyUrl, "--json"]);
        TallowProcess? receiver = null;
        try
        {
            string code = (await sender.WaitForEventAsync("code", TimeSpan.FromSeconds(30))).GetProperty("code").GetString()!;
            receiver = TallowProcess.Start(["receive", .. ReceiveInto(code, outDir), "--relay", relayName, "--proxy", proxyUrl]);
            int receiverExit = await receiver.WaitForExitAsync(Transfer.DefaultTimeout);
            int senderExit = await sender.WaitForExitAsync(Transfer.DefaultTimeout);
            string context = $"{Check.Describe(sender, "sender")}\n{Check.Describe(receiver, "receiver")}";
            Assert.True(senderExit == 0 && receiverExit == 0, $"exits {senderExit}/{receiverExit}\n{context}");
            Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, "data.bin")));

            foreach ((TallowProcess process, string role) in new[] { (sender, "sender"), (receiver, "receiver") })
            {
                // P2P is off on both sides: not even an intent to try, let alone candidates.
                foreach (string name in new[] { "p2p_attempt", "p2p_upgrade", "p2p_fallback" })
                {
                    Assert.True(Check.Events(process, name).Count == 0, $"{role} emitted '{name}' behind a proxy\n{context}");
                }

                Assert.DoesNotContain(Password, process.Stdout + process.Stderr, StringComparison.Ordinal);
            }

            double forwarded = (await relay.ReadMetricsAsync()).GetValueOrDefault("tallow_relay_bytes_forwarded_total");
            Assert.True(forwarded >= 4 * MiB, $"the relay forwarded only {forwarded} bytes\n{context}");
        }
        finally
        {
            await sender.DisposeAsync();
            if (receiver is not null)
            {
                await receiver.DisposeAsync();
            }
        }
    }

    /// <summary>Runs a command expected to fail with exit 4 and returns its JSON error message.</summary>
    private static async Task<string> NetworkErrorAsync(IEnumerable<string> args, string role, IDictionary<string, string?>? environment = null, string? netns = null)
    {
        await using TallowProcess process = TallowProcess.Start([.. args, "--json"], environment: environment, netns: netns);
        int exit = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Check.Exit(4, exit, process, role);
        string message = Check.ErrorMessage(process, role, 4);
        Assert.DoesNotContain(Password, process.Stdout + process.Stderr, StringComparison.Ordinal);
        return message;
    }

    [Fact]
    public async Task Transfer_through_a_proxy_without_authentication_stays_on_the_relay()
    {
        await using Microsocks socks = await Microsocks.StartAsync();
        await TransferThroughAsync(socks, socks.Url(), relayByName: false);
    }

    [Fact]
    public async Task Transfer_through_a_proxy_with_username_and_password_and_a_relay_host_name()
    {
        await using Microsocks socks = await Microsocks.StartAsync(User, Password);
        await TransferThroughAsync(socks, socks.Url(User, Password), relayByName: true);
    }

    [Fact]
    public async Task A_wrong_proxy_password_is_a_network_error_about_authentication()
    {
        await using Microsocks socks = await Microsocks.StartAsync(User, "the-right-one");
        await using RelayProcess relay = await RelayProcess.StartAsync();
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("a.txt", 10);

        string sent = await NetworkErrorAsync(["send", source, "--relay", relay.Address, "--proxy", socks.Url(User, Password)], "sender");
        string received = await NetworkErrorAsync(["receive", "7-alpha-bravo", "--relay", relay.Address, "--proxy", socks.Url(User, Password)], "receiver");

        foreach (string message in new[] { sent, received })
        {
            Check.Contains("authentication", message, message);
            Check.Contains($"127.0.0.1:{socks.Port}", message, message);
        }
    }

    [Fact]
    public async Task A_proxy_that_is_not_listening_is_a_network_error()
    {
        int port = Check.ClosedPort();
        string message = await NetworkErrorAsync(["receive", "7-alpha-bravo", "--relay", "relay.invalid:4433", "--proxy", $"socks5://{User}:{Password}@127.0.0.1:{port}"], "receiver");
        Check.Contains($"SOCKS5 proxy at 127.0.0.1:{port}", message, message);
        Check.Contains("nothing is listening", message, message);
    }

    [Fact]
    public async Task TALLOW_PROXY_is_used_when_no_option_is_given()
    {
        int port = Check.ClosedPort();
        string message = await NetworkErrorAsync(["receive", "7-alpha-bravo", "--relay", "relay.invalid:4433"], "receiver",
            new Dictionary<string, string?> { ["TALLOW_PROXY"] = $"socks5://127.0.0.1:{port}" });
        Check.Contains($"SOCKS5 proxy at 127.0.0.1:{port}", message, message);
    }

    [Fact]
    public async Task A_proxy_refusing_the_destination_says_why_in_words()
    {
        await using Microsocks socks = await Microsocks.StartAsync();
        int closed = Check.ClosedPort();
        string message = await NetworkErrorAsync(["receive", "7-alpha-bravo", "--relay", $"127.0.0.1:{closed}", "--proxy", socks.Url()], "receiver");
        Check.Contains($"could not connect to 127.0.0.1:{closed}", message, message);
        Check.Contains("refused", message, message);
    }

    /// <summary>
    /// Runs in a network namespace of its own (only its loopback up), so nothing can be listening on
    /// 127.0.0.1:9050 there, whether or not this machine runs Tor.
    /// </summary>
    [NatLabFact]
    public async Task Tor_flag_with_nothing_on_9050_says_Tor_is_not_running()
    {
        string ns = "tltor" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));
        Netns.Run("ip", "netns", "add", ns);
        try
        {
            Netns.Run("ip", "-n", ns, "link", "set", "lo", "up");
            string message = await NetworkErrorAsync(["receive", "7-alpha-bravo", "--relay", "relay.example.org:4433", "--tor"], "receiver", netns: ns);
            Check.Contains("Tor is not running", message, message);
            Check.Contains("systemctl start tor", message, message);
        }
        finally
        {
            Netns.Delete(ns);
        }
    }

    [Fact]
    public async Task Send_with_a_proxy_requires_a_relay()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("a.txt", 10);
        await using TallowProcess process = TallowProcess.Start(["send", source, "--proxy", $"socks5://127.0.0.1:{Check.ClosedPort()}", "--json"]);
        int exit = await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Check.Exit(2, exit, process, "sender");
        Check.Contains("--relay", Check.ErrorMessage(process, "sender", 2), Check.Describe(process, "sender"));
        Assert.Empty(Check.Events(process, "code")); // no embedded relay, no code, no mDNS
    }
}
