// What a sync round talks about (protocol.md "Sync"): the entries of a tree (the receiver's index
// and the sender's scan) and the operations of a plan. Paths are relative to the mirror's root,
// '/'-separated, checked by PathSanitizer on arrival. Times are Unix nanoseconds, kept to the
// 100 ns that .NET sets and reads on both sides, so an unchanged file compares equal.
namespace Tallow.Protocol.Sync;

public enum SyncEntryType : byte
{
    File = 0,
    Directory = 1,

    /// <summary>A symlink, socket, device or fifo in the mirror: never followed, replaced when the source has something there.</summary>
    Other = 2,
}

/// <summary>One entry of a tree: type, relative path, size (files), modification time and permission bits.</summary>
public readonly record struct SyncEntry(SyncEntryType Type, string Path, long Size, long ModifiedNs, uint Mode);

public enum SyncOpKind : byte
{
    /// <summary>Create the folder if missing; its mode and time are set when the round's files are in place.</summary>
    Directory = 1,

    /// <summary>The file's content (by chunk list), mode and time: new, changed, or the same content with new metadata.</summary>
    File = 2,

    /// <summary>Remove what the mirror has at this path (the source no longer has it, or has another type there).</summary>
    Delete = 3,
}

/// <summary>One operation of a plan. Files carry their whole-file hash and chunk list; the others leave them empty.</summary>
public sealed record SyncOp(SyncOpKind Kind, string Path, long Size, long ModifiedNs, uint Mode, ContentHash FileHash, ChunkRef[] Chunks)
{
    public static SyncOp Directory(string path, long modifiedNs, uint mode) => new(SyncOpKind.Directory, path, 0, modifiedNs, mode, default, []);

    public static SyncOp Delete(string path) => new(SyncOpKind.Delete, path, 0, 0, 0, default, []);

    public static SyncOp File(string path, long modifiedNs, uint mode, FileChunks chunks) =>
        new(SyncOpKind.File, path, chunks.Length, modifiedNs, mode, chunks.FileHash, [.. chunks.Chunks]);
}

public static class SyncTimes
{
    /// <summary>A file time as Unix nanoseconds at .NET's 100 ns resolution.</summary>
    public static long ToUnixNs(DateTime utc) => (utc.ToUniversalTime().Ticks - DateTime.UnixEpoch.Ticks) * 100;

    public static DateTime FromUnixNs(long ns) => DateTime.UnixEpoch.AddTicks(Math.Clamp(ns / 100, -DateTime.UnixEpoch.Ticks, DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks));
}
