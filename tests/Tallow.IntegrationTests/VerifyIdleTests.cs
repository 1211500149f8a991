// Users who take their time over the safety number: both sides sit at the --verify question for
// 75 s, longer than the keep-alive (15 s) and silence (60 s) timeouts, then confirm; the session
// is still there and the file arrives. Its own class, so it runs beside the other tests.
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class VerifyIdleTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Answering_the_safety_question_after_75_idle_seconds_still_sends_the_file()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("src/data.bin", 2_000_000);
        var env = new Dictionary<string, string?> { ["TALLOW_CODE"] = $"{Random.Shared.Next(100_000, 1_000_000)}-yodel-zodiac-ambush" };
        await using PtyProcess sender = PtyProcess.Start(["send", source, "--relay", fixture.Relay.Address], environment: env);
        await sender.WaitForTextAsync("Code is:", Wait);
        await using PtyProcess receiver = PtyProcess.Start(["receive", "--relay", fixture.Relay.Address, "--out", dir.Combine("out"), "--yes", "--verify"], environment: env);
        await receiver.WaitForTextAsync("[y/N]", Wait);
        await sender.WaitForTextAsync("[y/N]", Wait);

        await Task.Delay(TimeSpan.FromSeconds(75));
        await receiver.TypeAsync("y\r");
        await sender.TypeAsync("y\r");
        int receiverExit = await receiver.WaitForExitAsync(TimeSpan.FromSeconds(60));
        int senderExit = await sender.WaitForExitAsync(Wait);
        Assert.True(senderExit == 0 && receiverExit == 0, $"exits {senderExit}/{receiverExit}\n--- sender:\n{sender.Text}\n--- receiver:\n{receiver.Text}");
        Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(dir.Combine("out", "data.bin")));
    }
}
