// A home's ~/.ssh/authorized_keys as `tallow ssh invite` reads and extends it (sshd(8)
// AUTHORIZED_KEYS FILE FORMAT). Never through a symlink: ~/.ssh is opened with O_DIRECTORY |
// O_NOFOLLOW and authorized_keys with openat(O_NOFOLLOW) in it, so a symlink (or a swap to one
// after a check) is refused, never followed; so are a file that is not regular, one with other
// hard links, and one larger than MaxFileBytes. Appending keeps what is there, adds a missing final
// newline first, and writes one line; a missing ~/.ssh is made 0700 and a missing file 0600, both
// given to Owner when one is named (root installing for --user). Failures: TallowException(FileSystem).
using Microsoft.Win32.SafeHandles;
using Tallow.Protocol.Transfer;

namespace Tallow.Protocol.Ssh;

/// <summary>Who gets what is created (the --user's uid and gid); null: whoever runs tallow.</summary>
public sealed record FileOwner(uint Uid, uint Gid);

public sealed class AuthorizedKeys(string home, FileOwner? owner = null)
{
    /// <summary>Largest authorized_keys read (thousands of keys): anything bigger is not a file tallow edits.</summary>
    public const int MaxFileBytes = 4 * 1024 * 1024;

    private const string FileName = "authorized_keys";

    public string DirectoryPath { get; } = Path.Combine(home, ".ssh");

    public string FilePath => Path.Combine(DirectoryPath, FileName);

    /// <summary>Whether the file already holds <paramref name="key"/> (options and comment aside); false when there is no file yet.</summary>
    public bool Contains(SshPublicKey key)
    {
        using SafeFileHandle? directory = OpenDirectory(create: false, out _);
        if (directory is null)
        {
            return false;
        }

        using SafeFileHandle? file = NativePath.OpenAtNoFollow(directory, FileName, 0, 0, out int errno);
        if (file is null)
        {
            return errno == NativePath.ENoEnt ? false : throw Failure(errno);
        }

        return Holds(ReadChecked(file), key);
    }

    /// <summary>Appends the key's line (unless the file holds the key by now); false when it was there already.</summary>
    public bool Append(SshPublicKey key)
    {
        using SafeFileHandle directory = OpenDirectory(create: true, out bool madeDirectory)!;
        if (madeDirectory && owner is not null && !NativePath.ChangeOwner(directory, owner.Uid, owner.Gid))
        {
            throw new TallowException(FailureKind.FileSystem, $"cannot give {DirectoryPath} to its user (fchown failed): nothing was written.");
        }

        bool created = false;
        SafeFileHandle? file = NativePath.OpenAtNoFollow(directory, FileName, NativePath.OReadWrite | NativePath.OAppend, 0, out int errno);
        if (file is null && errno == NativePath.ENoEnt)
        {
            file = NativePath.OpenAtNoFollow(directory, FileName, NativePath.OReadWrite | NativePath.OAppend | NativePath.OCreate | NativePath.OExclusive, 0x180, out errno);
            created = file is not null;
        }

        using SafeFileHandle handle = file ?? throw Failure(errno);
        if (created)
        {
            File.SetUnixFileMode(handle, UnixFileMode.UserRead | UnixFileMode.UserWrite); // 0600 whatever the umask
            if (owner is not null && !NativePath.ChangeOwner(handle, owner.Uid, owner.Gid))
            {
                throw new TallowException(FailureKind.FileSystem, $"cannot give {FilePath} to its user (fchown failed).");
            }
        }

        byte[] existing = ReadChecked(handle);
        if (Holds(existing, key))
        {
            return false;
        }

        bool needsNewline = existing.Length > 0 && existing[^1] != (byte)'\n';
        byte[] line = System.Text.Encoding.UTF8.GetBytes((needsNewline ? "\n" : string.Empty) + key.Line + "\n");
        RandomAccess.Write(handle, line, existing.Length); // O_APPEND: at the end, whatever the offset
        NativePath.Sync(handle);
        return true;
    }

    /// <summary>~/.ssh, opened without following a symlink; null when it does not exist and <paramref name="create"/> is false.</summary>
    private SafeFileHandle? OpenDirectory(bool create, out bool made)
    {
        made = false;
        if (create)
        {
            int mkdir = NativePath.MakeDirectory(DirectoryPath, 0x1C0); // 0700
            if (mkdir != 0 && mkdir != NativePath.EExist)
            {
                throw new TallowException(FailureKind.FileSystem, $"cannot create {DirectoryPath} (errno {mkdir}): check the home folder's permissions.");
            }

            made = mkdir == 0;
            if (made)
            {
                using SafeFileHandle? fresh = NativePath.OpenDirectoryNoFollow(DirectoryPath, out _);
                if (fresh is not null)
                {
                    File.SetUnixFileMode(fresh, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
            }
        }

        SafeFileHandle? directory = NativePath.OpenDirectoryNoFollow(DirectoryPath, out int errno);
        return directory is not null || (errno == NativePath.ENoEnt && !create)
            ? directory
            : throw (errno is NativePath.ELoop or NativePath.ENotDirectory
                ? new TallowException(FailureKind.FileSystem, $"{DirectoryPath} is a symlink or not a folder: tallow does not write through it. Make it a real folder (mode 0700) and try again.")
                : new TallowException(FailureKind.FileSystem, $"cannot open {DirectoryPath} (errno {errno})."));
    }

    /// <summary>The whole file, after checking it is a regular file with one name and at most MaxFileBytes.</summary>
    private byte[] ReadChecked(SafeFileHandle file)
    {
        if (!NativePath.TryStatRegular(file, out NativePath.RegularFileInfo info))
        {
            throw new TallowException(FailureKind.FileSystem, $"{FilePath} is not a regular file: tallow does not write to it. Move it away and try again.");
        }

        if (NativePath.LinkCount(file) != 1)
        {
            throw new TallowException(FailureKind.FileSystem, $"{FilePath} has other hard links: tallow does not write to it. Replace it with a plain copy and try again.");
        }

        if (info.Size > MaxFileBytes)
        {
            throw new TallowException(FailureKind.FileSystem, $"{FilePath} is larger than {MaxFileBytes / (1024 * 1024)} MiB: tallow does not edit it. Add the key by hand.");
        }

        byte[] content = new byte[info.Size];
        int read = 0;
        while (read < content.Length)
        {
            int n = RandomAccess.Read(file, content.AsSpan(read), read);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return content[..read];
    }

    private static bool Holds(byte[] content, SshPublicKey key)
    {
        foreach (string line in System.Text.Encoding.UTF8.GetString(content).Split('\n'))
        {
            if (SshPublicKey.KeyOfAuthorizedLine(line) is (string type, byte[] blob) && type == key.Type && blob.AsSpan().SequenceEqual(key.Blob))
            {
                return true;
            }
        }

        return false;
    }

    private TallowException Failure(int errno) => errno == NativePath.ELoop
        ? new TallowException(FailureKind.FileSystem, $"{FilePath} is a symlink: tallow never writes through one (it could lead anywhere). Replace it with a regular file and try again.")
        : new TallowException(FailureKind.FileSystem, $"cannot open {FilePath} (errno {errno}): check its permissions.");
}
