// What the tree watcher remembers of one name: its type, permission bits, size and modification
// time (nanoseconds), read with lstat (a symlink is itself, never its target). Two states are "the
// same" when nothing a one-way mirror sends would differ; a folder's size and mtime change whenever
// a child does, so folders compare by type and permissions only (their children are entries of their own).
using Tallow.Protocol.Transfer;

namespace Tallow.Protocol.Sync;

internal enum EntryKind : byte
{
    File,
    Directory,
    Symlink,

    /// <summary>Pipe, socket or device.</summary>
    Other,
}

internal readonly record struct EntryState(EntryKind Kind, ushort Permissions, long Size, long MtimeNanoseconds)
{
    /// <summary>Reads the state of <paramref name="fullPath"/>; <see cref="NativePath.StatResult.Failed"/> means unknown, not gone.</summary>
    public static NativePath.StatResult Read(string fullPath, out EntryState state)
    {
        NativePath.StatResult result = NativePath.LStat(fullPath, out ushort mode, out long size, out long mtime);
        state = result == NativePath.StatResult.Found ? FromMode(mode, size, mtime) : default;
        return result;
    }

    public static EntryState FromMode(ushort mode, long size, long mtimeNanoseconds)
    {
        EntryKind kind = (mode & 0xF000) switch
        {
            0x8000 => EntryKind.File,       // S_IFREG
            0x4000 => EntryKind.Directory,  // S_IFDIR
            0xA000 => EntryKind.Symlink,    // S_IFLNK
            _ => EntryKind.Other,
        };
        return new EntryState(kind, (ushort)(mode & 0xFFF), size, mtimeNanoseconds);
    }

    public bool SameAs(EntryState other) =>
        Kind == other.Kind && Permissions == other.Permissions
        && (Kind == EntryKind.Directory || (Size == other.Size && MtimeNanoseconds == other.MtimeNanoseconds));

    /// <summary>Equal presence and, when present, <see cref="SameAs(EntryState)"/>.</summary>
    public static bool Same(EntryState? a, EntryState? b) =>
        a is { } x ? b is { } y && x.SameAs(y) : b is null;
}
