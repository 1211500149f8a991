// What `tallow receive` lets a sync do without asking: --dry-run on either side changes nothing;
// deleting more than half of the mirror needs --allow-mass-delete even with --yes; a first sync
// into an existing folder refuses hidden names going into it under --yes without --allow-hidden;
// --backup keeps what the mirror replaces or deletes; a symlink in the mirror is removed itself,
// never followed out of the mirror.
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests.Sync;

public sealed class SyncSafetyTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private static (TempDir Dir, string Source, string Out, string Mirror) Folders(int files)
    {
        var dir = new TempDir();
        string source = dir.Combine("proj");
        Directory.CreateDirectory(source);
        for (int i = 0; i < files; i++)
        {
            File.WriteAllText(Path.Combine(source, $"f{i}.txt"), $"file {i}");
        }

        return (dir, source, dir.Combine("out"), dir.Combine("out", "proj"));
    }

    private async Task SyncOkAsync(string source, string outDir, string[]? senderArgs = null, string[]? receiverArgs = null)
    {
        TransferRun run = await SyncCli.RunAsync(fixture.Relay, source, outDir, senderArgs, receiverArgs);
        await using (run.AsDisposable())
        {
            Check.Exit(0, run.ReceiverExit, run.Receiver, "receiver");
            Check.Exit(0, run.SenderExit, run.Sender, "sender");
        }
    }

    [Fact]
    public async Task Dry_run_on_the_sender_or_the_receiver_lists_the_plan_and_changes_nothing()
    {
        (TempDir dir, string source, string outDir, string mirror) = Folders(3);
        using TempDir cleanup = dir;
        await SyncOkAsync(source, outDir);
        File.WriteAllText(Path.Combine(source, "new.txt"), "new");
        File.Delete(Path.Combine(source, "f0.txt"));
        SortedDictionary<string, string> before = SyncCli.Tree(mirror);

        TransferRun senderDry = await SyncCli.RunAsync(fixture.Relay, source, outDir, ["--dry-run", "--delete"]);
        await using (senderDry.AsDisposable())
        {
            Check.Exit(0, senderDry.SenderExit, senderDry.Sender, "sender");
            Check.Exit(0, senderDry.ReceiverExit, senderDry.Receiver, "receiver");
            Assert.Contains(senderDry.Sender.Events, e => e.GetProperty("event").GetString() == "sync_change" && e.GetProperty("path").GetString() == "new.txt");
            Assert.Contains(senderDry.Sender.Events, e => e.GetProperty("event").GetString() == "sync_change" && e.GetProperty("action").GetString() == "delete");
        }

        TransferRun receiverDry = await SyncCli.RunAsync(fixture.Relay, source, outDir, ["--delete"], ["--dry-run"]);
        await using (receiverDry.AsDisposable())
        {
            Check.Exit(0, receiverDry.ReceiverExit, receiverDry.Receiver, "receiver");
            Assert.Contains("+ new.txt", receiverDry.Receiver.Stderr, StringComparison.Ordinal);
            Assert.Contains("- f0.txt", receiverDry.Receiver.Stderr, StringComparison.Ordinal);
        }

        Assert.Equal(before, SyncCli.Tree(mirror));
    }

    [Fact]
    public async Task Deleting_more_than_half_of_the_mirror_needs_allow_mass_delete_even_with_yes()
    {
        (TempDir dir, string source, string outDir, string mirror) = Folders(10);
        using TempDir cleanup = dir;
        await SyncOkAsync(source, outDir);
        for (int i = 0; i < 6; i++)
        {
            File.Delete(Path.Combine(source, $"f{i}.txt"));
        }

        TransferRun refused = await SyncCli.RunAsync(fixture.Relay, source, outDir, ["--delete"]);
        await using (refused.AsDisposable())
        {
            Check.Exit(3, refused.ReceiverExit, refused.Receiver, "receiver");
            Assert.Contains("--allow-mass-delete", refused.Receiver.Stderr, StringComparison.Ordinal);
            Assert.Contains("delete 6 of the 10 files", refused.Receiver.Stderr, StringComparison.Ordinal);
            Assert.Equal(10, Directory.GetFiles(mirror).Length);
        }

        await SyncOkAsync(source, outDir, ["--delete"], ["--allow-mass-delete"]);
        Assert.Equal(4, Directory.GetFiles(mirror).Length);
    }

    [Fact]
    public async Task A_first_sync_into_an_existing_folder_refuses_hidden_names_under_yes_without_allow_hidden()
    {
        (TempDir dir, string source, string outDir, string mirror) = Folders(1);
        using TempDir cleanup = dir;
        Directory.CreateDirectory(Path.Combine(source, ".ssh"));
        File.WriteAllText(Path.Combine(source, ".ssh", "authorized_keys"), "ssh-ed25519 AAAA attacker");
        Directory.CreateDirectory(mirror); // the victim's existing folder, not a tallow mirror

        TransferRun refused = await SyncCli.RunAsync(fixture.Relay, source, outDir);
        await using (refused.AsDisposable())
        {
            Check.Exit(3, refused.ReceiverExit, refused.Receiver, "receiver");
            Assert.Contains("--allow-hidden", refused.Receiver.Stderr, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(mirror));
        }

        await SyncOkAsync(source, outDir, receiverArgs: ["--allow-hidden"]);
        Assert.True(File.Exists(Path.Combine(mirror, ".ssh", "authorized_keys")));
    }

    [Fact]
    public async Task Backup_keeps_replaced_and_deleted_files_and_a_symlink_in_the_mirror_is_never_followed()
    {
        (TempDir dir, string source, string outDir, string mirror) = Folders(6);
        using TempDir cleanup = dir;
        string outside = dir.Combine("precious");
        string backup = dir.Combine("backup");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "keep.txt"), "keep me");
        await SyncOkAsync(source, outDir);
        File.WriteAllText(Path.Combine(mirror, "f0.txt"), "edited on the receiver");
        File.CreateSymbolicLink(Path.Combine(mirror, "link"), outside);
        File.Delete(Path.Combine(source, "f1.txt"));
        File.WriteAllText(Path.Combine(source, "f0.txt"), "new at the source");

        TransferRun run = await SyncCli.RunAsync(fixture.Relay, source, outDir, ["--delete"], ["--backup", backup]);
        await using (run.AsDisposable())
        {
            Check.Exit(0, run.ReceiverExit, run.Receiver, "receiver");
            SyncCli.SameTree(source, mirror, run);
            Assert.Contains("changed on this side", run.Receiver.Stderr, StringComparison.Ordinal);
        }

        Assert.Equal("keep me", File.ReadAllText(Path.Combine(outside, "keep.txt")));
        string[] kept = Directory.GetFiles(backup, "*", SearchOption.AllDirectories);
        Assert.Contains(kept, k => k.EndsWith("/f0.txt", StringComparison.Ordinal) && File.ReadAllText(k) == "edited on the receiver");
        Assert.Contains(kept, k => k.EndsWith("/f1.txt", StringComparison.Ordinal) && File.ReadAllText(k) == "file 1");
    }
}
