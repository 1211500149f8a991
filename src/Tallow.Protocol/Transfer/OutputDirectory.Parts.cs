// Part files and what the output folder already holds (DESIGN.md §8, protocol.md "Resume").
// - Slots: the part file and sidecar of "name" are "name.tallow-part" / "name.tallow-resume",
//   or in slot k > 0 "name.k.tallow-part" / "name.k.tallow-resume" (LocalNames.PartBase, shortened
//   to fit 255 bytes). A slot belongs to this offer when both names are free or its sidecar carries
//   this entry's identity (an earlier receive of the same path, size and time) and no other
//   receive holds it open. Anything else — another offer's resume state, a receive in progress, a
//   link, a user's file that merely looks like one — is never removed; the next slot is used.
// - Resume: a part is opened once, checked (plain file, one name, that name is this file, inside
//   the output folder) and its checkpointed prefix re-hashed through that handle. The same handle
//   is cut back to the verified length, appended to and committed: nothing is reopened by name
//   between the hash and the final name.
// - Already here: a file under the final name with the offered size and time is only a candidate;
//   HashExisting reads it (not through a link) so the receive can compare it with the sender's hash.
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using Tallow.Protocol.Transfer.Resume;
using Tallow.Wire;

namespace Tallow.Protocol.Transfer;

public sealed partial class OutputDirectory
{
    /// <summary>Part files of different offers that can sit beside one final name.</summary>
    public const int PartSlots = 8;

    private const long VerifyNoticeBytes = 1L << 30;

    private static readonly byte[] EmptyPrefixHash = Blake3Hasher.Hash(ReadOnlySpan<byte>.Empty);

    /// <summary>
    /// Opens a fresh part file for the entry in the first slot this offer may use (free, or holding
    /// stale state of this same entry); with an identity and <paramref name="journal"/> it also
    /// starts a resume sidecar (content verified before it is written needs none). The caller
    /// writes, then calls <see cref="Commit"/>.
    /// </summary>
    public PartFile CreatePart(IReadOnlyList<string> components, byte[]? resumeIdentity = null, long expectedSize = 0, Action<string>? notice = null, bool journal = true)
    {
        string directory = EnsureDirectory(components.Take(components.Count - 1).ToArray());
        string name = components[^1];
        for (int slot = 0; slot < PartSlots; slot++)
        {
            (string partPath, string sidecarPath) = SlotPaths(directory, name, slot);
            if (Occupied(partPath) || Occupied(sidecarPath))
            {
                if (resumeIdentity is null || !BelongsTo(sidecarPath, resumeIdentity) || InUse(partPath))
                {
                    if (slot == 0)
                    {
                        notice?.Invoke(OtherPartNotice(partPath, sidecarPath, name, resumeIdentity));
                    }

                    continue;
                }

                RemoveStale(partPath);
                RemoveStale(sidecarPath);
            }

            SafeFileHandle handle = Open(partPath, FileMode.CreateNew, expectedSize);
            return Guard(new PartFile(handle, partPath, directory, name, journal ? OpenSidecar(sidecarPath, resumeIdentity) : null));
        }

        throw new TallowException(FailureKind.FileSystem, $"'{PathSanitizer.Printable(Relative(Path.Combine(directory, name)))}' already has {PartSlots} unfinished receives of other versions beside it (.tallow-part and .tallow-resume files): remove the ones that are not needed and try again.");
    }

    /// <summary>
    /// Why a part under this name is not continued. A valid sidecar of another identity is, for
    /// the same path, an earlier partial receive of another version: the sender's file changed
    /// (its size or modification time differs) since then.
    /// </summary>
    private string OtherPartNotice(string partPath, string sidecarPath, string name, byte[]? resumeIdentity)
    {
        string part = PathSanitizer.Printable(Relative(partPath));
        if (resumeIdentity is not null && ResumeSidecar.TryRead(sidecarPath, out ResumeCheckpoint earlier)
            && !CryptographicOperations.FixedTimeEquals(earlier.Identity, resumeIdentity))
        {
            return $"'{PathSanitizer.Printable(name)}' changed on the sender since the earlier partial receive (its size or time differs): "
                + $"receiving it from the start; the earlier part is kept as '{part}' (delete it and its '{ResumeSidecar.Suffix}' when no longer needed)";
        }

        return $"'{part}' or its '{ResumeSidecar.Suffix}' belongs to another receive (or is not a part file): it is kept, and this file is received beside it";
    }

