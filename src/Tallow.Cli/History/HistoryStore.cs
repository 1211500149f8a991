// The local transfer history: one SQLite file at $XDG_STATE_HOME/tallow/history.db (else
// ~/.local/state/tallow/history.db), folder 0700, file 0600 (SQLite gives its -wal and -shm files
// the database's mode). WAL and a busy timeout let several tallow processes append at once; the
// table keeps the newest MaxRows entries. Names are stored as a JSON array (written and read with
// Utf8JsonWriter/JsonDocument: no reflection under NativeAOT).
// SQLite comes from SQLitePCLRaw's e_sqlite3 bundle (through Microsoft.Data.Sqlite):
// libe_sqlite3.so is published beside the binary, like libsodium.so, and needs nothing but libc.
// The system libsqlite3 (provider.sqlite3) was not chosen: it binds to "libsqlite3.so", which
// Debian ships only in libsqlite3-dev, and a copied folder would then depend on the machine.
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Tallow.Cli.History;

internal sealed class HistoryStore : IDisposable
{
    public const int MaxRows = 10_000;
    private const int SchemaVersion = 1;
    private const int BusyTimeoutMs = 3000;
    private const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static readonly Lazy<bool> NativeReady = new(() =>
    {
        SQLitePCL.Batteries_V2.Init(); // explicit: Microsoft.Data.Sqlite's own lookup is by reflection
        return true;
    });

    private readonly SqliteConnection _connection;

    private static (string Path, Task<HistoryStore?> Opening)? s_prepared;

    /// <summary>
    /// SessionWarmup: opens the history at <paramref name="path"/> on a thread-pool thread while the
    /// session is set up, so that the end of a transfer only appends (loading SQLite, opening the
    /// file and recovering its log cost 4–40 ms at every exit otherwise). A failure is left to Open.
    /// </summary>
    public static void Prepare(string path)
    {
        s_prepared ??= (path, Task.Run(() =>
        {
            try
            {
                return Open(path, create: true);
            }
            catch (Exception)
            {
                return null; // HistoryRecorder opens it again and reports why
            }
        }));
    }

    /// <summary>The history at <paramref name="path"/> that Prepare opened (waiting for it); null when none was prepared there or it failed.</summary>
    public static HistoryStore? TakePrepared(string path)
    {
        if (s_prepared is not { } prepared)
        {
            return null;
        }

        s_prepared = null;
        HistoryStore? store = prepared.Opening.GetAwaiter().GetResult();
        if (prepared.Path != path)
        {
            store?.Dispose();
            return null;
        }

        return store;
    }

    private HistoryStore(SqliteConnection connection) => _connection = connection;

    /// <summary>$XDG_STATE_HOME/tallow/history.db, or ~/.local/state/tallow/history.db (XDG: a relative value is ignored).</summary>
    public static string DefaultPath
    {
        get
        {
            string? state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
            string root = !string.IsNullOrEmpty(state) && System.IO.Path.IsPathRooted(state)
                ? state
                : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
            return System.IO.Path.Combine(root, "tallow", "history.db");
        }
    }

    /// <summary>Opens (creating folder, file and table when <paramref name="create"/>) the history at <paramref name="path"/>; null when it does not exist and create is false.</summary>
    public static HistoryStore? Open(string path, bool create)
    {
        if (!File.Exists(path))
        {
            if (!create)
            {
                return null;
            }

            string folder = System.IO.Path.GetDirectoryName(path)!;
            Directory.CreateDirectory(folder, FolderMode);
            File.SetUnixFileMode(folder, FolderMode);
            using (new FileStream(path, new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, UnixCreateMode = FileMode600 }))
            {
            }
        }

        _ = NativeReady.Value;
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = create ? SqliteOpenMode.ReadWrite : SqliteOpenMode.ReadOnly,
            Pooling = false,
            DefaultTimeout = BusyTimeoutMs / 1000,
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            Execute(connection, $"PRAGMA busy_timeout = {BusyTimeoutMs};");
            if (create)
            {
                Execute(connection, "PRAGMA journal_mode = WAL;");
                // WAL with synchronous=NORMAL: a commit no longer waits for fsync (checkpoints still
                // do). A power cut may lose the newest entries, never corrupt the file; the history
                // is a convenience, and it is written on the way to every transfer's exit.
                Execute(connection, "PRAGMA synchronous = NORMAL;");
                // Nor does closing checkpoint the log into the file (fsync of both, 5–80 ms on this
                // machine at every exit): SQLite checkpoints a commit once the log passes 1000 pages.
                SQLitePCL.raw.sqlite3_db_config(connection.Handle, SQLitePCL.raw.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, out int _);
                Execute(connection, """
                    CREATE TABLE IF NOT EXISTS transfers (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        started TEXT NOT NULL,
                        direction TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        names TEXT NOT NULL,
                        name_count INTEGER NOT NULL,
                        bytes INTEGER,
                        path TEXT NOT NULL,
                        relay TEXT,
                        result TEXT NOT NULL,
                        reason TEXT,
                        seconds REAL);
                    """);
                Execute(connection, $"PRAGMA user_version = {SchemaVersion};");
            }

