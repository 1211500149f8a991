// `tallow watch` after its first round: a TreeWatcher turns the folder's changes into batches,
// and each batch becomes a round over just those paths (a full round after the watcher lost
// track). When the connection is lost (relay restart, network change) both sides reconnect
// without a new code (OpenSession.ReconnectAsync) and a full round catches up on whatever
// changed meanwhile. The peer leaving, or Ctrl-C here, ends the watch.
using Tallow.Cli.Output;
using Tallow.Protocol;
using Tallow.Protocol.Sync;

namespace Tallow.Cli.Commands;

internal sealed class SyncWatch(OpenSession session, string root, string name, SyncCommand.SyncArgs args, Reporter reporter)
{
    public static TreeWatcher StartWatcher(string root, TimeSpan debounce)
    {
        var watcher = new TreeWatcher(root, new TreeWatcherOptions
        {
            Debounce = debounce,
            MaxDelay = debounce * 10 > TimeSpan.FromSeconds(10) ? debounce * 10 : TimeSpan.FromSeconds(10),
            Exclude = SyncTree.IsState,
        });
        watcher.Start();
        return watcher;
    }

    public async Task RunAsync(TreeWatcher watcher, uint lastRound, CancellationToken ct)
    {
        reporter.Event("watching", ("folder", root));
        reporter.Info("Watching for changes; Ctrl-C stops both sides.");
        uint round = lastRound + 1;
        Task<ChangeBatch>? batch = null;
        bool catchUp = false;
        while (true)
        {
            IReadOnlyList<string> scope;
            if (catchUp)
            {
                scope = [];
            }
            else
            {
                batch ??= watcher.NextBatchAsync(ct).AsTask();
                Task ended = session.Records.Ended;
                if (await Task.WhenAny(batch, ended).ConfigureAwait(false) == ended)
                {
                    if (session.Records.PeerLeft.IsCompleted)
                    {
                        SyncReport.PeerLeft(reporter, "receiver", session.Records.PeerLeft.Result);
                        return;
                    }

                    await ReconnectAsync(ct).ConfigureAwait(false);
                    catchUp = true;
                    continue;
                }

                ChangeBatch changes = await batch.ConfigureAwait(false);
                batch = null;
                scope = changes.FullRescan ? [] : changes.Paths;
            }

            try
            {
                round = await SyncCommand.SyncOnceAsync(session, root, name, args, reporter, round, scope, ct).ConfigureAwait(false) + 1;
                catchUp = false;
            }
            catch (TallowException) when (session.Records.Ended.IsCompleted && !session.Records.PeerLeft.IsCompleted && !ct.IsCancellationRequested)
            {
                await ReconnectAsync(ct).ConfigureAwait(false);
                catchUp = true;
            }
            catch (TallowException) when (session.Records.PeerLeft.IsCompleted)
            {
                SyncReport.PeerLeft(reporter, "receiver", session.Records.PeerLeft.Result);
                return;
            }
        }
    }

    private async Task ReconnectAsync(CancellationToken ct)
    {
        await session.ReconnectAsync(reporter, ct).ConfigureAwait(false);
    }
}
