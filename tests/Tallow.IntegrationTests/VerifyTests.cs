// --verify asked on one side only (issue 15, item 10), with the real binary on real terminals:
// both users are asked, data moves only after both said yes, a "no" on either side stops both
// with the authentication exit code (the other side is told it was rejected, its question
// withdrawn), and a side without a terminal fails instead of skipping the question.
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class VerifyTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const string Question = "same digits and the same emoji? [y/N]";

    /// <summary>A custom code (the sender on a pty prints it among other text) with a nameplate no other test uses.</summary>
    private static string NewCode() => $"{Random.Shared.Next(100_000, 1_000_000)}-yodel-zodiac-ambush";

    private static Dictionary<string, string?> CodeEnv(string code) => new() { ["TALLOW_CODE"] = code };

    /// <summary>Both sides on terminals, the receiver with --verify (started once the sender holds its room); returns when both are asked.</summary>
    private async Task<(PtyProcess Sender, PtyProcess Receiver)> BothAskedAsync(TempDir dir, string source)
    {
        string code = NewCode();
        PtyProcess sender = PtyProcess.Start(["send", source, "--relay", fixture.Relay.Address, "--no-p2p"], environment: CodeEnv(code));
        await sender.WaitForTextAsync("Code is:", Wait);
        PtyProcess receiver = PtyProcess.Start(
            ["receive", "--relay", fixture.Relay.Address, "--no-p2p", "--out", dir.Combine("out"), "--yes", "--verify"], environment: CodeEnv(code));
        await receiver.WaitForTextAsync(Question, Wait);
        await sender.WaitForTextAsync(Question, Wait);
        return (sender, receiver);
    }

    /// <summary>A sender without a terminal (JSON, stdin closed), started and holding its room.</summary>
    private async Task<TallowProcess> StartPipedSenderAsync(string source, string code, params string[] extra)
    {
        TallowProcess sender = TallowProcess.Start(["send", source, "--relay", fixture.Relay.Address, "--no-p2p", "--json", .. extra], environment: CodeEnv(code));
        await sender.WaitForEventAsync("code", Wait);
        return sender;
    }

    private static string Both(PtyProcess sender, PtyProcess receiver) => $"--- sender:\n{sender.Text}\n--- receiver:\n{receiver.Text}";

    [Fact]
    public async Task Asked_by_the_receiver_only_both_users_compare_and_the_file_arrives_after_both_said_yes()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("src/data.bin", 300_000);
        (PtyProcess s, PtyProcess r) = await BothAskedAsync(dir, source);
        await using PtyProcess sender = s;
        await using PtyProcess receiver = r;
        Assert.Contains("the other side asked to compare", sender.Text, StringComparison.Ordinal);
        string digits = SafetyDigits(sender.Text);
        Assert.Equal(digits, SafetyDigits(receiver.Text));

        await receiver.TypeAsync("y\r");
        await receiver.WaitForTextAsync("Waiting for the other side", Wait);
        await Task.Delay(500);
        Assert.False(File.Exists(dir.Combine("out", "data.bin")), "data moved before the sender's user confirmed\n" + Both(sender, receiver));

        await sender.TypeAsync("y\r");
        int senderExit = await sender.WaitForExitAsync(Wait);
        int receiverExit = await receiver.WaitForExitAsync(Wait);
        Assert.True(senderExit == 0 && receiverExit == 0, $"exits {senderExit}/{receiverExit}\n{Both(sender, receiver)}");
        Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(dir.Combine("out", "data.bin")));
        Assert.Contains("confirmed on both sides", receiver.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_no_on_the_side_that_did_not_ask_is_reported_to_the_asking_side_as_a_rejection()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("src/data.bin", 300_000);
        (PtyProcess s, PtyProcess r) = await BothAskedAsync(dir, source);
        await using PtyProcess sender = s;
        await using PtyProcess receiver = r;
        await sender.TypeAsync("n\r");
        int senderExit = await sender.WaitForExitAsync(Wait);
        int receiverExit = await receiver.WaitForExitAsync(Wait); // its question is withdrawn: nobody answers it
        Assert.True(senderExit == 6 && receiverExit == 6, $"exits {senderExit}/{receiverExit}\n{Both(sender, receiver)}");
        Assert.Contains("not confirmed", sender.Text, StringComparison.Ordinal);
        Assert.Contains("the other side says the safety numbers do not match", receiver.Text, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Combine("out")) && Directory.EnumerateFileSystemEntries(dir.Combine("out")).Any(), "something was written\n" + Both(sender, receiver));
    }

    [Fact]
    public async Task A_side_without_a_terminal_fails_instead_of_skipping_the_question_and_the_asking_side_is_told()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("src/data.bin", 300_000);
        string code = NewCode();
        await using TallowProcess sender = await StartPipedSenderAsync(source, code);
        await using PtyProcess receiver = PtyProcess.Start(
            ["receive", "--relay", fixture.Relay.Address, "--no-p2p", "--out", dir.Combine("out"), "--yes", "--verify"], environment: CodeEnv(code));

        Check.Exit(2, await sender.WaitForExitAsync(Wait), sender, "sender");
        Check.Contains("the other side asked to compare safety numbers (--verify), which needs a terminal here", Check.ErrorMessage(sender, "sender", 2), Check.Describe(sender, "sender"));
        int receiverExit = await receiver.WaitForExitAsync(Wait);
        Assert.True(receiverExit == 3, $"receiver exit {receiverExit}\n--- receiver:\n{receiver.Text}");
        Assert.Contains("the other side cannot compare safety numbers", receiver.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_without_a_terminal_on_the_asking_side_is_an_error_not_a_skipped_question()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("src/data.bin", 300_000);
        string code = NewCode();
        await using TallowProcess sender = await StartPipedSenderAsync(source, code, "--verify");
        await using TallowProcess receiver = TallowProcess.Start(
            ["receive", "--relay", fixture.Relay.Address, "--no-p2p", "--out", dir.Combine("out"), "--yes"], environment: CodeEnv(code));

        Check.Exit(2, await sender.WaitForExitAsync(Wait), sender, "sender");
        Check.Contains("--verify needs a terminal", Check.ErrorMessage(sender, "sender", 2), Check.Describe(sender, "sender"));
        Assert.NotEqual(0, await receiver.WaitForExitAsync(Wait));
        Assert.False(File.Exists(dir.Combine("out", "data.bin")));
    }

    /// <summary>The six digits after "Safety number: ".</summary>
    private static string SafetyDigits(string text)
    {
        int at = text.IndexOf("Safety number: ", StringComparison.Ordinal);
        Assert.True(at >= 0, text);
        return text.Substring(at + "Safety number: ".Length, 6);
    }
}