    /// <summary>
    /// What this folder already holds for an offered file: a file under its final name with the
    /// same size and modification time (a candidate, see <see cref="HashExisting"/>), or, when
    /// <paramref name="resume"/> is set, a part file whose sidecar matches the entry and whose
    /// checkpointed prefix still hashes the same (kept open, see <see cref="ResumablePart"/>).
    /// </summary>
    public HeldContent Inspect(IReadOnlyList<string> components, OfferEntry entry, Action<string> notice, bool resume = true)
    {
        if (!TryLocate(components, out string directory))
        {
            return HeldContent.Nothing;
        }

        string final = Path.Combine(directory, components[^1]);
        var info = new FileInfo(final);
        if (info.Exists && !IsSymlink(final) && (ulong)info.Length == entry.Size
            && SourceScanner.ToUnix(info.LastWriteTimeUtc) == entry.ModifiedUnixSeconds)
        {
            return HeldContent.SameSizeAndTimeHere;
        }

        byte[] identity = ResumeSidecar.IdentityOf(entry);
        for (int slot = 0; resume && slot < PartSlots; slot++)
        {
            (string partPath, string sidecarPath) = SlotPaths(directory, components[^1], slot);
            if (Occupied(sidecarPath) // one lstat for the usual empty slot, not a failed open and its exception
                && ResumeSidecar.TryRead(sidecarPath, out ResumeCheckpoint checkpoint)
                && CryptographicOperations.FixedTimeEquals(checkpoint.Identity, identity)
                && checkpoint.Length > 0 && (ulong)checkpoint.Length <= entry.Size)
            {
                ResumablePart? part = OpenVerified(partPath, sidecarPath, directory, components[^1], checkpoint, entry, notice);
                return part is null ? HeldContent.Nothing : HeldContent.ResumeFrom(part);
            }
        }

        return HeldContent.Nothing;
    }

