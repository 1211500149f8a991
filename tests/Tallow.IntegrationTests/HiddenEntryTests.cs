// A hostile sender planting files where they run, with the stock `tallow send`: `.config/autostart`
// (an autostart entry, mode 0755), `.git/hooks/pre-commit` in a git work tree and
// `.ssh/authorized_keys` (with --overwrite, replacing the victim's). `receive --yes` must refuse
// each (exit 3, the sender told it was declined, nothing written) unless --allow-hidden; the JSON
// offer carries the marks; on a terminal the prompt names the entries with their marks. Hidden
// names inside a folder the transfer creates are not refused; into an existing one they are.
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class HiddenEntryTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const UnixFileMode Mode755 = (UnixFileMode)0x1ED;

    /// <summary>What the sender sends (relative to its folder), what lands in --out, and how the victim's folder looks.</summary>
    private sealed record Attack(string Send, string Top, string Planted, string[] ReceiverArgs, Action<string> PrepareVictim);

    public static TheoryData<string> Attacks => ["autostart", "git-hooks", "ssh"];

    /// <summary>The receiver's folder, set up as the attack expects it (a work tree, an existing .ssh …).</summary>
    private static string PrepareVictim(Attack attack, TempDir dir)
    {
        string victim = dir.Combine("victim");
        Directory.CreateDirectory(victim);
        attack.PrepareVictim(victim);
        return victim;
    }

    private static Attack Prepare(string name, TempDir dir)
    {
        switch (name)
        {
            case "autostart":
                File.WriteAllText(CreateFor(dir.Combine("evil", ".config", "autostart", "update.desktop")), "[Desktop Entry]\nExec=sh -c 'id > /tmp/pwned'\n");
                File.SetUnixFileMode(dir.Combine("evil", ".config", "autostart", "update.desktop"), Mode755);
                return new Attack("evil/.config", ".config", ".config/autostart/update.desktop", [], home => Directory.CreateDirectory(Path.Combine(home, ".config")));
            case "git-hooks":
                File.WriteAllText(CreateFor(dir.Combine("evil", ".git", "hooks", "pre-commit")), "#!/bin/sh\nid > /tmp/pwned\n");
                File.SetUnixFileMode(dir.Combine("evil", ".git", "hooks", "pre-commit"), Mode755);
                return new Attack("evil/.git", ".git", ".git/hooks/pre-commit", [], tree =>
                {
                    File.WriteAllText(CreateFor(Path.Combine(tree, ".git", "hooks", "pre-commit.sample")), "#!/bin/sh\n");
                    File.WriteAllText(Path.Combine(tree, ".git", "HEAD"), "ref: refs/heads/main\n");
                    File.WriteAllText(Path.Combine(tree, "README.md"), "a work tree\n");
                });
            default:
                File.WriteAllText(CreateFor(dir.Combine("evil", ".ssh", "authorized_keys")), "ssh-ed25519 AAAAattacker attacker@evil\n");
                return new Attack("evil/.ssh", ".ssh", ".ssh/authorized_keys", ["--overwrite"], home =>
                    File.WriteAllText(CreateFor(Path.Combine(home, ".ssh", "authorized_keys")), "ssh-ed25519 AAAAvictim victim@home\n"));
        }
    }

    private static string CreateFor(string file)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        return file;
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Yes_refuses_a_hidden_top_level_entry_writes_nothing_and_the_json_offer_carries_the_marks(string name)
    {
        using var dir = new TempDir();
        Attack attack = Prepare(name, dir);
        string victim = PrepareVictim(attack, dir);
        SortedDictionary<string, string> before = Check.Snapshot(victim);

        TransferRun run = await Transfer.RunAsync(fixture.Relay, [dir.Combine(attack.Send)], code => [code, "--out", victim, "--yes", "--json", .. attack.ReceiverArgs]);
        try
        {
            Check.Exit(3, run.ReceiverExit, run.Receiver, "receiver");
            Check.Exit(3, run.SenderExit, run.Sender, "sender");
            Check.Contains("declined", Check.ErrorMessage(run.Sender, "sender", 3), Check.Describe(run));
            string message = Check.ErrorMessage(run.Receiver, "receiver", 3);
            Check.Contains($"'{attack.Top}'", message, Check.Describe(run));
            Check.Contains("--allow-hidden", message, Check.Describe(run));
            Assert.Equal(before, Check.Snapshot(victim));

            JsonElement offer = Check.SingleEvent(run.Receiver, "offer", "receiver");
            JsonElement top = Assert.Single(offer.GetProperty("entries").EnumerateArray());
            Assert.Equal(attack.Top, top.GetProperty("name").GetString());
            Assert.Equal("folder", top.GetProperty("type").GetString());
            Assert.True(top.GetProperty("hidden").GetBoolean());
            Assert.True(top.GetProperty("exists").GetBoolean()); // merged into the victim's own folder
            Assert.Equal(name == "ssh" ? 0 : 1, top.GetProperty("executables").GetInt32());
            Assert.Equal(name == "ssh" ? 1 : 0, top.GetProperty("replaces").GetInt32());
            Assert.Equal([attack.Top], offer.GetProperty("hidden_into_existing").EnumerateArray().Select(e => e.GetString()));
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Allow_hidden_is_the_explicit_way_to_accept_it_with_yes(string name)
    {
        using var dir = new TempDir();
        Attack attack = Prepare(name, dir);
        string victim = PrepareVictim(attack, dir);

        TransferRun run = await Transfer.RunAsync(fixture.Relay, [dir.Combine(attack.Send)], code => [code, "--out", victim, "--yes", "--allow-hidden", .. attack.ReceiverArgs]);
        try
        {
            Check.Succeeded(run);
            string planted = Path.Combine(victim, attack.Planted);
            Assert.Equal(TempDir.Sha256(dir.Combine(attack.Send, attack.Planted[(attack.Top.Length + 1)..])), TempDir.Sha256(planted));
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task The_prompt_names_the_entry_with_its_marks_and_no_declines(string name)
    {
        using var dir = new TempDir();
        Attack attack = Prepare(name, dir);
        string victim = PrepareVictim(attack, dir);
        SortedDictionary<string, string> before = Check.Snapshot(victim);
        await using TallowProcess sender = TallowProcess.Start(["send", dir.Combine(attack.Send), "--relay", fixture.Relay.Address, "--json"]);
        string code = (await sender.WaitForEventAsync("code", Wait)).GetProperty("code").GetString()!;
        await using PtyProcess receiver = PtyProcess.Start(["receive", "--relay", fixture.Relay.Address, "--out", victim, .. attack.ReceiverArgs], columns: 160,
            environment: new Dictionary<string, string?> { ["TALLOW_CODE"] = code });

        int at = await receiver.WaitForTextAsync("[y/N]", Wait);
        string shown = receiver.Text;
        string marks = name switch
        {
            "ssh" => "  .ssh/  (1 file, 39 B)  [hidden, merged into the existing folder, replaces 1 existing file]",
            "git-hooks" => "  .git/  (1 file, 26 B)  [hidden, 1 executable, merged into the existing folder]",
            _ => "  .config/  (1 file, 45 B)  [hidden, 1 executable, merged into the existing folder]",
        };
        Assert.Contains(marks, shown, StringComparison.Ordinal);
        Assert.Contains($"Warning: hidden names would go into folders that already exist here: '{attack.Top}'.", shown, StringComparison.Ordinal);
        await receiver.TypeAsync("n\r");

        int exit = await receiver.WaitForExitAsync(Wait);
        Assert.True(exit == 3, $"receiver exit {exit}\n--- terminal:\n{receiver.Text}");
        Check.Exit(3, await sender.WaitForExitAsync(Wait), sender, "sender");
        Assert.Equal(before, Check.Snapshot(victim));
        Assert.Contains("transfer declined.", receiver.Text[at..], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Answering_yes_at_the_prompt_accepts_what_was_shown()
    {
        using var dir = new TempDir();
        Attack attack = Prepare("autostart", dir);
        string victim = dir.Combine("victim");
        await using TallowProcess sender = TallowProcess.Start(["send", dir.Combine(attack.Send), "--relay", fixture.Relay.Address, "--json"]);
        string code = (await sender.WaitForEventAsync("code", Wait)).GetProperty("code").GetString()!;
        await using PtyProcess receiver = PtyProcess.Start(["receive", "--relay", fixture.Relay.Address, "--out", victim], columns: 160,
            environment: new Dictionary<string, string?> { ["TALLOW_CODE"] = code });

        await receiver.WaitForTextAsync("[y/N]", Wait);
        await receiver.TypeAsync("y\r");
        int exit = await receiver.WaitForExitAsync(Wait);
        Assert.True(exit == 0, $"receiver exit {exit}\n--- terminal:\n{receiver.Text}");
        Check.Exit(0, await sender.WaitForExitAsync(Wait), sender, "sender");
        string planted = Path.Combine(victim, attack.Planted);
        Assert.Equal(Mode755 & ~(UnixFileMode)0x12, File.GetUnixFileMode(planted) & ~(UnixFileMode)0x12); // the sender's x bits (umask aside)
    }

    [Fact]
    public async Task Hidden_names_inside_a_new_folder_pass_yes_but_not_when_that_folder_already_exists()
    {
        using var dir = new TempDir();
        File.WriteAllText(CreateFor(dir.Combine("proj", ".git", "hooks", "pre-commit")), "#!/bin/sh\nid > /tmp/pwned\n");
        File.WriteAllText(dir.Combine("proj", "main.c"), "int main(void) { return 0; }\n");

        string fresh = dir.Combine("fresh");
        TransferRun first = await Transfer.RunAsync(fixture.Relay, [dir.Combine("proj")], code => [code, "--out", fresh, "--yes"]);
        try
        {
            Check.Succeeded(first); // proj/ is created by the transfer: its .git is the sender's project, not a plant
            Check.SameTree(dir.Combine("proj"), Path.Combine(fresh, "proj"), Check.Describe(first));
        }
        finally
        {
            await first.DisposeAsync();
        }

        string workspace = dir.Combine("workspace");
        Directory.CreateDirectory(Path.Combine(workspace, "proj", ".git", "hooks"));
        File.WriteAllText(Path.Combine(workspace, "proj", "main.c"), "my own work\n");
        SortedDictionary<string, string> before = Check.Snapshot(workspace);
        TransferRun second = await Transfer.RunAsync(fixture.Relay, [dir.Combine("proj")], code => [code, "--out", workspace, "--yes", "--overwrite"]);
        try
        {
            Check.Exit(3, second.ReceiverExit, second.Receiver, "receiver");
            Check.Exit(3, second.SenderExit, second.Sender, "sender");
            Check.Contains("'proj/.git'", second.Receiver.Stderr, Check.Describe(second));
            Check.Contains("--allow-hidden", second.Receiver.Stderr, Check.Describe(second));
            Assert.Equal(before, Check.Snapshot(workspace));
        }
        finally
        {
            await second.DisposeAsync();
        }
    }
}
