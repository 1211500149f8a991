// Runs one real transfer: a sender (with --json) and, once it printed its code, a receiver.
using System.Text.Json;

namespace Tallow.IntegrationTests.Infrastructure;

public sealed record TransferRun(TallowProcess Sender, TallowProcess Receiver, string Code, int SenderExit, int ReceiverExit);

public static class Transfer
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Starts `tallow send senderArgs (or `tallow <verb>`) --relay R --json`, waits for the code, starts
    /// `tallow receive CODE --relay R receiverArgs` and waits for both to exit.
    /// <paramref name="binary"/> runs another tallow binary on both sides (default: the published one).
    /// The caller disposes the processes (TransferRun) with `await using`-style cleanup via <see cref="DisposeAsync"/>.
    /// </summary>
    public static async Task<TransferRun> RunAsync(RelayProcess relay, IEnumerable<string> senderArgs, Func<string, IEnumerable<string>> receiverArgs,
        string? workingDirectory = null, Func<Stream, Task>? senderStdin = null, bool receiverRawStdout = false, TimeSpan? timeout = null,
        IDictionary<string, string?>? senderEnv = null, IDictionary<string, string?>? receiverEnv = null, string verb = "send", string? binary = null)
    {
        TimeSpan limit = timeout ?? DefaultTimeout;
        TallowProcess sender = TallowProcess.Start([verb, .. senderArgs, "--relay", relay.Address, "--json"], workingDirectory, senderEnv, senderStdin, binary: binary);
        TallowProcess? receiver = null;
        try
        {
            JsonElement codeEvent = await sender.WaitForEventAsync("code", TimeSpan.FromSeconds(30));
            string code = codeEvent.GetProperty("code").GetString()!;
            receiver = TallowProcess.Start(["receive", .. receiverArgs(code), "--relay", relay.Address], workingDirectory, receiverEnv, rawStdout: receiverRawStdout, binary: binary);
            int receiverExit = await receiver.WaitForExitAsync(limit);
            int senderExit = await sender.WaitForExitAsync(limit);
            return new TransferRun(sender, receiver, code, senderExit, receiverExit);
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

    public static async ValueTask DisposeAsync(this TransferRun run)
    {
        await run.Sender.DisposeAsync();
        await run.Receiver.DisposeAsync();
    }

    /// <summary>For `await using (run.AsDisposable())`: both processes are disposed at the end of the block.</summary>
    public static IAsyncDisposable AsDisposable(this TransferRun run) => new RunDisposer(run);

    private sealed class RunDisposer(TransferRun run) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => run.DisposeAsync();
    }
}
