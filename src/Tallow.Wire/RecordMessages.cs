// Plaintext layouts carried inside sealed records (DESIGN.md §7–8). A record's plaintext is
// `u8 kind | body`. Everything after the handshake — offer, answers, data, hashes, the end
// marker, keep-alives — travels this way, so the relay learns only sizes and timing.
namespace Tallow.Wire;

public enum RecordKind : byte
{
    KeepAlive = 1,
    Offer = 2,
    Accept = 3,
    Reject = 4,
    Data = 5,
    FileDone = 6,
    End = 7,
    Done = 8,
    Cancel = 9,

    // P2P upgrade negotiation (DESIGN.md §9), always on the relay path.
    P2PIntent = 10,
    P2PCandidates = 11,
    P2PSelect = 12,
    P2PSwitched = 13,

    // Transfer, continued (DESIGN.md §8).
    DataZstd = 14, // one chunk compressed as a single zstd frame
    Resend = 15,   // receiver → sender instead of Done: resumed files that failed verification

    // Session (DESIGN.md §13; protocol.md "Record kinds"): flow control, leaving, chat.
    ReceiverCancel = 16, // receiver → sender: the receiving side of a transfer gave up ({reason, text})
    WindowUpdate = 17,   // {u8 stream, u32 bytes}: the peer may send that many more bytes on the stream
    Leave = 18,          // {reason, text}: this side ends the session; an end of stream follows
    ChatMessage = 19,    // {i64 unix ms, text}

    // Sync and watch (protocol.md "Sync"): rounds of index → plan → needs → data → applied.
    SyncRound = 20,   // sender → receiver: {u32 round, u32 count, paths}: a round over these paths (none: the whole tree)
    SyncIndex = 21,   // receiver → sender: {u8 final, bytes} of the index blob (what the mirror holds in the round's scope)
    SyncPlan = 22,    // sender → receiver: {u8 final, bytes} of the plan blob (folders, files with their chunk lists, deletes)
    SyncNeed = 23,    // receiver → sender: {u8 final, bytes} of the needs blob (which chunks of which files to send)
    SyncData = 24,    // sender → receiver: {u8 encoding, bytes}: the next needed chunk (raw, zstd, or unavailable)
    SyncEnd = 25,     // sender → receiver: every needed chunk of the round was sent
    SyncApplied = 26, // receiver → sender: {u32 written, u32 deleted, u32 failed, u64 content bytes received}
    SyncStop = 27,    // either side: {reason, text}: the round or the whole sync ends here (declined, dry run, cancelled)

    // Safety-number comparison (--verify; protocol.md "Safety numbers"), first after the handshake.
    SafetyCheck = 28, // {u8 state}: whether this side asks to compare, then its user's answer

    // Chat rooms (protocol.md "Chat rooms"): on each pair's own session, first after the handshake.
    RoomHello = 29, // {name}: the name this member shows
    RoomView = 30,  // {u8 n, n × u8 id}: the members this side is paired with, itself included

    // Clipboard (tallow clip; protocol.md "Clipboard").
    ClipContent = 31, // {u8 flags, u32 total size, u8 type length, type, piece}: one piece of a clipboard content
    ClipAnswer = 32,  // {u8 status, text}: the receiver stored or refused one content

    // SSH key exchange (tallow ssh invite / accept; protocol.md "SSH key exchange").
    SshKey = 33,       // accept → invite: {key line}: one OpenSSH public key
    SshKeyResult = 34, // invite → accept: {u8 status, text}: installed, already present, declined or refused

    // Transfer, continued (protocol.md "Small files"): only in an offer that says it may batch.
    FileBatch = 35, // sender → receiver: {u8 encoding, payload}: several whole small files with their hashes (FileBatchMessages.cs)
}

/// <summary>Whether the sender may send chunks as <see cref="RecordKind.DataZstd"/>.</summary>
public enum OfferCompression : byte
{
    None = 0,
    Zstd = 1,
}

public enum TransferKind : byte
{
    Files = 0,
    Text = 1,
    Stream = 2,

    /// <summary>A one-way mirror of the single Directory entry (tallow sync): rounds follow on RecordGroup.Sync.</summary>
    Sync = 3,

    /// <summary>Like <see cref="Sync"/>, then more rounds as the source changes (tallow watch).</summary>
    Watch = 4,
}

public enum EntryType : byte
{
    File = 0,
    Directory = 1,
}

public readonly record struct OfferEntry(EntryType Type, string Path, ulong Size, uint Mode, long ModifiedUnixSeconds);

/// <summary>
/// Offer{kind, chunk size, flags, entries}. A stream's single entry has Size = <see cref="UnknownSize"/>.
/// Flags: bit 0 = <see cref="OfferCompression.Zstd"/> (DataZstd may come), bit 1 = <see cref="Batches"/>
/// (FileBatch may come); other bits make the offer malformed.
/// </summary>
public sealed record TransferOffer(TransferKind Kind, int ChunkSize, IReadOnlyList<OfferEntry> Entries)
{
    public const ulong UnknownSize = ulong.MaxValue;
    public const int MaxEntries = 1_000_000;
    public const int MaxPathBytes = 4096;
    public const int MinChunkSize = 1024;
    public const int MaxChunkSize = 16 * 1024 * 1024;
    private const int MinEntrySize = 1 + 2 + 8 + 4 + 8;

