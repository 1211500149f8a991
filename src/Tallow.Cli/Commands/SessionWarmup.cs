// Started as a session command begins (SessionSetup; a creator once its code is shown, so that
// it does not slow the way to the code): on thread-pool threads, while the relay connection and
// the wait for the peer go on, it loads what the critical path needs later: the native crypto
// (CryptoWarmup) and, when this transfer will be recorded, the history, opened (HistoryStore.Prepare:
// loading SQLite and recovering its log cost 4–40 ms at the very end otherwise).
// Measured on `send --text`: it takes these loads off the path between the peers meeting and
// the receiver's exit.
using Tallow.Cli.History;
using Tallow.Crypto;

namespace Tallow.Cli.Commands;

internal static class SessionWarmup
{
    private static int s_started;

    public static void Start()
    {
        if (Interlocked.Exchange(ref s_started, 1) != 0)
        {
            return;
        }

        // Two tasks, not one after the other: a `send --text` can finish before the crypto alone
        // is loaded, and SQLite's load then landed on the receiver's exit (strace, ~6 ms).
        _ = Task.Run(CryptoWarmup.Run);
        if (HistorySettings.CommandRecords && HistorySettings.Enabled)
        {
            HistoryStore.Prepare(HistoryStore.DefaultPath);
        }
    }
}
