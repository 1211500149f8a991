// `tallow history [--limit N] [--json] [--clear]`: the transfers this user made, from the local
// history (HistoryStore), newest first. Nothing is recorded with --no-history, TALLOW_NO_HISTORY=1
// or the config file's `history = false`; --clear deletes the database.
using System.CommandLine;
using Microsoft.Data.Sqlite;
using Tallow.Cli.History;
using Tallow.Cli.Output;
using Tallow.Protocol;

namespace Tallow.Cli.Commands;

internal static class HistoryCommand
{
    private const int MaxLimit = HistoryStore.MaxRows;

    public static Command Create()
    {
        var limit = new Option<int>("--limit", "-n") { Description = $"Show this many of the newest transfers (1 to {MaxLimit})", DefaultValueFactory = _ => 20 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per transfer on stdout" };
        var clear = new Option<bool>("--clear") { Description = "Delete the history" };
        var command = new Command("history", "List past transfers (kept on this computer; never their content or code)") { limit, json, clear };
        command.SetAction((result, _) =>
        {
            var reporter = new Reporter(json: false, quiet: false);
            return CommandRunner.RunAsync(reporter, () =>
            {
                Run(result.GetValue(limit), result.GetValue(json), result.GetValue(clear));
                return Task.CompletedTask;
            });
        });
        return command;
    }

    private static void Run(int limit, bool json, bool clear)
    {
        string path = HistoryStore.DefaultPath;
        if (clear)
        {
            bool existed = HistoryStore.Delete(path);
            Console.Error.WriteLine(existed ? $"History cleared ('{path}' deleted)." : "The history is already empty.");
            return;
        }

        if (limit is < 1 or > MaxLimit)
        {
            throw new TallowException(FailureKind.Usage, $"--limit must be between 1 and {MaxLimit}.");
        }

        IReadOnlyList<HistoryEntry> entries;
        try
        {
            using HistoryStore? store = HistoryStore.Open(path, create: false);
            entries = store?.Newest(limit) ?? [];
        }
        catch (SqliteException ex)
        {
            throw new TallowException(FailureKind.FileSystem,
                $"the history '{path}' cannot be read ({HistoryStore.Describe(ex).ReplaceLineEndings(" ")}): move it away, or delete it with 'tallow history --clear'.");
        }
        catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException)
        {
            throw new TallowException(FailureKind.Error, $"the history cannot be read: {HistoryStore.Describe(ex)}. Reinstall tallow with the files published beside it.");
        }

        if (json)
        {
            foreach (HistoryEntry entry in entries)
            {
                Console.Out.WriteLine(HistoryReport.Json(entry));
            }

            return;
        }

        if (entries.Count == 0)
        {
            Console.Error.WriteLine(HistorySettings.Enabled
                ? "No transfers recorded yet."
                : "No transfers recorded yet, and recording is off (--no-history, TALLOW_NO_HISTORY or the config file).");
            return;
        }

        foreach (string line in HistoryReport.Table(entries))
        {
            Console.Out.WriteLine(line);
        }
    }
}
