// The receiver's handles on content that has no final name yet (DESIGN.md §8):
// - PartFile: the open part file being written, with its resume sidecar journal. The handle is
//   the file: metadata is applied and the final name is given through it (OutputDirectory.Commit),
//   and its part name is removed only while that name still is this file.
// - ResumablePart: a part file whose checkpointed prefix was re-hashed through this very handle;
//   the receive appends to the same handle, so what was hashed is what is committed.
// - HeldContent: what the output folder already holds for one offered file.
using Microsoft.Win32.SafeHandles;
using Tallow.Protocol.Transfer.Resume;

namespace Tallow.Protocol.Transfer;

/// <summary>An open part file and, when it can be resumed, its sidecar journal.</summary>
public sealed class PartFile : IDisposable
{
    private readonly ResumeJournal? _journal;

    /// <param name="partPath">Null for an unnamed file: its would-be part name is made only for a message.</param>
    internal PartFile(SafeFileHandle handle, string? partPath, string directory, string finalName, ResumeJournal? journal, bool unnamed = false, SafeFileHandle? folder = null)
    {
        Folder = folder;
        Handle = handle;
        _partPath = partPath;
        Directory = directory;
        FinalName = finalName;
        _journal = journal;
        Unnamed = unnamed;
    }

    /// <summary>An O_TMPFILE file (NativePath.OpenUnnamed): it never had the part name, and gets only the final one.</summary>
    internal bool Unnamed { get; }

    /// <summary>Made with its final permission bits (OutputDirectory.CreateVerified): commit sets only the time.</summary>
    internal bool ModeSet { get; init; }

    public SafeFileHandle Handle { get; }

    /// <summary>The open, checked folder it was made in (OutputDirectory.Verified.cs; not owned): its final name is given relative to it.</summary>
    internal SafeFileHandle? Folder { get; }

    private string? _partPath;

    public string PartPath => _partPath ??= OutputDirectory.PartPathOf(Directory, FinalName);

    public string Directory { get; }

    public string FinalName { get; }

    /// <summary>Records that the first <paramref name="length"/> bytes are written and hash as <paramref name="prefix"/> so far.</summary>
    public void Checkpoint(long length, Blake3Hasher prefix) => _journal?.Record(length, prefix);

    /// <summary>As above, with the prefix hash taken earlier (see <see cref="PartWriter"/>).</summary>
    public void Checkpoint(long length, ReadOnlySpan<byte> prefixHash) => _journal?.Record(length, prefixHash);

    /// <summary>Where the open file really is now (follows renames of its folders), or null if unknown.</summary>
    internal string? RealPath() => Handle.IsClosed ? Path.GetFullPath(PartPath) : NativePath.RealPathOf(Handle);

    /// <summary>True while the part name is this open file (not replaced, not a link).</summary>
    internal bool NamedByPartPath() => !Unnamed && !Handle.IsClosed && NativePath.Names(PartPath, Handle);

    /// <summary>Removes the part name if it still is this file; whatever else has that name now is left alone.</summary>
    internal void RemovePartName()
    {
        if (NamedByPartPath())
        {
            File.Delete(PartPath);
        }
    }

    /// <summary>Deletes the part file and its sidecar, then closes it (content that failed verification).</summary>
    public void Discard()
    {
        RemovePartName();
        Dispose();
        DeleteSidecar();
    }

    internal void DeleteSidecar()
    {
        if (_journal is not null)
        {
            _journal.Dispose();
            File.Delete(_journal.Path);
        }
    }

    public void Dispose()
    {
        Handle.Dispose();
        _journal?.Dispose();
    }
}

/// <summary>The open sidecar of a part file, rewritten in place at each checkpoint.</summary>
internal sealed class ResumeJournal(SafeFileHandle handle, string path, byte[] identity) : IDisposable
{
    public string Path { get; } = path;

    public void Record(long length, Blake3Hasher prefix)
    {
        Span<byte> prefixHash = stackalloc byte[ResumeSidecar.HashSize];
        prefix.Digest(prefixHash); // does not end the running hash
        Record(length, prefixHash);
    }

    public void Record(long length, ReadOnlySpan<byte> prefixHash)
    {
        try
        {
            ResumeSidecar.Write(handle, identity, length, prefixHash);
        }
        catch (IOException)
        {
            // A full disk fails the data write too; a lost checkpoint only shortens a later resume.
        }
    }

    public void Dispose() => handle.Dispose();
}

/// <summary>
/// A part file opened once, checked (a plain file with one name, inside the output folder) and
/// its first <see cref="Length"/> bytes re-hashed through that handle into <see cref="Prefix"/>.
/// <see cref="OutputDirectory.ResumePart"/> takes the handle over; until then disposing closes it.
/// </summary>
public sealed class ResumablePart : IDisposable
{
    private SafeFileHandle? _handle;

    internal ResumablePart(SafeFileHandle handle, string partPath, string sidecarPath, string directory, string finalName, long length, Blake3Hasher prefix)
    {
        _handle = handle;
        PartPath = partPath;
        SidecarPath = sidecarPath;
        Directory = directory;
        FinalName = finalName;
        Length = length;
        Prefix = prefix;
    }

    /// <summary>Verified bytes to continue after.</summary>
    public long Length { get; }

    /// <summary>The running hash of those bytes; the receive continues it.</summary>
    public Blake3Hasher Prefix { get; }

    internal string PartPath { get; }

    internal string SidecarPath { get; }

    internal string Directory { get; }

    internal string FinalName { get; }

    internal SafeFileHandle TakeHandle()
    {
        SafeFileHandle handle = _handle ?? throw new InvalidOperationException("the part file was already taken");
        _handle = null;
        return handle;
    }

    public void Dispose()
    {
        _handle?.Dispose();
        _handle = null;
        Prefix.Dispose();
    }
}

/// <summary>What the output folder already holds for one offered file.</summary>
public sealed class HeldContent
{
    public static readonly HeldContent Nothing = new(null, false);

    private HeldContent(ResumablePart? part, bool sameSizeAndTime)
    {
        Part = part;
        SameSizeAndTime = sameSizeAndTime;
    }

    /// <summary>A verified part file to continue (null: start over).</summary>
    public ResumablePart? Part { get; }

    /// <summary>Verified bytes of a part file to continue from (0: start over).</summary>
    public long ResumeLength => Part?.Length ?? 0;

    /// <summary>
    /// A file under the final name has the offered size and modification time. That is only a
    /// hint: it counts as already here once its content hashes to the sender's whole-file hash.
    /// </summary>
    public bool SameSizeAndTime { get; }

    internal static readonly HeldContent SameSizeAndTimeHere = new(null, true);

    internal static HeldContent ResumeFrom(ResumablePart part) => new(part, false);
}
