// `tallow receive --select` on a real pseudo-terminal against a real relay and sender: the
// selector lists the offered files, reacts to keys, cancelling declines (sender exits 3,
// nothing written) and leaves the terminal clean; without a terminal it is a usage error.
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class SelectTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const string Down = "\u001b[B";

    [Theory]
    [InlineData("q")]
    [InlineData("\u001b")]   // Esc
    [InlineData("\u0003")]   // Ctrl-C: cancels the selection, not the process
    public async Task Selector_lists_the_files_reacts_to_keys_and_cancel_declines(string cancelKey)
    {
        using var dir = new TempDir();
        dir.WriteRandomFile("pack/alpha.bin", 1000);
        dir.WriteRandomFile("pack/sub/beta.bin", 2000);
        dir.WriteRandomFile("pack/sub/日本語.txt", 3000);
        string outDir = dir.Combine("out");
        Directory.CreateDirectory(outDir);
        await using TallowProcess sender = TallowProcess.Start(["send", dir.Combine("pack"), "--relay", fixture.Relay.Address, "--json"]);
        string code = (await sender.WaitForEventAsync("code", Wait)).GetProperty("code").GetString()!;
        await using PtyProcess receiver = PtyProcess.Start(["receive", code, "--relay", fixture.Relay.Address, "--out", outDir, "--select"], rows: 12, columns: 120);

        int at = await receiver.WaitForTextAsync("3 of 3 files, 5.9 KiB of 5.9 KiB selected", Wait);
        string shown = receiver.Text;
        Assert.Contains("pack/alpha.bin", shown, StringComparison.Ordinal);
        Assert.Contains("pack/sub/beta.bin", shown, StringComparison.Ordinal);
        Assert.Contains("pack/sub/日本語.txt", shown, StringComparison.Ordinal);
        Assert.Contains("Select files to receive", shown, StringComparison.Ordinal);

        await receiver.TypeAsync(Down + " ");
        at = await receiver.WaitForTextAsync("2 of 3 files, 3.9 KiB of 5.9 KiB selected", Wait, at);
        await receiver.TypeAsync("n");
        at = await receiver.WaitForTextAsync("0 of 3 files", Wait, at);
        await receiver.TypeAsync("a");
        at = await receiver.WaitForTextAsync("3 of 3 files", Wait, at);
        await receiver.TypeAsync("/BETA\r"); // filter, keep it, then deselect what it shows
        at = await receiver.WaitForTextAsync("[1-1 of 1 matching]", Wait, at);
        await receiver.TypeAsync("n");
        at = await receiver.WaitForTextAsync("2 of 3 files, 3.9 KiB of 5.9 KiB selected [1-1 of 1 matching]", Wait, at);
        await receiver.TypeAsync("\u001b"); // clears the filter
        at = await receiver.WaitForTextAsync("Select files to receive", Wait, at);
        await receiver.TypeAsync(cancelKey);

        int receiverExit = await receiver.WaitForExitAsync(Wait);
        Assert.True(receiverExit == 3, $"receiver exit {receiverExit}\n--- terminal:\n{receiver.Text}");
        Check.Exit(3, await sender.WaitForExitAsync(Wait), sender, "sender");
        Check.Contains("declined", Check.ErrorMessage(sender, "sender", 3), Check.Describe(sender, "sender"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(outDir));

        string raw = receiver.Raw;
        int lastHide = raw.LastIndexOf("\u001b[?25l", StringComparison.Ordinal);
        Assert.True(lastHide >= 0 && raw.IndexOf("\u001b[?25h", lastHide, StringComparison.Ordinal) > lastHide, "the cursor must be shown again");
        string after = receiver.Text[at..];
        Assert.Contains("Selection cancelled.", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enter_accepts_the_selection_without_a_second_prompt()
    {
        using var dir = new TempDir();
        dir.WriteRandomFile("pack/one.bin", 4000);
        dir.WriteRandomFile("pack/two.bin", 5000);
        string outDir = dir.Combine("out");
        Directory.CreateDirectory(outDir);
        await using TallowProcess sender = TallowProcess.Start(["send", dir.Combine("pack"), "--relay", fixture.Relay.Address, "--json"]);
        string code = (await sender.WaitForEventAsync("code", Wait)).GetProperty("code").GetString()!;
        await using PtyProcess receiver = PtyProcess.Start(["receive", code, "--relay", fixture.Relay.Address, "--out", outDir, "--select"], rows: 3, columns: 40);

        await receiver.WaitForTextAsync("2/2 files", Wait); // a 3-line terminal: one row and a short footer
        await receiver.TypeAsync("\r");

        int receiverExit = await receiver.WaitForExitAsync(Wait);
        Assert.True(receiverExit == 0, $"receiver exit {receiverExit}\n--- terminal:\n{receiver.Text}");
        Check.Exit(0, await sender.WaitForExitAsync(Wait), sender, "sender");
        Assert.DoesNotContain("[y/N]", receiver.Text, StringComparison.Ordinal);
        Assert.Contains("Selected 2 of 2 files", receiver.Text, StringComparison.Ordinal);
        Check.SameTree(dir.Combine("pack"), Path.Combine(outDir, "pack"), receiver.Text);
    }

    [Fact]
    public async Task Space_unticks_the_first_file_and_Enter_receives_only_the_others()
    {
        using var dir = new TempDir();
        dir.WriteRandomFile("pack/one.bin", 4000);   // ordinal order: one.bin, three.bin, two.bin
        dir.WriteRandomFile("pack/three.bin", 3000);
        dir.WriteRandomFile("pack/two.bin", 5000);
        string outDir = dir.Combine("out");
        Directory.CreateDirectory(outDir);
        await using TallowProcess sender = TallowProcess.Start(["send", dir.Combine("pack"), "--relay", fixture.Relay.Address, "--json"]);
        string code = (await sender.WaitForEventAsync("code", Wait)).GetProperty("code").GetString()!;
        await using PtyProcess receiver = PtyProcess.Start(["receive", code, "--relay", fixture.Relay.Address, "--out", outDir, "--select"], rows: 12, columns: 100);

        int at = await receiver.WaitForTextAsync("3 of 3 files", Wait);
        await receiver.TypeAsync(" "); // the cursor starts on the first file
        at = await receiver.WaitForTextAsync("2 of 3 files", Wait, at);
        await receiver.TypeAsync("\r");

        int receiverExit = await receiver.WaitForExitAsync(Wait);
        Assert.True(receiverExit == 0, $"receiver exit {receiverExit}\n--- terminal:\n{receiver.Text}");
        Check.Exit(0, await sender.WaitForExitAsync(Wait), sender, "sender");
        Assert.Contains("Selected 2 of 3 files", receiver.Text, StringComparison.Ordinal);
        Assert.Equal(["three.bin", "two.bin"], Directory.GetFiles(Path.Combine(outDir, "pack")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (string name in new[] { "three.bin", "two.bin" })
        {
            Assert.Equal(TempDir.Sha256(dir.Combine("pack", name)), TempDir.Sha256(Path.Combine(outDir, "pack", name)));
        }

        Assert.Equal(2, Check.Events(sender, "file_sent").Count);
        Assert.Equal(8000, Check.SingleEvent(sender, "transfer_complete", "sender").GetProperty("bytes").GetInt64());
    }

    [Fact]
    public async Task Keys_typed_before_the_list_appears_do_not_accept_it()
    {
        using var dir = new TempDir();
        dir.WriteRandomFile("pack/one.bin", 1000);
        string outDir = dir.Combine("out");
        Directory.CreateDirectory(outDir);
        var env = new Dictionary<string, string?> { ["TALLOW_CODE"] = $"{Random.Shared.Next(100_000, 1_000_000)}-yodel-zodiac-ambush" };
        await using PtyProcess sender = PtyProcess.Start(["send", dir.Combine("pack"), "--relay", fixture.Relay.Address], environment: env); // --verify asks both users
        await sender.WaitForTextAsync("Code is:", Wait);
        await using PtyProcess receiver = PtyProcess.Start(["receive", "--relay", fixture.Relay.Address, "--out", outDir, "--select", "--verify"], environment: env);

        // The safety-number question comes before the offer: answering it with one Enter too many
        // leaves that Enter waiting when the list appears, deterministically.
        int at = await receiver.WaitForTextAsync("[y/N]", Wait);
        await sender.WaitForTextAsync("[y/N]", Wait);
        await receiver.TypeAsync("y\r\r");
        await sender.TypeAsync("y\r");
        at = await receiver.WaitForTextAsync("1 of 1 files", Wait, at);
        await Task.Delay(500);
        Assert.DoesNotContain("Selected 1 of 1", receiver.Text, StringComparison.Ordinal);
        await receiver.TypeAsync("q");
        int receiverExit = await receiver.WaitForExitAsync(Wait);
        Assert.True(receiverExit == 3, $"receiver exit {receiverExit}\n--- terminal:\n{receiver.Text}");
        int senderExit = await sender.WaitForExitAsync(Wait);
        Assert.True(senderExit == 3, $"sender exit {senderExit}\n--- terminal:\n{sender.Text}");
        Assert.Empty(Directory.EnumerateFileSystemEntries(outDir));
    }

    [Fact]
    public async Task Select_without_a_terminal_is_a_usage_error_before_connecting()
    {
        string closedRelay = $"127.0.0.1:{Check.ClosedPort()}"; // exit 2, not 4: nothing was connected
        await using TallowProcess receiver = TallowProcess.Start(["receive", "1-some-code-words", "--relay", closedRelay, "--select"]);
        Check.Exit(2, await receiver.WaitForExitAsync(Wait), receiver, "receiver");
        Check.Contains("--only GLOB", receiver.Stderr, Check.Describe(receiver, "receiver"));
    }

    [Fact]
    public async Task Select_with_json_is_a_usage_error_even_on_a_terminal()
    {
        string closedRelay = $"127.0.0.1:{Check.ClosedPort()}";
        await using PtyProcess receiver = PtyProcess.Start(["receive", "1-some-code-words", "--relay", closedRelay, "--select", "--json"]);
        int exit = await receiver.WaitForExitAsync(Wait);
        Assert.True(exit == 2, $"exit {exit}\n--- terminal:\n{receiver.Text}");
        Assert.Contains("--only GLOB", receiver.Text, StringComparison.Ordinal);
    }
}
