// A transfer that is cut off on purpose: a sender and a receiver start as in Transfer.RunAsync;
// once the receiver's JSON progress reaches a byte count, the chosen victim is killed (SIGKILL,
// whole tree) and the test waits for the other side to give up. What is left on disk is then
// measured (the part file's length is what the receiver had written when it died).
using System.Diagnostics;
using System.Text.Json;

namespace Tallow.IntegrationTests.Infrastructure;

public enum Victim
{
    Receiver,
    Sender,

    /// <summary>Nobody is killed here: the caller kills something else (the relay) via <see cref="InterruptedTransfer.RunAsync"/>'s onThreshold.</summary>
    External,
}

/// <param name="ProgressAtKill">The receiver's last reported progress (bytes this session) when the victim was killed.</param>
public sealed record InterruptedRun(TallowProcess Sender, TallowProcess Receiver, long ProgressAtKill, int SenderExit, int ReceiverExit) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await Sender.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}

public static class InterruptedTransfer
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Runs `send senderArgs` and `receive CODE receiverArgs` over <paramref name="relay"/> (both with --json),
    /// kills <paramref name="victim"/> as soon as the receiver reported at least <paramref name="killAtBytes"/>,
    /// and waits for both processes to end. The survivor must fail (non-zero exit).
    /// </summary>
    public static async Task<InterruptedRun> RunAsync(RelayProcess relay, IEnumerable<string> senderArgs, Func<string, IEnumerable<string>> receiverArgs,
        long killAtBytes, Victim victim, Func<Task>? onThreshold = null, string verb = "send")
    {
        TallowProcess sender = TallowProcess.Start([verb, .. senderArgs, "--relay", relay.Address, "--json"]);
        TallowProcess? receiver = null;
        try
        {
            string code = (await sender.WaitForEventAsync("code", TimeSpan.FromSeconds(30))).GetProperty("code").GetString()!;
            receiver = TallowProcess.Start(["receive", .. receiverArgs(code), "--relay", relay.Address, "--json"]);
            long progress = await WaitForProgressAsync(receiver, killAtBytes, Limit);
            switch (victim)
            {
                case Victim.Receiver: receiver.Kill(); break;
                case Victim.Sender: sender.Kill(); break;
                default: break;
            }

            if (onThreshold is not null)
            {
                await onThreshold();
            }

            int receiverExit = await receiver.WaitForExitAsync(TimeSpan.FromSeconds(30));
            int senderExit = await sender.WaitForExitAsync(TimeSpan.FromSeconds(30));
            var run = new InterruptedRun(sender, receiver, progress, senderExit, receiverExit);
            Assert.True(senderExit != 0 && receiverExit != 0,
                $"after killing the {victim} both must have failed: sender {senderExit}, receiver {receiverExit}.\n{Check.Describe(sender, "sender")}\n{Check.Describe(receiver, "receiver")}");
            return run;
        }
        catch
        {
            await sender.DisposeAsync();
            if (receiver is not null)
            {
                await receiver.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Waits until a progress event reports at least <paramref name="atLeast"/> bytes; returns its byte count.</summary>
    public static async Task<long> WaitForProgressAsync(TallowProcess process, long atLeast, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            foreach (JsonElement e in process.Events)
            {
                if (e.TryGetProperty("event", out JsonElement name) && name.GetString() == "progress"
                    && e.GetProperty("bytes").GetInt64() is long bytes && bytes >= atLeast)
                {
                    return bytes;
                }
            }

            if (process.HasExited || clock.Elapsed > timeout)
            {
                throw new TimeoutException($"no progress of {atLeast} bytes within {timeout} (exited: {process.HasExited}).\n{Check.Describe(process, "receiver")}");
            }

            await Task.Delay(10);
        }
    }
}
