// The sender's "Sent … in N s" (and transfer_complete's seconds) measure the transfer, from the
// receiver's acceptance, not the time the receiver spent reading its y/N prompt.
using System.Diagnostics;
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class AcceptanceClockTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Thinking = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task The_senders_time_counts_from_the_acceptance_not_from_the_offer()
    {
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("small.bin", 200_000);
        string outDir = dir.Combine("out");
        await using TallowProcess sender = TallowProcess.Start(["send", source, "--relay", fixture.Relay.Address, "--json", "--no-p2p"]);
        string code = (await sender.WaitForEventAsync("code", Wait)).GetProperty("code").GetString()!;
        await using PtyProcess receiver = PtyProcess.Start(["receive", "--relay", fixture.Relay.Address, "--no-p2p", "--out", outDir], environment: new Dictionary<string, string?> { ["TALLOW_CODE"] = code });

        await receiver.WaitForTextAsync("[y/N]", Wait);
        var asked = Stopwatch.StartNew();
        await Task.Delay(Thinking); // the user reads the prompt
        await receiver.TypeAsync("y\r");

        int receiverExit = await receiver.WaitForExitAsync(Wait);
        Assert.True(receiverExit == 0, $"receiver exit {receiverExit}\n--- terminal:\n{receiver.Text}");
        Check.Exit(0, await sender.WaitForExitAsync(Wait), sender, "sender");
        Assert.True(asked.Elapsed >= Thinking);
        Assert.Equal(TempDir.Sha256(source), TempDir.Sha256(Path.Combine(outDir, "small.bin")));

        JsonElement complete = Check.SingleEvent(sender, "transfer_complete", "sender");
        double seconds = complete.GetProperty("seconds").GetDouble();
        Assert.True(seconds < 1.5, $"the sender counted {seconds:0.00} s for 200 kB on loopback: the {Thinking.TotalSeconds} s at the receiver's prompt were included.\n{Check.Describe(sender, "sender")}");
    }
}