            return new HistoryStore(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public void Append(HistoryEntry entry)
    {
        using SqliteTransaction transaction = _connection.BeginTransaction(deferred: false);
        using SqliteCommand insert = _connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO transfers (started, direction, kind, names, name_count, bytes, path, relay, result, reason, seconds)
            VALUES ($started, $direction, $kind, $names, $count, $bytes, $path, $relay, $result, $reason, $seconds);
            """;
        insert.Parameters.AddWithValue("$started", entry.Started.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        insert.Parameters.AddWithValue("$direction", entry.Direction);
        insert.Parameters.AddWithValue("$kind", entry.Kind);
        insert.Parameters.AddWithValue("$names", NamesJson(entry.Names));
        insert.Parameters.AddWithValue("$count", entry.NameCount);
        insert.Parameters.AddWithValue("$bytes", (object?)entry.Bytes ?? DBNull.Value);
        insert.Parameters.AddWithValue("$path", entry.Path);
        insert.Parameters.AddWithValue("$relay", (object?)entry.Relay ?? DBNull.Value);
        insert.Parameters.AddWithValue("$result", entry.Result);
        insert.Parameters.AddWithValue("$reason", (object?)entry.Reason ?? DBNull.Value);
        insert.Parameters.AddWithValue("$seconds", (object?)entry.Seconds ?? DBNull.Value);
        insert.ExecuteNonQuery();

        using SqliteCommand prune = _connection.CreateCommand();
        prune.Transaction = transaction;
        prune.CommandText = $"DELETE FROM transfers WHERE id <= (SELECT MAX(id) FROM transfers) - {MaxRows};";
        prune.ExecuteNonQuery();
        transaction.Commit();
    }

    /// <summary>The newest <paramref name="limit"/> entries, newest first.</summary>
    public IReadOnlyList<HistoryEntry> Newest(int limit)
    {
        using SqliteCommand select = _connection.CreateCommand();
        select.CommandText = "SELECT started, direction, kind, names, name_count, bytes, path, relay, result, reason, seconds FROM transfers ORDER BY id DESC LIMIT $limit;";
        select.Parameters.AddWithValue("$limit", limit);
        using SqliteDataReader reader = select.ExecuteReader();
        var entries = new List<HistoryEntry>();
        while (reader.Read())
        {
            DateTimeOffset started = DateTimeOffset.TryParse(reader.GetString(0), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset t) ? t : DateTimeOffset.UnixEpoch;
            entries.Add(new HistoryEntry(
                started, reader.GetString(1), reader.GetString(2), ParseNames(reader.GetString(3)), reader.GetInt32(4),
                reader.IsDBNull(5) ? null : reader.GetInt64(5), reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.GetString(8), reader.IsDBNull(9) ? null : reader.GetString(9), reader.IsDBNull(10) ? null : reader.GetDouble(10)));
        }

        return entries;
    }

    /// <summary>Removes the history: the database and its WAL files. Returns whether there was one.</summary>
    public static bool Delete(string path)
    {
        bool existed = File.Exists(path);
        foreach (string file in new[] { path, path + "-wal", path + "-shm", path + "-journal" })
        {
            File.Delete(file);
        }

        return existed;
    }

    public void Dispose() => _connection.Dispose();

    /// <summary>A failure of the history in a few words (the loader's own text for a missing library runs to several lines).</summary>
    public static string Describe(Exception ex) => ex switch
    {
        DllNotFoundException or TypeInitializationException { InnerException: DllNotFoundException } => "libe_sqlite3.so is missing beside the tallow binary",
        TypeInitializationException { InnerException: { } inner } => inner.Message.TrimEnd('.'),
        _ => ex.Message.TrimEnd('.'),
    };

    private static void Execute(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string NamesJson(IReadOnlyList<string> names)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartArray();
            foreach (string name in names)
            {
                writer.WriteStringValue(name);
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The stored names; a damaged value gives what could be read (the file is local, but may be edited).</summary>
    private static IReadOnlyList<string> ParseNames(string json)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                return [];
            }

            return [.. doc.RootElement.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Take(HistoryEntry.MaxNames).Select(e => e.GetString()!)];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
