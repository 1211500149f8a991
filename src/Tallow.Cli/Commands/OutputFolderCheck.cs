// `receive --out DIR` is checked before any network contact (issue 15, item 8): a path that is a
// file, sits under a file, or is in a folder this user cannot write to fails at once with exit 5,
// so the sender's code is not spent on a session that could never save anything. The folder
// itself is still created only after the offer is accepted (a declined offer leaves nothing).
// Writability is tested by creating (and at once deleting) a probe file in the nearest folder
// that exists: permissions, ACLs, read-only mounts and pseudo file systems all answer truthfully.
using System.Security.Cryptography;
using Tallow.Protocol;

namespace Tallow.Cli.Commands;

internal static class OutputFolderCheck
{
    /// <summary>Throws a FileSystem (exit 5) TallowException when <paramref name="outDir"/> cannot become a writable folder.</summary>
    public static void EnsureWritable(string outDir)
    {
        if (string.IsNullOrWhiteSpace(outDir))
        {
            throw new TallowException(FailureKind.Usage, "--out is empty (an unset shell variable?): name the folder to save into, or leave --out out for the current folder.");
        }

        string full = Path.GetFullPath(outDir);
        string existing = full;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
            {
                throw new TallowException(FailureKind.FileSystem, existing == full
                    ? $"--out '{full}' is a file, not a folder: name a folder to save into."
                    : $"--out '{full}' cannot be created: '{existing}' is a file, not a folder.");
            }

            string? parent = Path.GetDirectoryName(existing);
            if (parent is null)
            {
                throw new TallowException(FailureKind.FileSystem, $"--out '{full}' cannot be created: no folder on its path exists.");
            }

            existing = parent;
        }

        string probe = Path.Combine(existing, ".tallow-write-check-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));
        try
        {
            using var stream = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            string what = existing == full ? $"--out '{full}'" : $"--out '{full}' cannot be created: '{existing}'";
            string why = ex is UnauthorizedAccessException ? "permission denied"
                : ex.Message.Contains(probe, StringComparison.Ordinal) ? "files cannot be created there" // not the probe's name
                : ex.Message.TrimEnd('.'); // e.g. a read-only file system, a full disk
            throw new TallowException(FailureKind.FileSystem, $"{what} is not writable ({why}): choose another folder with --out.", ex);
        }
    }
}
