// End-to-end failures: each must end with the documented exit code (DESIGN.md §12), quickly,
// with a message that says what happened. Relays are real and on 127.0.0.1 (one open, one with a password).
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class ErrorPathTests(OpenAndPasswordRelayFixture fixture) : IClassFixture<OpenAndPasswordRelayFixture>
{
    private const string Password = OpenAndPasswordRelayFixture.Password;

    [Fact]
    public async Task Wrong_words_with_the_right_nameplate_fail_on_both_sides_with_exit_6()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("secret.bin", 1000);
        string outDir = dir.Combine("out");
        string relay = fixture.Open.Address;
        await using TallowProcess sender = TallowProcess.Start(["send", source, "--relay", relay, "--json"]);
        string code = (await sender.WaitForEventAsync("code", Check.ShortTimeout)).GetProperty("code").GetString()!;
        string nameplate = code[..code.IndexOf('-', StringComparison.Ordinal)];
        Assert.True(uint.TryParse(nameplate, out _), $"code '{code}' does not start with a nameplate number");
        string wrongCode = nameplate + "-definitely-not-these-words";

        var clock = Stopwatch.StartNew();
        await using TallowProcess receiver = TallowProcess.Start(["receive", wrongCode, "--relay", relay, "--out", outDir, "--yes", "--json"]);
        Check.Exit(6, await receiver.WaitForExitAsync(Check.ShortTimeout), receiver, "receiver");
        Check.Exit(6, await sender.WaitForExitAsync(Check.ShortTimeout - clock.Elapsed), sender, "sender");
        Assert.True(clock.Elapsed < Check.ShortTimeout, $"took {clock.Elapsed}");

        Check.Contains("wrong code", Check.ErrorMessage(receiver, "receiver", 6), Check.Describe(receiver, "receiver"));
        Check.Contains("wrong code", Check.ErrorMessage(sender, "sender", 6), Check.Describe(sender, "sender"));
        Assert.Empty(Check.Events(receiver, "offer"));
        Assert.False(Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any(), "nothing may be written with a wrong code");
    }

    /// <summary>
    /// The binary copied alone, without the .so files beside it: the first cryptography fails to
    /// load libsodium. That is a one-line error naming the file and what to do, not an "internal
    /// error" listing every path the runtime tried.
    /// </summary>
    [Fact]
    public async Task A_binary_copied_without_its_libraries_says_which_one_is_missing_and_what_to_do()
    {
        using var dir = new TempDir();
        string lonely = dir.Combine("bin", "tallow");
        Directory.CreateDirectory(Path.GetDirectoryName(lonely)!);
        File.Copy(Repo.TallowBinary, lonely);
        File.SetUnixFileMode(lonely, File.GetUnixFileMode(Repo.TallowBinary));
        string source = dir.WriteRandomFile("photo.bin", 1000);
        string outDir = dir.Combine("out");
        string relay = fixture.Open.Address;

        await using TallowProcess sender = TallowProcess.Start(["send", source, "--relay", relay, "--json"]);
        string code = (await sender.WaitForEventAsync("code", Check.ShortTimeout)).GetProperty("code").GetString()!;
        await using TallowProcess receiver = TallowProcess.Start(["receive", code, "--relay", relay, "--out", outDir, "--yes", "--json"], binary: lonely);
        Check.Exit(1, await receiver.WaitForExitAsync(Check.ShortTimeout), receiver, "receiver");

        string message = Check.ErrorMessage(receiver, "receiver", 1);
        Check.Contains("libsodium.so is missing beside the tallow binary", message, Check.Describe(receiver, "receiver"));
        Check.Contains("Copy the whole folder", message, Check.Describe(receiver, "receiver"));
        Assert.DoesNotContain("internal error", message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', message);
        Assert.False(File.Exists(Path.Combine(outDir, "photo.bin")), "nothing is received without the cryptography");
    }

    [Fact]
    public async Task Receiver_without_yes_and_no_terminal_declines_and_sender_exits_3()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("offered.bin", 5000);
        string outDir = dir.Combine("out");
        TransferRun run = await Transfer.RunAsync(fixture.Open, [source], code => [code, "--out", outDir, "--json"], timeout: TimeSpan.FromSeconds(30));
        try
        {
            Check.Exit(3, run.ReceiverExit, run.Receiver, "receiver");
            Check.Exit(3, run.SenderExit, run.Sender, "sender");
            Check.ErrorMessage(run.Sender, "sender", 3);
            Assert.Empty(Check.Events(run.Receiver, "file_received"));
            Assert.False(File.Exists(Path.Combine(outDir, "offered.bin")), "a declined file must not be written");
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task Unreachable_relay_gives_exit_4_on_both_sides_quickly()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("x.bin", 10);
        string relay = $"127.0.0.1:{Check.ClosedPort()}";

        var clock = Stopwatch.StartNew();
        await using TallowProcess sender = TallowProcess.Start(["send", source, "--relay", relay, "--json"]);
        await using TallowProcess receiver = TallowProcess.Start(["receive", "12-alpha-beta", "--relay", relay, "--out", dir.Combine("out"), "--yes", "--json"]);
        Check.Exit(4, await receiver.WaitForExitAsync(Check.ShortTimeout), receiver, "receiver");
        Check.Exit(4, await sender.WaitForExitAsync(Check.ShortTimeout - clock.Elapsed), sender, "sender");
        Assert.True(clock.Elapsed < Check.ShortTimeout, $"took {clock.Elapsed}");
        Check.ErrorMessage(sender, "sender", 4);
        Check.ErrorMessage(receiver, "receiver", 4);
        Assert.Empty(Check.Events(sender, "code"));
    }

    [Fact]
    public async Task Missing_input_file_exits_5_without_connecting()
    {
        using var dir = new TempDir();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        try
        {
            await using TallowProcess sender = TallowProcess.Start(["send", dir.Combine("does-not-exist.bin"), "--relay", $"127.0.0.1:{port}", "--json"]);
            Check.Exit(5, await sender.WaitForExitAsync(Check.ShortTimeout), sender, "sender");
            Check.Contains("does-not-exist.bin", Check.ErrorMessage(sender, "sender", 5), Check.Describe(sender, "sender"));
            Assert.False(listener.Pending(), "the sender connected to the relay although its input was missing");
            Assert.Empty(Check.Events(sender, "code"));
        }
        finally
        {
            listener.Stop();
        }
    }

    [Theory]
    [InlineData("send", "--no-such-option")]
    [InlineData("receive", "--no-such-option")]
    [InlineData("relay", "--no-such-option")]
    public async Task Unknown_option_exits_2(string command, string option)
    {
        using var dir = new TempDir();
        string[] args = command switch
        {
            "send" => ["send", dir.WriteRandomFile("f.txt", 3), option, "--relay", "127.0.0.1:9"],
            "receive" => ["receive", "12-alpha-beta", option, "--relay", "127.0.0.1:9"],
            _ => ["relay", "serve", option, "--bind", "127.0.0.1:0"],
        };
        await using TallowProcess process = TallowProcess.Start(args);
        Check.Exit(2, await process.WaitForExitAsync(Check.ShortTimeout), process, command);
        Check.Contains(option, process.Stderr + process.Stdout, Check.Describe(process, command));
    }

    [Fact]
    public async Task Right_relay_password_option_transfers()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("p.bin", 70_000);
        string outDir = dir.Combine("out");
        TransferRun run = await Transfer.RunAsync(fixture.Protected, [source, "--relay-pass", Password],
            code => [code, "--relay-pass", Password, "--out", outDir, "--yes", "--json"]);
        try
        {
            Check.Succeeded(run);
            Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, "p.bin")));
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task Right_relay_password_from_environment_transfers()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("e.bin", 70_000);
        string outDir = dir.Combine("out");
        var env = new Dictionary<string, string?> { ["TALLOW_RELAY_PASS"] = Password };
        TransferRun run = await Transfer.RunAsync(fixture.Protected, [source], code => [code, "--out", outDir, "--yes", "--json"], senderEnv: env, receiverEnv: env);
        try
        {
            Check.Succeeded(run);
            Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, "e.bin")));
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task Wrong_relay_password_exits_6_on_both_sides()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("w.bin", 10);
        string relay = fixture.Protected.Address;

        await using TallowProcess sender = TallowProcess.Start(["send", source, "--relay", relay, "--relay-pass", "not the password", "--json"]);
        Check.Exit(6, await sender.WaitForExitAsync(Check.ShortTimeout), sender, "sender");
        string senderMessage = Check.ErrorMessage(sender, "sender", 6);
        Check.Contains("relay password", senderMessage, Check.Describe(sender, "sender"));
        Assert.DoesNotContain("not the password", sender.Stdout + sender.Stderr, StringComparison.Ordinal);
        Assert.Empty(Check.Events(sender, "code"));

        var env = new Dictionary<string, string?> { ["TALLOW_RELAY_PASS"] = "also wrong" };
        await using TallowProcess receiver = TallowProcess.Start(["receive", "12-alpha-beta", "--relay", relay, "--out", dir.Combine("out"), "--json"], environment: env);
        Check.Exit(6, await receiver.WaitForExitAsync(Check.ShortTimeout), receiver, "receiver");
        Check.Contains("relay password", Check.ErrorMessage(receiver, "receiver", 6), Check.Describe(receiver, "receiver"));
    }

    [Fact]
    public async Task Missing_relay_password_exits_6_on_both_sides()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("m.bin", 10);
        string relay = fixture.Protected.Address;

        await using TallowProcess sender = TallowProcess.Start(["send", source, "--relay", relay, "--json"]);
        Check.Exit(6, await sender.WaitForExitAsync(Check.ShortTimeout), sender, "sender");
        Check.Contains("password", Check.ErrorMessage(sender, "sender", 6), Check.Describe(sender, "sender"));
        Assert.Empty(Check.Events(sender, "code"));

        await using TallowProcess receiver = TallowProcess.Start(["receive", "12-alpha-beta", "--relay", relay, "--out", dir.Combine("out"), "--json"]);
        Check.Exit(6, await receiver.WaitForExitAsync(Check.ShortTimeout), receiver, "receiver");
        Check.Contains("password", Check.ErrorMessage(receiver, "receiver", 6), Check.Describe(receiver, "receiver"));
    }
}
