// What a new user trips over (issue 15): an --out that cannot be written fails before the code is
// spent, and the receive command printed for a password relay says a password is needed (without
// ever showing it). Real `tallow` processes, real relays on 127.0.0.1.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class FirstUseTests(OpenAndPasswordRelayFixture fixture) : IClassFixture<OpenAndPasswordRelayFixture>
{
    [Theory]
    [InlineData("file", "is a file")]
    [InlineData("under-a-file", "is a file")]
    [InlineData("not-writable", "not writable")]
    public async Task An_out_folder_that_cannot_be_written_exits_5_before_connecting(string kind, string expected)
    {
        using var dir = new TempDir();
        string existingFile = dir.WriteRandomFile("already-a-file", 10);
        string outDir = kind switch
        {
            "file" => existingFile,
            "under-a-file" => Path.Combine(existingFile, "sub"),
            _ => "/proc/tallow-out-" + Guid.NewGuid().ToString("N"), // no one, not even root, creates folders in /proc
        };
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        try
        {
            await using TallowProcess receiver = TallowProcess.Start(["receive", "7-alpha-beta-gamma", "--relay", $"127.0.0.1:{port}", "--out", outDir, "--yes", "--json"]);
            Check.Exit(5, await receiver.WaitForExitAsync(Check.ShortTimeout), receiver, "receiver");
            string message = Check.ErrorMessage(receiver, "receiver", 5);
            Check.Contains(expected, message, Check.Describe(receiver, "receiver"));
            Check.Contains("--out", message, Check.Describe(receiver, "receiver"));
            Assert.False(listener.Pending(), "the receiver connected to the relay although --out cannot be written");
        }
        finally
        {
            listener.Stop();
        }

        Assert.Equal(10, new FileInfo(existingFile).Length); // the check wrote nothing into the file
        Assert.Equal([existingFile], Directory.GetFileSystemEntries(dir.Path)); // and left no probe behind
    }

    [Fact]
    public async Task The_receive_command_for_a_password_relay_says_a_password_is_needed_but_never_shows_it()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("p.bin", 10);
        string password = OpenAndPasswordRelayFixture.Password;
        await using TallowProcess sender = TallowProcess.Start(["send", source, "--relay", fixture.Protected.Address, "--relay-pass", password]);
        var clock = Stopwatch.StartNew();
        while (!sender.Stderr.Contains("On the other computer run", StringComparison.Ordinal) && clock.Elapsed < Check.ShortTimeout)
        {
            await Task.Delay(50);
        }

        await Task.Delay(200); // the rest of the instructions
        string shown = sender.Stderr;
        sender.Kill();
        Check.Contains("On the other computer run", shown, Check.Describe(sender, "sender"));
        Check.Contains("TALLOW_RELAY_PASS", shown, Check.Describe(sender, "sender"));
        Check.Contains("--relay-pass", shown, Check.Describe(sender, "sender"));
        Assert.DoesNotContain(password, shown, StringComparison.Ordinal);

        await using TallowProcess json = TallowProcess.Start(["send", source, "--relay", fixture.Protected.Address, "--relay-pass", password, "--json"]);
        System.Text.Json.JsonElement code = await json.WaitForEventAsync("code", Check.ShortTimeout);
        json.Kill();
        Assert.True(code.GetProperty("relay_password_required").GetBoolean(), Check.Describe(json, "sender --json"));
    }
}
