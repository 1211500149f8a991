// The receiver's code prompt on a real LAN (two network namespaces on one bridge, zero-config):
// Tab on the empty prompt completes the number of the sender that mDNS finds on the LAN, the
// words are typed (Tab completes them too), and the file arrives. Needs root, like the NAT lab.
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests.NatLab;

[Collection(NatLabCollection.Name)]
public sealed class LanCodeCompletionTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [NatLabFact]
    public async Task Tab_completes_the_number_of_the_sender_on_this_lan_and_the_transfer_runs()
    {
        await using Topology lab = Topology.SameLan();
        using var dir = new TempDir();
        string file = dir.WriteRandomFile("payload.bin", 200_000);
        string outDir = dir.Combine("out");
        TallowProcess sender = lab.Own(TallowProcess.Start(["send", file, "--json"], workingDirectory: dir.Path, netns: lab.A.Namespace));
        string code = (await sender.WaitForEventAsync("code", Wait)).GetProperty("code").GetString()!;
        string number = code[..code.IndexOf('-', StringComparison.Ordinal)];

        await using PtyProcess receiver = PtyProcess.Start(["receive", "--yes", "--out", outDir], netns: lab.B.Namespace);
        int at = await receiver.WaitForTextAsync("Tab completes the number and the words", Wait);
        string completed = $"Code: {number}-";
        for (int attempt = 0; attempt < 20 && !receiver.Text.Contains(completed, StringComparison.Ordinal); attempt++)
        {
            await receiver.TypeAsync("\t"); // until the first browse found the sender (about a second)
            await Task.Delay(500);
        }

        Assert.True(receiver.Text.Contains(completed, StringComparison.Ordinal), $"Tab did not complete the number {number}\n--- terminal:\n{receiver.Text}");
        await receiver.TypeAsync(code[(number.Length + 1)..] + "\r");
        int receiverExit = await receiver.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(receiverExit == 0, $"receiver exit {receiverExit}\n--- terminal:\n{receiver.Text}\n{Check.Describe(sender, "sender")}");
        Check.Exit(0, await sender.WaitForExitAsync(Wait), sender, "sender");
        Assert.Equal(TempDir.Sha256(file), TempDir.Sha256(Path.Combine(outDir, "payload.bin")));
    }
}
