// `tallow ssh invite` / `tallow ssh accept` (issue 17) end to end: a real relay, real tallow
// processes, and a real sshd on a loopback port whose authorized_keys is the inviting side's
// scratch HOME. Before the exchange `ssh -i KEY` is refused, after it logs in. Also: a private key
// never leaves the accepting side, a hostile peer's private key or garbage is refused by the
// inviting side, a symlinked authorized_keys is never written through (its target unchanged), a key
// already there is not added twice, a "no" on the terminal ends both sides with exit 3, and no
// terminal without --yes is a usage error before any code is shown.
using System.Text.Json;
using Tallow.Crypto;
using Tallow.IntegrationTests.Infrastructure;
using Tallow.Net.Session;
using Tallow.Protocol.Records;
using Tallow.Wire;
using Record = Tallow.Protocol.Records.Record;

namespace Tallow.IntegrationTests;

public sealed class SshInviteTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(45);

    private static Dictionary<string, string?> HomeEnv(string home) => new() { ["HOME"] = home };

    /// <summary>A client key pair in the server's scratch folder (outside the home); returns the private key's path.</summary>
    private static string ClientKey(SshServer server, string name = "id_ed25519")
    {
        string path = Path.Combine(server.Root, "client", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Tool.Check(TimeSpan.FromSeconds(60), "ssh-keygen", "-q", "-t", "ed25519", "-N", string.Empty, "-C", "visitor@laptop", "-f", path);
        return path;
    }

    private string[] Relay => ["--relay", fixture.Relay.Address, "--no-p2p"];

    /// <summary>`ssh invite --json` for the server's home, once it shows its code.</summary>
    private async Task<(TallowProcess Invite, string Code)> StartInviteAsync(SshServer server, params string[] extra)
    {
        TallowProcess invite = TallowProcess.Start(["ssh", "invite", .. Relay, "--json", .. extra], environment: HomeEnv(server.Home));
        JsonElement code = await invite.WaitForEventAsync("code", Wait);
        return (invite, code.GetProperty("code").GetString()!);
    }

    private TallowProcess StartAccept(string code, string keyFile, string home) =>
        TallowProcess.Start(["ssh", "accept", "--key", keyFile, .. Relay, "--json"], environment: new Dictionary<string, string?> { ["TALLOW_CODE"] = code, ["HOME"] = home });

    private static string AuthorizedKeys(SshServer server) => Path.Combine(server.Home, ".ssh", "authorized_keys");

    private static string Status(TallowProcess process, string role) => Check.SingleEvent(process, "ssh_key_result", role).GetProperty("status").GetString()!;

    [Fact]
    public async Task After_invite_and_accept_ssh_logs_in_with_the_key_and_before_it_does_not()
    {
        using SshServer server = await SshServer.StartAsync();
        string key = ClientKey(server);
        ToolResult before = server.Login(key);
        Assert.True(before.ExitCode != 0, $"ssh logged in before the key was installed: {before.Output}\n{server.Log}");

        (TallowProcess i, string code) = await StartInviteAsync(server, "--yes");
        await using TallowProcess invite = i;
        await using TallowProcess accept = StartAccept(code, key + ".pub", Path.Combine(server.Root, "client"));
        Check.Exit(0, await accept.WaitForExitAsync(Wait), accept, "accept");
        Check.Exit(0, await invite.WaitForExitAsync(Wait), invite, "invite");

        string fingerprint = Tool.Check(TimeSpan.FromSeconds(30), "ssh-keygen", "-lf", key + ".pub").Split(' ')[1];
        JsonElement shown = Check.SingleEvent(invite, "ssh_key", "invite");
        Assert.Equal(fingerprint, shown.GetProperty("fingerprint").GetString());
        Assert.Equal("visitor@laptop", shown.GetProperty("comment").GetString());
        Assert.Equal("installed", Status(invite, "invite"));
        Assert.Equal("installed", Status(accept, "accept"));
        Assert.Equal(File.ReadAllText(key + ".pub"), File.ReadAllText(AuthorizedKeys(server)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(AuthorizedKeys(server))!));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(AuthorizedKeys(server)));

        ToolResult after = server.Login(key);
        Assert.True(after.ExitCode == 0, $"ssh did not log in after the key was installed: {after.Output}\n{server.Log}");
    }

    [Fact]
    public async Task A_private_key_is_refused_before_anything_is_sent()
    {
        using SshServer server = await SshServer.StartAsync();
        string key = ClientKey(server);
        (TallowProcess i, string code) = await StartInviteAsync(server, "--yes");
        await using TallowProcess invite = i;
        await using TallowProcess accept = StartAccept(code, key, Path.Combine(server.Root, "client"));

        Check.Exit(2, await accept.WaitForExitAsync(Wait), accept, "accept");
        Check.Contains("PRIVATE key", Check.ErrorMessage(accept, "accept", 2), Check.Describe(accept, "accept"));
        Assert.DoesNotContain("PRIVATE KEY-----", accept.Stdout + accept.Stderr, StringComparison.Ordinal);
        Assert.Empty(Check.Events(accept, "peer_connected")); // refused before the session: the code was not even tried
        Assert.False(invite.HasExited, Check.Describe(invite, "invite"));
        Assert.False(Directory.Exists(Path.Combine(server.Home, ".ssh")));
    }

    [Theory]
    [InlineData("private")]
    [InlineData("options")]
    [InlineData("garbage")]
    public async Task The_inviting_side_refuses_what_a_hostile_peer_sends_and_installs_nothing(string what)
    {
        using SshServer server = await SshServer.StartAsync();
        string key = ClientKey(server);
        string line = what switch
        {
            "private" => File.ReadAllText(key),
            "options" => "command=\"/bin/sh -c 'id'\" " + File.ReadAllText(key + ".pub"),
            _ => "ssh-ed25519 \u001b]0;owned\u0007AAAA",
        };
        (TallowProcess i, string code) = await StartInviteAsync(server, "--yes");
        await using TallowProcess invite = i;

        // A hand-built peer (real relay, real handshake, real sealed records) that sends the line as its key.
        Assert.True(RelayAddress.TryParse(fixture.Relay.Address, out RelayAddress relay));
        var options = new SessionOptions { Relay = relay, DirectEnabled = false };
        using var cts = new CancellationTokenSource(Wait);
        await using PeerSession peer = await PeerSession.JoinRoomAsync(options, CodePhrase.NameplateOf(code, out _), cts.Token);
        await peer.EstablishAsync(code, options, cts.Token);
        Tallow.Protocol.Session.RecordPort safety = peer.Records!.Port(RecordGroup.Safety);
        await safety.SendAsync(RecordKind.SafetyCheck, SafetyCheckMessage.Write(SafetyState.NotAsked), cts.Token);
        Assert.Equal(RecordKind.SafetyCheck, (await safety.ReceiveAsync(cts.Token)).Kind);
        Tallow.Protocol.Session.RecordPort ssh = peer.Records.Port(RecordGroup.Ssh);
        await ssh.SendAsync(RecordKind.SshKey, new SshKeyMessage(line).ToBytes(), cts.Token);
        Record answer = await ssh.ReceiveAsync(cts.Token);

        Assert.True(answer.Kind == RecordKind.SshKeyResult && SshKeyResultMessage.TryParse(answer.Body.Span, out SshKeyResultMessage result) && result.Status == SshKeyStatus.Refused,
            Check.Describe(invite, "invite"));
        Check.Exit(3, await invite.WaitForExitAsync(Wait), invite, "invite");
        Check.Contains("refused", Check.ErrorMessage(invite, "invite", 3), Check.Describe(invite, "invite"));
        Assert.Empty(Check.Events(invite, "ssh_key"));
        Assert.False(Directory.Exists(Path.Combine(server.Home, ".ssh")));
        Assert.DoesNotContain('\u001b', invite.Stdout + invite.Stderr);
        Assert.NotEqual(0, server.Login(key).ExitCode);
    }

    [Fact]
    public async Task A_symlinked_authorized_keys_is_never_written_through()
    {
        using SshServer server = await SshServer.StartAsync();
        string key = ClientKey(server);
        string target = Path.Combine(server.Root, "target");
        File.WriteAllText(target, "# precious\n");
        Directory.CreateDirectory(Path.Combine(server.Home, ".ssh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.CreateSymbolicLink(AuthorizedKeys(server), target);

        (TallowProcess i, string code) = await StartInviteAsync(server, "--yes");
        await using TallowProcess invite = i;
        await using TallowProcess accept = StartAccept(code, key + ".pub", Path.Combine(server.Root, "client"));
        Check.Exit(3, await accept.WaitForExitAsync(Wait), accept, "accept");
        Check.Exit(5, await invite.WaitForExitAsync(Wait), invite, "invite");

        Check.Contains("symlink", Check.ErrorMessage(invite, "invite", 5), Check.Describe(invite, "invite"));
        Check.Contains("could not write", Check.ErrorMessage(accept, "accept", 3), Check.Describe(accept, "accept"));
        Assert.Equal("# precious\n", File.ReadAllText(target));
        Assert.NotNull(new FileInfo(AuthorizedKeys(server)).LinkTarget);
    }

    [Fact]
    public async Task A_key_already_present_is_not_added_again_and_both_sides_say_so()
    {
        using SshServer server = await SshServer.StartAsync();
        string key = ClientKey(server);
        Directory.CreateDirectory(Path.Combine(server.Home, ".ssh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string before = "# keys\nno-port-forwarding " + File.ReadAllText(key + ".pub").Replace("visitor@laptop", "older comment", StringComparison.Ordinal);
        File.WriteAllText(AuthorizedKeys(server), before);
        File.SetUnixFileMode(AuthorizedKeys(server), UnixFileMode.UserRead | UnixFileMode.UserWrite);

        (TallowProcess i, string code) = await StartInviteAsync(server, "--yes");
        await using TallowProcess invite = i;
        await using TallowProcess accept = StartAccept(code, key + ".pub", Path.Combine(server.Root, "client"));
        Check.Exit(0, await accept.WaitForExitAsync(Wait), accept, "accept");
        Check.Exit(0, await invite.WaitForExitAsync(Wait), invite, "invite");

        Assert.Equal("already_present", Status(invite, "invite"));
        Assert.Equal("already_present", Status(accept, "accept"));
        Assert.Equal(before, File.ReadAllText(AuthorizedKeys(server)));
        Assert.Equal(0, server.Login(key).ExitCode);
    }

    [Fact]
    public async Task A_no_on_the_terminal_installs_nothing_and_both_sides_exit_3()
    {
        using SshServer server = await SshServer.StartAsync();
        string key = ClientKey(server);
        (PtyProcess i, TallowProcess a) = await AskedOnTerminalAsync(server, key);
        await using PtyProcess invite = i;
        await using TallowProcess accept = a;
        await invite.TypeAsync("n\r");
        int inviteExit = await invite.WaitForExitAsync(Wait);
        Check.Exit(3, await accept.WaitForExitAsync(Wait), accept, "accept");
        Assert.True(inviteExit == 3, $"invite exit {inviteExit}\n--- terminal:\n{invite.Text}");
        Check.Contains("declined", Check.ErrorMessage(accept, "accept", 3), Check.Describe(accept, "accept"));
        Assert.False(Directory.Exists(Path.Combine(server.Home, ".ssh")));
        Assert.NotEqual(0, server.Login(key).ExitCode);
    }

    [Fact]
    public async Task A_yes_on_the_terminal_installs_the_key()
    {
        using SshServer server = await SshServer.StartAsync();
        string key = ClientKey(server);
        (PtyProcess i, TallowProcess a) = await AskedOnTerminalAsync(server, key);
        await using PtyProcess invite = i;
        await using TallowProcess accept = a;
        await invite.TypeAsync("y\r");
        int inviteExit = await invite.WaitForExitAsync(Wait);
        Check.Exit(0, await accept.WaitForExitAsync(Wait), accept, "accept");
        Assert.True(inviteExit == 0, $"invite exit {inviteExit}\n--- terminal:\n{invite.Text}");
        Assert.Contains("Installed the key", invite.Text, StringComparison.Ordinal);
        Assert.Equal(0, server.Login(key).ExitCode);
    }

    /// <summary>`ssh invite` on a terminal (no --yes) and `ssh accept` sending <paramref name="key"/>.pub; returns once the invite asks.</summary>
    private async Task<(PtyProcess Invite, TallowProcess Accept)> AskedOnTerminalAsync(SshServer server, string key)
    {
        string code = $"{Random.Shared.Next(100_000, 1_000_000)}-yodel-zodiac-ambush";
        PtyProcess invite = PtyProcess.Start(["ssh", "invite", "--code", code, .. Relay], environment: HomeEnv(server.Home));
        TallowProcess? accept = null;
        try
        {
            await invite.WaitForTextAsync("Code is:", Wait);
            accept = StartAccept(code, key + ".pub", Path.Combine(server.Root, "client"));
            await invite.WaitForTextAsync("[y/N]", Wait);
            Assert.Contains("visitor@laptop", invite.Text, StringComparison.Ordinal);
            Assert.Contains(Tool.Check(TimeSpan.FromSeconds(30), "ssh-keygen", "-lf", key + ".pub").Split(' ')[1], invite.Text, StringComparison.Ordinal);
            return (invite, accept);
        }
        catch
        {
            await invite.DisposeAsync();
            if (accept is not null)
            {
                await accept.DisposeAsync();
            }

            throw;
        }
    }

    [Fact]
    public async Task A_wrong_code_ends_both_sides_with_exit_6_and_installs_nothing()
    {
        using SshServer server = await SshServer.StartAsync();
        string key = ClientKey(server);
        (TallowProcess i, string code) = await StartInviteAsync(server, "--yes");
        await using TallowProcess invite = i;
        await using TallowProcess accept = StartAccept(code.Split('-')[0] + "-definitely-not-these-words", key + ".pub", Path.Combine(server.Root, "client"));

        Check.Exit(6, await accept.WaitForExitAsync(Wait), accept, "accept");
        Check.Exit(6, await invite.WaitForExitAsync(Wait), invite, "invite");
        Check.Contains("wrong code", Check.ErrorMessage(accept, "accept", 6), Check.Describe(accept, "accept"));
        Assert.Empty(Check.Events(invite, "ssh_key"));
        Assert.False(Directory.Exists(Path.Combine(server.Home, ".ssh")));
    }

    [Fact]
    public async Task With_several_keys_in_ssh_the_accepting_side_asks_which_and_sends_that_one()
    {
        using SshServer server = await SshServer.StartAsync();
        string clientHome = Path.Combine(server.Root, "client");
        string first = ClientKey(server, ".ssh/id_a");
        string second = ClientKey(server, ".ssh/id_b");
        (TallowProcess i, string code) = await StartInviteAsync(server, "--yes");
        await using TallowProcess invite = i;
        await using PtyProcess accept = PtyProcess.Start(["ssh", "accept", .. Relay], environment: new Dictionary<string, string?> { ["TALLOW_CODE"] = code, ["HOME"] = clientHome });

        await accept.WaitForTextAsync("Which key should be sent? [1-2]", Wait);
        Assert.Contains("id_a.pub", accept.Text, StringComparison.Ordinal);
        await accept.TypeAsync("2\r");
        Assert.True(await accept.WaitForExitAsync(Wait) == 0, accept.Text);
        Check.Exit(0, await invite.WaitForExitAsync(Wait), invite, "invite");

        Assert.Equal(File.ReadAllText(second + ".pub"), File.ReadAllText(AuthorizedKeys(server)));
        Assert.Equal(0, server.Login(second).ExitCode);
        Assert.NotEqual(0, server.Login(first).ExitCode);
    }

    [Fact]
    public async Task An_unknown_user_or_user_without_root_is_a_usage_error_before_any_code()
    {
        using var home = new TempDir();
        await using TallowProcess invite = TallowProcess.Start(["ssh", "invite", "--yes", "--user", "no-such-user-tallow", .. Relay], environment: HomeEnv(home.Path));
        Check.Exit(2, await invite.WaitForExitAsync(Wait), invite, "invite");
        Check.Contains(Environment.IsPrivilegedProcess ? "no user 'no-such-user-tallow'" : "only root may", invite.Stderr, Check.Describe(invite, "invite"));
        Assert.DoesNotContain("Code is", invite.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_terminal_and_without_yes_the_invite_is_a_usage_error_before_any_code()
    {
        using var home = new TempDir();
        await using TallowProcess invite = TallowProcess.Start(["ssh", "invite", .. Relay], environment: HomeEnv(home.Path));
        Check.Exit(2, await invite.WaitForExitAsync(Wait), invite, "invite");
        Check.Contains("--yes", invite.Stderr, Check.Describe(invite, "invite"));
        Assert.DoesNotContain("Code is", invite.Stderr, StringComparison.Ordinal);
    }
}
