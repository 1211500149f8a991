// TLS to the relay with the real binaries (DESIGN.md §5.8): `relay serve --tls` prints its
// certificate fingerprint; send/receive over tls:// with that pin transfer the file intact;
// a wrong pin and a missing pin (self-signed, so not trusted) end with exit 4 and a message
// that names the problem; a plaintext client to the TLS relay is told to use tls://.
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests.Tls;

public sealed class TlsRelayTests
{
    private const string WrongFingerprint = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    [Fact]
    public async Task Send_and_receive_through_a_TLS_relay_with_the_printed_fingerprint()
    {
        await using RelayProcess relay = await RelayProcess.StartTlsAsync();
        Assert.Matches("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", relay.Fingerprint!);
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("tls.bin", 300_000);
        string outDir = dir.Combine("out");

        // The sender pins via the environment (colons), the receiver via the option (plain lower-case hex).
        var senderEnv = new Dictionary<string, string?> { ["TALLOW_RELAY_FINGERPRINT"] = relay.Fingerprint };
        string plain = relay.Fingerprint!.Replace(":", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
        TransferRun run = await Transfer.RunAsync(relay, [source],
            code => [code, "--out", outDir, "--yes", "--json", "--relay-fingerprint", plain], senderEnv: senderEnv);
        try
        {
            Check.Succeeded(run);
            string received = Path.Combine(outDir, "tls.bin");
            Assert.True(File.Exists(received), Check.Describe(run));
            Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(received));
            string command = Check.SingleEvent(run.Sender, "code", "sender").GetProperty("command").GetString()!;
            Assert.Contains($"--relay {relay.Address} --relay-fingerprint {relay.Fingerprint}", command, StringComparison.Ordinal);
        }
        finally
        {
            await run.DisposeAsync();
        }

        Dictionary<string, double> metrics = await relay.ReadMetricsAsync();
        Assert.True(metrics["tallow_relay_pairings_total"] >= 1, string.Join('\n', metrics));
    }

    [Fact]
    public async Task A_wrong_fingerprint_exits_4_showing_both_fingerprints()
    {
        await using RelayProcess relay = await RelayProcess.StartTlsAsync();
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("w.bin", 10);
        await using TallowProcess sender = TallowProcess.Start(["send", source, "--relay", relay.Address, "--relay-fingerprint", WrongFingerprint, "--json"]);
        Check.Exit(4, await sender.WaitForExitAsync(Check.ShortTimeout), sender, "sender");
        string message = Check.ErrorMessage(sender, "sender", 4);
        Check.Contains("does not match --relay-fingerprint", message, Check.Describe(sender, "sender"));
        Check.Contains(relay.Fingerprint!, message, Check.Describe(sender, "sender"));
        Assert.Empty(Check.Events(sender, "code"));
    }

    [Fact]
    public async Task Without_a_fingerprint_a_self_signed_relay_is_not_trusted_exit_4()
    {
        await using RelayProcess relay = await RelayProcess.StartTlsAsync();
        using var dir = new TempDir();
        var env = new Dictionary<string, string?> { ["TALLOW_RELAY_FINGERPRINT"] = null };
        await using TallowProcess receiver = TallowProcess.Start(
            ["receive", "12-alpha-beta", "--relay", relay.Address, "--out", dir.Combine("out"), "--json"], environment: env);
        Check.Exit(4, await receiver.WaitForExitAsync(Check.ShortTimeout), receiver, "receiver");
        string message = Check.ErrorMessage(receiver, "receiver", 4);
        Check.Contains("not trusted", message, Check.Describe(receiver, "receiver"));
        Check.Contains("--relay-fingerprint", message, Check.Describe(receiver, "receiver"));
    }

    [Fact]
    public async Task A_plaintext_client_to_a_TLS_relay_is_told_to_use_tls_exit_4()
    {
        await using RelayProcess relay = await RelayProcess.StartTlsAsync();
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("p.bin", 10);
        string plaintext = relay.Address["tls://".Length..];
        await using TallowProcess sender = TallowProcess.Start(["send", source, "--relay", plaintext, "--json"]);
        Check.Exit(4, await sender.WaitForExitAsync(Check.ShortTimeout), sender, "sender");
        Check.Contains("TLS only", Check.ErrorMessage(sender, "sender", 4), Check.Describe(sender, "sender"));
    }
}
