// Ctrl-C in the middle of a transfer (issue 15, item 9): the interrupted side exits 130 and tells
// its peer on the way out, so the peer reports "cancelled by the sender/receiver" with exit 3
// instead of "connection lost" (exit 4); an interrupted receiver says how to resume. Real `tallow`
// processes on a real relay, over the relay and over the direct path; the transfer is throttled
// so it is surely running when SIGINT comes.
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class CancelTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData(Victim.Sender, false)]
    [InlineData(Victim.Receiver, false)]
    [InlineData(Victim.Sender, true)]
    [InlineData(Victim.Receiver, true)]
    public async Task Ctrl_c_on_one_side_is_reported_to_the_other_as_cancelled_with_exit_3(Victim interrupted, bool direct)
    {
        string[] path = direct ? [] : ["--no-p2p"];
        using var dir = new TempDir();
        string source = dir.WriteRandomFile("big.bin", 20_000_000);
        string outDir = dir.Combine("out");
        string relay = fixture.Relay.Address;
        await using TallowProcess sender = TallowProcess.Start(["send", source, "--relay", relay, "--throttle", "2M", .. path, "--json"]);
        string code = (await sender.WaitForEventAsync("code", Check.ShortTimeout)).GetProperty("code").GetString()!;
        await using TallowProcess receiver = TallowProcess.Start(["receive", code, "--relay", relay, "--out", outDir, "--yes", .. path, "--json"]);
        await InterruptedTransfer.WaitForProgressAsync(receiver, 1_000_000, TimeSpan.FromSeconds(30));
        if (direct)
        {
            await receiver.WaitForEventAsync("p2p_upgrade", Check.ShortTimeout); // the Leave goes over the direct path
        }

        (TallowProcess victim, string victimRole, TallowProcess peer, string peerRole) = interrupted == Victim.Sender
            ? (sender, "sender", receiver, "receiver")
            : (receiver, "receiver", sender, "sender");
        victim.Interrupt();
        Check.Exit(130, await victim.WaitForExitAsync(ExitTimeout), victim, victimRole);
        Check.Exit(3, await peer.WaitForExitAsync(ExitTimeout), peer, peerRole);

        Check.Contains($"cancelled by the {victimRole}", Check.ErrorMessage(peer, peerRole, 3), Check.Describe(peer, peerRole));
        if (interrupted == Victim.Receiver)
        {
            Check.Contains("run 'tallow receive' here again", Check.ErrorMessage(receiver, "receiver", 130), Check.Describe(receiver, "receiver"));
        }
    }
}