    public OfferCompression Compression { get; init; }

    /// <summary>The sender may send small files together in FileBatch records (protocol.md "Small files").</summary>
    public bool Batches { get; init; }

    private const byte BatchesFlag = 2;

    public ulong TotalSize
    {
        get
        {
            ulong total = 0;
            foreach (OfferEntry e in Entries)
            {
                if (e.Type == EntryType.File && e.Size != UnknownSize)
                {
                    total += e.Size;
                }
            }

            return total;
        }
    }

    public int GetSize()
    {
        int size = 1 + 4 + 1 + 4;
        foreach (OfferEntry e in Entries)
        {
            size += MinEntrySize + System.Text.Encoding.UTF8.GetByteCount(e.Path);
        }

        return size;
    }

    public int Write(Span<byte> destination)
    {
        var w = new SpanWriter(destination);
        w.WriteByte((byte)Kind);
        w.WriteUInt32((uint)ChunkSize);
        w.WriteByte((byte)((byte)Compression | (Batches ? BatchesFlag : 0)));
        w.WriteUInt32((uint)Entries.Count);
        foreach (OfferEntry e in Entries)
        {
            w.WriteByte((byte)e.Type);
            w.WriteString(e.Path);
            w.WriteUInt64(e.Size);
            w.WriteUInt32(e.Mode);
            w.WriteInt64(e.ModifiedUnixSeconds);
        }

        return w.Written;
    }

    /// <summary>Parses an offer; bounds every count against the bytes actually present before allocating.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out TransferOffer? offer)
    {
        offer = null;
        var r = new SpanReader(body);
        if (!r.TryReadByte(out byte kind) || kind > (byte)TransferKind.Watch
            || !r.TryReadUInt32(out uint chunk) || chunk < MinChunkSize || chunk > MaxChunkSize
            || !r.TryReadByte(out byte flags) || (flags & ~(BatchesFlag | (byte)OfferCompression.Zstd)) != 0
            || !r.TryReadUInt32(out uint count) || count > MaxEntries || (ulong)count * MinEntrySize > (ulong)r.Remaining)
        {
            return false;
        }

        var entries = new List<OfferEntry>((int)count);
        for (uint i = 0; i < count; i++)
        {
            if (!r.TryReadByte(out byte type) || type > (byte)EntryType.Directory
                || !r.TryReadString(MaxPathBytes, out string path)
                || !r.TryReadUInt64(out ulong size)
                || !r.TryReadUInt32(out uint mode)
                || !r.TryReadInt64(out long mtime))
            {
                return false;
            }

            if (type == (byte)EntryType.Directory && size != 0)
            {
                return false;
            }

            entries.Add(new OfferEntry((EntryType)type, path, size, mode, mtime));
        }

        if (!r.IsAtEnd)
        {
            return false;
        }

        offer = new TransferOffer((TransferKind)kind, (int)chunk, entries)
        {
            Compression = (OfferCompression)(flags & (byte)OfferCompression.Zstd),
            Batches = (flags & BatchesFlag) != 0,
        };
        return true;
    }
}

/// <summary>FileDone{entry index, size, BLAKE3-256 of the whole content}: sent after a file's last chunk.</summary>
public readonly record struct FileDoneMessage(uint Index, ulong Size, byte[] Hash)
{
    public const int HashSize = 32;
    public const int EncodedSize = 4 + 8 + HashSize;

    public int Write(Span<byte> destination)
    {
        var w = new SpanWriter(destination);
        w.WriteUInt32(Index);
        w.WriteUInt64(Size);
        w.WriteBytes(Hash);
        return w.Written;
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out FileDoneMessage message)
    {
        message = default;
        var r = new SpanReader(body);
        if (!r.TryReadUInt32(out uint index) || !r.TryReadUInt64(out ulong size) || !r.TryReadBytes(HashSize, out ReadOnlySpan<byte> hash) || !r.IsAtEnd)
        {
            return false;
        }

        message = new FileDoneMessage(index, size, hash.ToArray());
        return true;
    }
}

public enum CancelReason : byte
{
    Declined = 1,
    Cancelled = 2,
    FileSystem = 3,
    Protocol = 4,
    Integrity = 5,
}

/// <summary>Reject and Cancel carry {u8 reason, short text}.</summary>
public readonly record struct ReasonMessage(CancelReason Reason, string Text)
{
    public const int MaxTextBytes = 512;

    public int Write(Span<byte> destination)
    {
        var w = new SpanWriter(destination);
        w.WriteByte((byte)Reason);
        w.WriteString(Text.Length > MaxTextBytes / 4 ? Text[..(MaxTextBytes / 4)] : Text);
        return w.Written;
    }

    public int GetSize() => 1 + SpanWriter.StringSize(Text.Length > MaxTextBytes / 4 ? Text[..(MaxTextBytes / 4)] : Text);

    public static bool TryParse(ReadOnlySpan<byte> body, out ReasonMessage message)
    {
        message = default;
        var r = new SpanReader(body);
        if (!r.TryReadByte(out byte reason) || !r.TryReadString(MaxTextBytes, out string text) || !r.IsAtEnd)
        {
            return false;
        }

        message = new ReasonMessage((CancelReason)reason, text);
        return true;
    }
}
