// What the real tallow binary gives away about its relay password to a fake plaintext relay
// (hardening issue: "a sniffer of a plaintext relay, or a fake relay, gets an offline verifier").
// The fake relay asks for the password twice with the same nonce, once with a share built from a
// wrong guess and once from the right one, and keeps both Auths: neither contains the v1 verifier
// HMAC(SHA-256(password), nonce), they differ, and each can confirm only the guess its share was
// built from — the one online guess per connection, nothing to test offline. tallow reports the
// refusal as a relay-password problem (exit 6) without printing the password.
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Tallow.Crypto;
using Tallow.IntegrationTests.Infrastructure;
using Tallow.Wire;

namespace Tallow.IntegrationTests.Hostile;

public sealed class RelayPasswordCaptureTests
{
    private const string Password = "integration relay secret";
    private static readonly byte[] Nonce = RandomNumberGenerator.GetBytes(RelayProtocol.NonceSize);

    [Fact]
    public async Task A_fake_relay_learns_only_whether_its_one_guess_was_right()
    {
        (byte[] wrongGuessAuth, bool wrongGuessConfirmed) = await CaptureFromTallowAsync("hunter2");
        (byte[] rightGuessAuth, bool rightGuessConfirmed) = await CaptureFromTallowAsync(Password);

        Assert.False(wrongGuessConfirmed);
        Assert.True(rightGuessConfirmed); // a fake relay that guessed right learns it: one online guess

        byte[] v1Verifier = HMACSHA256.HashData(SHA256.HashData(Encoding.UTF8.GetBytes(Password)), Nonce);
        foreach (byte[] auth in new[] { wrongGuessAuth, rightGuessAuth })
        {
            Assert.Equal(AuthMessage.Size, auth.Length);
            Assert.True(auth.AsSpan().IndexOf(v1Verifier) < 0, "the Auth carries HMAC(SHA-256(password), nonce)");
        }

        Assert.False(wrongGuessAuth.AsSpan(0, RelayProtocol.AuthShareSize).SequenceEqual(rightGuessAuth.AsSpan(0, RelayProtocol.AuthShareSize)));
    }

    /// <summary>Runs `tallow receive` against a fake relay whose share is built from <paramref name="guess"/>; returns its Auth payload.</summary>
    private static async Task<(byte[] Auth, bool Confirmed)> CaptureFromTallowAsync(string guess)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var dir = new TempDir();
        await using TallowProcess receiver = TallowProcess.Start(
            ["receive", "7-amber-lunar-forge", "--relay", $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}", "--out", dir.Combine("out"), "--json"],
            environment: new Dictionary<string, string?> { ["TALLOW_RELAY_PASS"] = Password });

        using Socket client = await listener.AcceptSocketAsync(cts.Token);
        await using var stream = new NetworkStream(client);
        using var reader = new FrameReader(stream, 4096);
        FrameReadResult hello = await reader.ReadAsync(Frame.MaxUnpairedLength, cts.Token);
        Assert.True(hello.IsFrame && hello.Type == FrameType.Hello);

        using RelayPasswordVerifier fake = RelayPasswordVerifier.Start(Encoding.UTF8.GetBytes(guess), Nonce);
        var welcome = new WelcomeMessage(RelayProtocol.Version, (IPEndPoint)client.RemoteEndPoint!, Nonce, true, 0, fake.Share.ToArray());
        byte[] payload = new byte[WelcomeMessage.MaxSize];
        await stream.WriteAsync(Frame.Encode(FrameType.Welcome, payload.AsSpan(0, welcome.Write(payload))), cts.Token);

        FrameReadResult auth = await reader.ReadAsync(Frame.MaxUnpairedLength, cts.Token);
        Assert.True(auth.IsFrame && auth.Type == FrameType.Auth, $"expected Auth, got {auth}");
        byte[] captured = reader.CurrentPayload.ToArray();
        Assert.True(AuthMessage.TryParse(captured, out AuthMessage parsed));
        bool confirmed = fake.Verify(parsed.Share, parsed.Confirm);

        // Refuse it as the real relay refuses a wrong password; tallow must say so and exit 6.
        byte[] error = new byte[64];
        int length = new ErrorMessage(RelayErrorCode.AuthFailed, "wrong relay password").Write(error);
        await stream.WriteAsync(Frame.Encode(FrameType.Error, error.AsSpan(0, length)), cts.Token);
        client.Shutdown(SocketShutdown.Both);
        Check.Exit(6, await receiver.WaitForExitAsync(TimeSpan.FromSeconds(30)), receiver, "receiver");
        Check.Contains("relay password", Check.ErrorMessage(receiver, "receiver", 6), Check.Describe(receiver, "receiver"));
        Assert.DoesNotContain(Password, receiver.Stdout + receiver.Stderr, StringComparison.Ordinal);
        return (captured, confirmed);
    }
}
