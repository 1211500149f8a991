// HistoryStore and HistoryRecorder without the network: entries round-trip newest first, many
// writers at once all land (WAL, busy timeout), a writer waits out another's lock instead of
// failing, the files get mode 0600 in a 0700 folder, and outcomes map to results with the
// code blanked out of a failure's reason.
using Microsoft.Data.Sqlite;
using Tallow.Cli.History;
using Tallow.Protocol;
using Tallow.Wire;

namespace Tallow.Tests.Cli;

public sealed class HistoryStoreTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "tallow-history-" + Guid.NewGuid().ToString("N")[..12]);

    private string Db => Path.Combine(_folder, "tallow", "history.db");

    private static HistoryEntry Entry(string name, string result = "completed") =>
        new(DateTimeOffset.UtcNow, "sent", "files", [name], 1, 42, "relay", "127.0.0.1:4433", result, result == "completed" ? null : "why", 1.5);

    [Fact]
    public void Entries_come_back_newest_first_up_to_the_limit()
    {
        using (HistoryStore store = HistoryStore.Open(Db, create: true)!)
        {
            for (int i = 0; i < 5; i++)
            {
                store.Append(Entry($"file{i}"));
            }
        }

        using HistoryStore reader = HistoryStore.Open(Db, create: false)!;
        IReadOnlyList<HistoryEntry> newest = reader.Newest(3);
        Assert.Equal(["file4", "file3", "file2"], newest.Select(e => e.Names[0]));
        HistoryEntry expected = Entry("file4");
        Assert.Equal(expected with { Started = newest[0].Started, Names = newest[0].Names }, newest[0]);
        Assert.True((expected.Started - newest[0].Started).Duration() < TimeSpan.FromMinutes(1));
        Assert.Equal(42, newest[0].Bytes);
        Assert.Equal("127.0.0.1:4433", newest[0].Relay);
    }

    [Fact]
    public void A_prepared_history_is_handed_out_once_and_only_for_its_own_path()
    {
        HistoryStore.Prepare(Db);
        Assert.Null(HistoryStore.TakePrepared(Db + "-elsewhere")); // opened for another path: closed, not handed out
        HistoryStore.Prepare(Db);
        using (HistoryStore store = HistoryStore.TakePrepared(Db)!)
        {
            store.Append(Entry("prepared"));
        }

        Assert.Null(HistoryStore.TakePrepared(Db));
        using HistoryStore reader = HistoryStore.Open(Db, create: false)!;
        Assert.Equal(["prepared"], reader.Newest(10).Select(e => e.Names[0]));
    }

    [Fact]
    public void A_missing_history_is_not_created_by_reading() =>
        Assert.Null(HistoryStore.Open(Db, create: false));

    [Fact]
    public void Folder_is_0700_and_file_0600()
    {
        using (HistoryStore store = HistoryStore.Open(Db, create: true)!)
        {
            store.Append(Entry("a"));
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(Db)!));
        foreach (string file in Directory.GetFiles(Path.GetDirectoryName(Db)!))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
    }

    [Fact]
    public async Task Many_writers_at_once_all_land()
    {
        using (HistoryStore.Open(Db, create: true))
        {
        }

        const int writers = 8, each = 25;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() =>
        {
            for (int i = 0; i < each; i++)
            {
                using HistoryStore store = HistoryStore.Open(Db, create: true)!; // a connection each, as separate processes have
                store.Append(Entry($"w{w}-{i}"));
            }
        })));

        using HistoryStore reader = HistoryStore.Open(Db, create: false)!;
        Assert.Equal(writers * each, reader.Newest(HistoryStore.MaxRows).Select(e => e.Names[0]).Distinct().Count());
    }

    [Fact]
    public async Task A_writer_waits_for_another_writers_lock()
    {
        using (HistoryStore.Open(Db, create: true))
        {
        }

        using var holder = new SqliteConnection($"Data Source={Db};Pooling=False");
        holder.Open();
        using (SqliteCommand begin = holder.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE;";
            begin.ExecuteNonQuery();
        }

        Task append = Task.Run(() =>
        {
            using HistoryStore store = HistoryStore.Open(Db, create: true)!;
            store.Append(Entry("after the lock"));
        });
        await Task.Delay(500);
        Assert.False(append.IsCompleted, "the append must wait while another connection holds the write lock");
        using (SqliteCommand commit = holder.CreateCommand())
        {
            commit.CommandText = "COMMIT;";
            commit.ExecuteNonQuery();
        }

        await append.WaitAsync(TimeSpan.FromSeconds(10));
        using HistoryStore reader = HistoryStore.Open(Db, create: false)!;
        Assert.Equal("after the lock", reader.Newest(1)[0].Names[0]);
    }

    [Theory]
    [InlineData(0, false, "completed")]
    [InlineData((int)FailureKind.Declined, false, "declined")]
    [InlineData((int)FailureKind.Declined, true, "cancelled")]
    [InlineData((int)FailureKind.Interrupted, true, "cancelled")]
    [InlineData((int)FailureKind.Network, true, "failed")]
    [InlineData((int)FailureKind.Authentication, false, "failed")]
    public void Outcomes_map_to_results(int exitCode, bool accepted, string expected)
    {
        var draft = new HistoryDraft();
        draft.Begin(sending: false, new TransferOffer(TransferKind.Text, 65536, [new OfferEntry(EntryType.File, "text", 5, 0x1A4, 0)]));
        if (accepted)
        {
            draft.MarkAccepted();
        }

        HistoryEntry entry = HistoryRecorder.ToEntry(draft, exitCode, exitCode == 0 ? null : "something happened");
        Assert.Equal(expected, entry.Result);
        Assert.Equal(["text"], entry.Names);
        Assert.Equal(5, entry.Bytes);
        Assert.Equal(exitCode == 0 ? null : "something happened", entry.Reason);
        Assert.Equal(accepted, entry.Seconds is not null);
    }

    [Fact]
    public void Top_level_names_only_bounded_and_the_code_is_blanked_from_reasons()
    {
        var draft = new HistoryDraft();
        OfferEntry[] entries = [
            new(EntryType.Directory, "photos", 0, 0x1ED, 0), new(EntryType.File, "photos/a.jpg", 3, 0x1A4, 0),
            .. Enumerable.Range(0, 20).Select(i => new OfferEntry(EntryType.File, $"f{i}", 1, 0x1A4, 0))];
        draft.Begin(sending: true, new TransferOffer(TransferKind.Files, 65536, entries));
        draft.Redact("7-alpha-bravo");
        HistoryEntry entry = HistoryRecorder.ToEntry(draft, (int)FailureKind.Authentication, "wrong code 7-ALPHA-bravo\nsecond line");
        Assert.Equal(21, entry.NameCount);
        Assert.Equal(HistoryEntry.MaxNames, entry.Names.Count);
        Assert.Equal("photos", entry.Names[0]);
        Assert.Equal(23, entry.Bytes);
        Assert.Equal("wrong code [redacted] second line", entry.Reason);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