    /// <summary>Opens the part once and re-hashes its checkpointed prefix through that handle; null when it cannot be trusted.</summary>
    private ResumablePart? OpenVerified(string partPath, string sidecarPath, string directory, string name, ResumeCheckpoint checkpoint, OfferEntry entry, Action<string> notice)
    {
        SafeFileHandle handle;
        try
        {
            if (!NativePath.IsRegularFile(partPath))
            {
                return null; // opening a pipe would block
            }

            handle = File.OpenHandle(partPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var hasher = Blake3Hasher.New();
        try
        {
            // Opening follows a link: the name must be this very file, with no second name, inside the folder.
            if (!NativePath.Names(partPath, handle) || NativePath.LinkCount(handle) != 1 || RandomAccess.GetLength(handle) < checkpoint.Length
                || !IsInsideRoot(NativePath.RealPathOf(handle)))
            {
                throw new IOException("not a plain part file");
            }

            if (checkpoint.Length >= VerifyNoticeBytes)
            {
                notice($"checking the {checkpoint.Length / (1024 * 1024)} MiB of '{PathSanitizer.Printable(entry.Path)}' received earlier before resuming");
            }

            FileHashing.HashPrefix(handle, checkpoint.Length, hasher);
            Span<byte> prefix = stackalloc byte[ResumeSidecar.HashSize];
            hasher.Digest(prefix);
            if (!CryptographicOperations.FixedTimeEquals(prefix, checkpoint.PrefixHash))
            {
                notice($"the part of '{PathSanitizer.Printable(entry.Path)}' received earlier changed on disk: receiving it from the start");
                throw new IOException("the prefix changed");
            }

            return new ResumablePart(handle, partPath, sidecarPath, directory, name, checkpoint.Length, hasher);
        }
        catch (IOException)
        {
            hasher.Dispose();
            handle.Dispose();
            return null;
        }
    }

    /// <summary>Continues a part that <see cref="Inspect"/> verified, through the handle it hashed: cut back to the verified length, with a fresh sidecar.</summary>
    public PartFile ResumePart(ResumablePart held, byte[] resumeIdentity)
    {
        SafeFileHandle handle = held.TakeHandle();
        var part = new PartFile(handle, held.PartPath, held.Directory, held.FinalName, OpenSidecar(held.SidecarPath, resumeIdentity));
        try
        {
            RandomAccess.SetLength(handle, held.Length);
        }
        catch (IOException ex)
        {
            part.Dispose();
            throw new TallowException(FailureKind.FileSystem, $"cannot continue '{PathSanitizer.Printable(held.PartPath)}': {ex.Message}", ex);
        }

        return Guard(part);
    }

    /// <summary>
    /// The running BLAKE3 of the whole file under the final name, read through one handle that is
    /// that name itself (never a link's target) while it is a plain file of <paramref name="size"/>
    /// bytes; null when it is not (any more), or cannot be read.
    /// </summary>
    public Blake3Hasher? HashExisting(IReadOnlyList<string> components, long size, Action<string> notice, CancellationToken ct)
    {
        if (!TryLocate(components, out string directory))
        {
            return null;
        }

        string final = Path.Combine(directory, components[^1]);
        if (!NativePath.IsRegularFile(final))
        {
            return null; // gone, or something opening would block on
        }

        var hasher = Blake3Hasher.New();
        try
        {
            using SafeFileHandle handle = File.OpenHandle(final, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
            if (!NativePath.Names(final, handle) || RandomAccess.GetLength(handle) != size)
            {
                hasher.Dispose();
                return null;
            }

            if (size >= VerifyNoticeBytes)
            {
                notice($"checking the content of '{PathSanitizer.Printable(Relative(final))}' ({size / (1024 * 1024)} MiB), which is here with the same size and time");
            }

            FileHashing.HashPrefix(handle, size, hasher, ct);
            return hasher;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            hasher.Dispose();
            return null;
        }
    }

    /// <summary>The part name of slot 0 (an unnamed file's, which only messages use: made when one is written).</summary>
    internal static string PartPathOf(string directory, string name) => SlotPaths(directory, name, 0).Part;

    private static (string Part, string Sidecar) SlotPaths(string directory, string name, int slot)
    {
        string stem = Path.Combine(directory, LocalNames.PartBase(name, slot));
        return (stem + PartSuffix, stem + ResumeSidecar.Suffix);
    }

    /// <summary>Anything (file, folder, link, other) has this name: one lstat (a name that cannot be looked at is left to the open, which says why).</summary>
    private static bool Occupied(string path) => NativePath.LStat(path, out _, out _, out _) == NativePath.StatResult.Found;

    /// <summary>Another receive (of the same offer, into the same folder) holds this part file open and locked.</summary>
    private static bool InUse(string partPath)
    {
        if (IsSymlink(partPath) || !NativePath.IsRegularFile(partPath))
        {
            return false;
        }

        try
        {
            File.OpenHandle(partPath, FileMode.Open, FileAccess.Read, FileShare.None).Dispose();
            return false;
        }
        catch (IOException)
        {
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The sidecar is resume state of the entry with this identity.</summary>
    private static bool BelongsTo(string sidecarPath, byte[] identity) =>
        !IsSymlink(sidecarPath) && ResumeSidecar.TryRead(sidecarPath, out ResumeCheckpoint checkpoint) && CryptographicOperations.FixedTimeEquals(checkpoint.Identity, identity);

    /// <summary>The folder for the components if it exists as real folders, without creating anything.</summary>
    private bool TryLocate(IReadOnlyList<string> components, out string directory)
    {
        directory = _root;
        if (UnderMissingFolder(components))
        {
            return false; // a fresh receive's folder: one stat for its whole offer, not one per file
        }

        for (int i = 0; i < components.Count - 1; i++)
        {
            directory = Path.Combine(directory, components[i]);
            if (!Directory.Exists(directory) || IsSymlink(directory))
            {
                _missingFolder = [.. components.Take(i + 1)];
                _missingRelative = string.Join('/', _missingFolder) + "/";
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Whether an offered path lies in the folder <see cref="TryLocate"/> last found missing: a
    /// string comparison, so planning a fresh receive splits no path and walks no folder.
    /// </summary>
    public bool IsUnderMissingFolder(string offeredPath) =>
        _missingRelative is { } missing && offeredPath.StartsWith(missing, StringComparison.Ordinal);

    private bool UnderMissingFolder(IReadOnlyList<string> components)
    {
        if (_missingFolder is not { } missing || components.Count - 1 < missing.Length)
        {
            return false;
        }

        for (int i = 0; i < missing.Length; i++)
        {
            if (!string.Equals(components[i], missing[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The folder <see cref="TryLocate"/> last found missing (or not a plain folder), as components and as a relative path ending in '/'.</summary>
    private string[]? _missingFolder;
    private string? _missingRelative;

    /// <summary>Removes a file or link (never a link's target) of this offer's own stale state.</summary>
    private static void RemoveStale(string path)
    {
        if (IsSymlink(path) || File.Exists(path))
        {
            File.Delete(path);
        }
        else if (Directory.Exists(path))
        {
            throw new TallowException(FailureKind.FileSystem, $"'{PathSanitizer.Printable(path)}' is a folder: remove it and try again.");
        }
    }

    /// <summary>Opens a part file; a new one reserves <paramref name="preallocate"/> bytes on disk up front (fewer, larger extents, faster writes; the length stays 0).</summary>
    private static SafeFileHandle Open(string path, FileMode mode, long preallocate = 0)
    {
        try
        {
            return File.OpenHandle(path, mode, FileAccess.ReadWrite, FileShare.None, FileOptions.None, mode == FileMode.CreateNew ? Math.Max(0, preallocate) : 0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TallowException(FailureKind.FileSystem, $"cannot {(mode == FileMode.CreateNew ? "create" : "open")} '{PathSanitizer.Printable(path)}': {ex.Message}", ex);
        }
    }

    /// <summary>A fresh sidecar (never through a link) that says at once whose it is; none when it cannot be made: the receive still works, it just cannot resume.</summary>
    private static ResumeJournal? OpenSidecar(string path, byte[]? identity)
    {
        if (identity is null)
        {
            return null;
        }

        try
        {
            RemoveStale(path);
            var journal = new ResumeJournal(File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None), path, identity);
            journal.Record(0, EmptyPrefixHash); // names the owner from the start, before the first checkpoint
            return journal;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or TallowException)
        {
            return null;
        }
    }
}
