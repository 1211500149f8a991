// The --json event stream on stdout: one versioned JSON object per line. One buffer, writer and
// stdout stream for the process (a new stream and writer per event cost ~9 % of a many-small-files
// receive's CPU). Events are written at once, except those asked for "soon" (one per file of a
// transfer): they wait, at most 100 ms, for the next event, a full 32 KiB buffer, or the end of
// the process, so a 20,000-file receive writes a few hundred times instead of 20,000 times.
using System.Buffers;
using System.Text.Json;

namespace Tallow.Cli.Output;

internal static class JsonEvents
{
    private const int Version = 1;
    private const int PendingLimit = 32 * 1024;
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(100);

    private static readonly Lock Gate = new();
    private static readonly ArrayBufferWriter<byte> Pending = new(PendingLimit + 4096);
    private static readonly Utf8JsonWriter Writer = new(Pending);
    private static readonly Timer Deadline = new(_ => Flush());
    private static bool s_armed;

    private static Stream StandardOutput => field ??= Console.OpenStandardOutput();

    /// <summary>Writes one event; with <paramref name="soon"/> it may wait up to 100 ms for company.</summary>
    public static void Write(string name, bool soon, params (string Key, object? Value)[] fields)
    {
        lock (Gate)
        {
            Begin(name);
            WriteFields(Writer, fields);
            End(soon);
        }
    }

    private static readonly JsonEncodedText PathKey = JsonEncodedText.Encode("path"), SizeKey = JsonEncodedText.Encode("size"),
        Blake3Key = JsonEncodedText.Encode("blake3"), ResumedFromKey = JsonEncodedText.Encode("resumed_from"),
        WireBytesKey = JsonEncodedText.Encode("wire_bytes"), ChunksKey = JsonEncodedText.Encode("chunks"),
        CompressedChunksKey = JsonEncodedText.Encode("compressed_chunks");

    /// <summary>
    /// A file event (file_sent / file_received), written soon: its fields straight from the report,
    /// without the boxed field list of <see cref="Write"/> (one event per file of a 100,000-file transfer).
    /// </summary>
    public static void WriteFile(string name, Tallow.Protocol.Transfer.FileReport file)
    {
        Span<char> hash = stackalloc char[128];
        if (!Convert.TryToHexStringLower(file.Blake3.Span, hash, out int hashLength))
        {
            hashLength = 0;
        }

        lock (Gate)
        {
            Begin(name);
            Writer.WriteString(PathKey, file.Path);
            Writer.WriteNumber(SizeKey, file.Size);
            Writer.WriteString(Blake3Key, hash[..hashLength]);
            Writer.WriteNumber(ResumedFromKey, file.ResumedFrom);
            Writer.WriteNumber(WireBytesKey, file.WireBytes);
            Writer.WriteNumber(ChunksKey, file.Chunks);
            Writer.WriteNumber(CompressedChunksKey, file.CompressedChunks);
            End(soon: true);
        }
    }

    private static void Begin(string name)
    {
        Writer.Reset(Pending);
        Writer.WriteStartObject();
        Writer.WriteNumber("v", Version);
        Writer.WriteString("event", name);
    }

    /// <summary>Ends the event; with <paramref name="soon"/> it may wait up to 100 ms for company.</summary>
    private static void End(bool soon)
    {
        Writer.WriteEndObject();
        Writer.Flush();
        Pending.Write("\n"u8);
        if (soon && Pending.WrittenCount < PendingLimit)
        {
            if (!s_armed)
            {
                s_armed = true;
                Deadline.Change(MaxDelay, Timeout.InfiniteTimeSpan);
            }

            return;
        }

        FlushLocked();
    }

    /// <summary>Writes out what waits (the process calls it before it exits).</summary>
    public static void Flush()
    {
        lock (Gate)
        {
            FlushLocked();
        }
    }

    private static void FlushLocked()
    {
        if (s_armed)
        {
            s_armed = false;
            Deadline.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        if (Pending.WrittenCount == 0)
        {
            return;
        }

        try
        {
            StandardOutput.Write(Pending.WrittenSpan);
            StandardOutput.Flush();
        }
        finally
        {
            Pending.ResetWrittenCount();
        }
    }

    /// <summary>Fields of an object: scalars, lists of strings, and lists of objects given as field arrays.</summary>
    private static void WriteFields(Utf8JsonWriter writer, (string Key, object? Value)[] fields)
    {
        foreach ((string key, object? value) in fields)
        {
            writer.WritePropertyName(key);
            switch (value)
            {
                case null: writer.WriteNullValue(); break;
                case string s: writer.WriteStringValue(s); break;
                case bool b: writer.WriteBooleanValue(b); break;
                case int i: writer.WriteNumberValue(i); break;
                case long l: writer.WriteNumberValue(l); break;
                case double d: writer.WriteNumberValue(Math.Round(d, 3)); break;
                case IEnumerable<(string Key, object? Value)[]> objects:
                    writer.WriteStartArray();
                    foreach ((string Key, object? Value)[] item in objects)
                    {
                        writer.WriteStartObject();
                        WriteFields(writer, item);
                        writer.WriteEndObject();
                    }

                    writer.WriteEndArray();
                    break;
                case IEnumerable<string> strings:
                    writer.WriteStartArray();
                    foreach (string item in strings)
                    {
                        writer.WriteStringValue(item);
                    }

                    writer.WriteEndArray();
                    break;
                default: writer.WriteStringValue(value.ToString()); break;
            }
        }
    }
}
